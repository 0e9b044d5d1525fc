"""Labels with provenance: every human verdict is a row, never overwritten.

How a label was given is its `kind`:

- `queue_verdict`: an agent (or anyone) resolved a queue item (`triage.casework.queue.resolve`);
- `spot_check`: a person judged an auto-handled review (sampled, or pulled back);
- `relabel`: a trainer changed the label of any review;
- `double_label`: a second, blind verdict on a sampled resolved item;
- `adjudication`: a trainer settled a disagreement; `gold` adjudications form the frozen
  gold set the promotion gate evaluates on, and are never exported for training.

The current label of a review is derived (`current_label`): the latest adjudication,
else the latest label by a trainer or admin, else the agents' majority (ties: the latest).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import LABELS
from triage.access import audit, permissions
from triage.access.accounts import Principal
from triage.access.permissions import LABELS_GIVEN_BY, TRAINERS
from triage.core.errors import FieldProblem, InvalidInput, NotFound
from triage.storage.db import utcnow
from triage.storage.tables import Label, Review

KINDS = ("queue_verdict", "spot_check", "relabel", "double_label", "adjudication")


def _order(label: Label) -> tuple[float, int]:
    return (label.created_at.timestamp(), label.id or 0)


def current_label(labels: Iterable[Label]) -> Label | None:
    """The label that counts for a review (see the module docstring)."""
    labels = list(labels)
    adjudications = [x for x in labels if x.kind == "adjudication"]
    if adjudications:
        return max(adjudications, key=_order)
    by_trainers = [x for x in labels if x.role in TRAINERS]
    if by_trainers:
        return max(by_trainers, key=_order)
    if not labels:
        return None
    votes = Counter(x.label for x in labels)
    top = max(votes.values())
    return max((x for x in labels if votes[x.label] == top), key=_order)


def labels_by_review(session: Session, review_ids: Sequence[int]) -> dict[int, list[Label]]:
    found: dict[int, list[Label]] = {review_id: [] for review_id in review_ids}
    if review_ids:
        query = select(Label).where(Label.review_id.in_(review_ids)).order_by(Label.id)
        for label in session.scalars(query):
            found[label.review_id].append(label)
    return found


def visible_review(session: Session, principal: Principal, review_id: int) -> Review:
    review = session.get(Review, review_id)
    if review is None or not principal.can_see(review.property_id):
        raise NotFound(f"review {review_id} not found")
    return review


def add_label(
    session: Session,
    principal: Principal,
    review_id: int,
    label: str,
    kind: str,
    *,
    note: str | None = None,
    gold: bool = False,
) -> Label:
    """Record a person's label on a review they may see, with its provenance; audited as
    `label.<kind>`."""
    permissions.give_labels(principal)
    problems = []
    if label not in LABELS:
        problems.append(FieldProblem("label", "enum", f"one of {', '.join(LABELS)}"))
    if kind not in LABELS_GIVEN_BY:
        problems.append(FieldProblem("kind", "enum", f"one of {', '.join(LABELS_GIVEN_BY)}"))
    if note is not None and len(note) > 2000:
        problems.append(FieldProblem("note", "max_length", "at most 2000 characters"))
    if problems:
        raise InvalidInput("invalid label", problems)
    review = visible_review(session, principal, review_id)
    permissions.give_label_of_kind(principal, kind)
    if kind == "double_label":
        earlier = session.scalars(select(Label.user_id).where(Label.review_id == review_id))
        permissions.give_double_label(principal, set(earlier))
    row = record(session, principal, review, label, kind, note=note, gold=gold)
    audit.record(
        session,
        principal,
        f"label.{kind}",
        property_id=review.property_id,
        subject=f"review:{review_id}",
        details={"label": label, "gold": row.gold},
    )
    return row


def record(
    session: Session,
    principal: Principal,
    review: Review,
    label: str,
    kind: str,
    *,
    at: datetime | None = None,
    note: str | None = None,
    gold: bool = False,
) -> Label:
    """Store a verdict as a label row with its provenance: who gave it (user and role), when,
    and what the model said then (its version, label and probabilities). The one place a
    `Label` row is made; callers have checked the person, the review and the label.
    Only an adjudication can be gold; a blank note is no note."""
    if kind not in KINDS:
        raise ValueError(f"unknown label kind {kind!r}")
    row = Label(
        review_id=review.id,
        label=label,
        kind=kind,
        user_id=principal.id,
        role=principal.role,
        created_at=at or utcnow(),
        model_version=review.model_version,
        predicted_label=review.sentiment_label,
        predicted_probabilities=review.sentiment_probabilities,
        note=note.strip() if note and note.strip() else None,
        gold=bool(gold and kind == "adjudication"),
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True, slots=True)
class PairAgreement:
    """How two people agree on the reviews both labelled (Cohen's kappa)."""

    user_a: int
    user_b: int
    n: int
    observed: float
    kappa: float | None


def cohens_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two raters' labels; None where it is undefined (one category only)."""
    n = len(pairs)
    if n == 0:
        return None
    observed = sum(a == b for a, b in pairs) / n
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    expected = sum(first[c] * second[c] for c in set(first) | set(second)) / (n * n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def pair_agreements(labels: Iterable[Label]) -> list[PairAgreement]:
    """Kappa for every pair of people over the reviews both labelled (first label each)."""
    first: dict[int, dict[int, str]] = {}  # review -> user -> label
    for label in sorted(labels, key=_order):
        if label.user_id is None or label.kind == "adjudication":
            continue
        first.setdefault(label.review_id, {}).setdefault(label.user_id, label.label)
    shared: dict[tuple[int, int], list[tuple[str, str]]] = {}
    for by_user in first.values():
        users = sorted(by_user)
        for i, a in enumerate(users):
            for b in users[i + 1 :]:
                shared.setdefault((a, b), []).append((by_user[a], by_user[b]))
    return [
        PairAgreement(
            user_a=a,
            user_b=b,
            n=len(pairs),
            observed=sum(x == y for x, y in pairs) / len(pairs),
            kappa=cohens_kappa(pairs),
        )
        for (a, b), pairs in sorted(shared.items())
    ]


def disagreeing(labels: Sequence[Label]) -> bool:
    """Human labels that differ and no adjudication after the latest of them."""
    human = [x for x in labels if x.kind != "adjudication"]
    if len({x.label for x in human}) < 2:
        return False
    adjudications = [x for x in labels if x.kind == "adjudication"]
    if not adjudications:
        return True
    return _order(max(adjudications, key=_order)) < _order(max(human, key=_order))
