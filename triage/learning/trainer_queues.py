"""What trainers work on: spot-checks, blind double labels, the reviews that would teach the
model most, disagreements and adjudication, and the estimated negative-miss rate.

Every function is scoped to the caller's properties and returns reviews newest first
unless it ranks them. Windows (`window`) bound the work per request on large databases:
trainers look at recent data.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Exists, exists, select
from sqlalchemy.orm import Session

from models import LABELS
from triage.access import permissions
from triage.access.accounts import Principal
from triage.casework.queue import scope
from triage.core.errors import NotFound
from triage.storage.sampling import RateEstimate, sample_condition, wilson
from triage.storage.tables import Label, Review
from triage.verdicts.labels import current_label, disagreeing, labels_by_review

WINDOW = 2000


def _has_label(kind: str | None = None) -> Exists:
    condition = Label.review_id == Review.id
    if kind is not None:
        condition = condition & (Label.kind == kind)
    return exists().where(condition)


def spot_check_queue(
    session: Session,
    principal: Principal,
    *,
    share: float,
    property_id: str | None = None,
    limit: int = 50,
) -> list[Review]:
    """Sampled auto-handled reviews nobody has spot-checked yet, newest first."""
    permissions.use_trainer_workspace(principal)
    query = (
        select(Review)
        .where(
            Review.property_id.in_(scope(principal, property_id)),
            Review.route == "auto",
            sample_condition(Review.id, share, "spot_check"),
            ~_has_label("spot_check"),
        )
        .order_by(Review.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def negative_miss_estimate(
    session: Session, property_ids: list[str], *, share: float
) -> RateEstimate:
    """Share of sampled auto-handled reviews whose human label is negative (95% Wilson).

    Only the random sample counts (a review pulled back by hand is not a random draw)."""
    reviewed = list(
        session.scalars(
            select(Review.id).where(
                Review.property_id.in_(property_ids),
                Review.route == "auto",
                sample_condition(Review.id, share, "spot_check"),
                _has_label(),
            )
        )
    )
    hits = 0
    for i in range(0, len(reviewed), 500):
        chunk = reviewed[i : i + 500]
        for labels in labels_by_review(session, chunk).values():
            label = current_label(labels)
            hits += label is not None and label.label == "negative"
    return wilson(hits, len(reviewed))


def miss_rate_alert(estimate: RateEstimate, *, target: float, min_checks: int) -> bool:
    """The negative-miss alert: the estimated rate is above the target, with at least
    `min_checks` spot-checks behind it. The trainers' dashboard and the background watch
    (`service.background.watch_quality`) both raise it by this rule."""
    return estimate.rate is not None and estimate.n >= min_checks and estimate.rate > target


def double_label_queue(
    session: Session,
    principal: Principal,
    *,
    share: float,
    property_id: str | None = None,
    limit: int = 50,
) -> list[Review]:
    """Sampled resolved reviews for a second, blind verdict by someone who has not labelled
    them. The caller must not be shown the first verdict (nor the model's)."""
    permissions.see_double_label_queue(principal)
    mine = exists().where(Label.review_id == Review.id, Label.user_id == principal.id)
    query = (
        select(Review)
        .where(
            Review.property_id.in_(scope(principal, property_id)),
            Review.status == "resolved",
            sample_condition(Review.id, share, "double_label"),
            ~_has_label("double_label"),
            ~mine,
        )
        .order_by(Review.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


_WORD = re.compile(r"\w+", re.UNICODE)


def _words(text: str | None) -> set[str]:
    return {w.lower() for w in _WORD.findall(text or "")}


def _jaccard(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True, slots=True)
class Candidate:
    review: Review
    score: float  # higher teaches more


def uncertainty(probabilities: dict[str, float] | None, strategy: str) -> float:
    """Margin: 1 - (p1 - p2); entropy: normalised Shannon entropy. Both in [0, 1]."""
    p = sorted((float((probabilities or {}).get(label, 0.0)) for label in LABELS), reverse=True)
    if strategy == "entropy":
        h = -sum(x * math.log(x) for x in p if x > 0)
        return h / math.log(len(LABELS))
    return 1.0 - (p[0] - p[1])


def uncertainty_queue(
    session: Session,
    principal: Principal,
    *,
    property_id: str | None = None,
    strategy: str = "margin",
    limit: int = 25,
    max_overlap: float = 0.5,
    window: int = WINDOW,
) -> list[Candidate]:
    """Unlabelled reviews whose label would teach the model most, most uncertain first,
    skipping near duplicates (word overlap above `max_overlap` with one already chosen)."""
    permissions.use_trainer_workspace(principal)
    if strategy not in {"margin", "entropy"}:
        raise NotFound(f"strategy {strategy!r} not found")
    rows = session.scalars(
        select(Review)
        .where(
            Review.property_id.in_(scope(principal, property_id)),
            Review.sentiment_probabilities.is_not(None),
            Review.text.is_not(None),
            ~_has_label(),
        )
        .order_by(Review.id.desc())
        .limit(window)
    )
    ranked = sorted(
        (Candidate(r, uncertainty(r.sentiment_probabilities, strategy)) for r in rows),
        key=lambda c: (-c.score, -c.review.id),
    )
    chosen: list[Candidate] = []
    seen: list[set[str]] = []
    for candidate in ranked:
        words = _words(candidate.review.text)
        if any(_jaccard(words, other) > max_overlap for other in seen):
            continue
        chosen.append(candidate)
        seen.append(words)
        if len(chosen) >= limit:
            break
    return chosen


@dataclass(frozen=True, slots=True)
class Disagreement:
    review: Review
    labels: list[Label]
    current: Label | None


def _labelled(
    session: Session,
    principal: Principal,
    property_id: str | None,
    window: int,
    limit: int,
    keep: Callable[[Review, list[Label]], bool],
) -> list[Disagreement]:
    """The newest labelled reviews (at most `window` read) that `keep` accepts, up to `limit`."""
    permissions.use_trainer_workspace(principal)
    reviews = list(
        session.scalars(
            select(Review)
            .where(Review.property_id.in_(scope(principal, property_id)), _has_label())
            .order_by(Review.id.desc())
            .limit(window)
        )
    )
    labels = labels_by_review(session, [r.id for r in reviews])
    kept = (
        Disagreement(r, labels[r.id], current_label(labels[r.id]))
        for r in reviews
        if keep(r, labels[r.id])
    )
    return list(itertools.islice(kept, limit))


def _model_differs(review: Review, labels: list[Label]) -> bool:
    current = current_label(labels)
    return bool(
        current is not None and review.sentiment_label and current.label != review.sentiment_label
    )


def model_disagreements(
    session: Session,
    principal: Principal,
    *,
    property_id: str | None = None,
    limit: int = 50,
    window: int = WINDOW,
) -> list[Disagreement]:
    """Reviews whose current human label differs from the model's label."""
    return _labelled(session, principal, property_id, window, limit, _model_differs)


def adjudication_queue(
    session: Session,
    principal: Principal,
    *,
    property_id: str | None = None,
    limit: int = 50,
    window: int = WINDOW,
) -> list[Disagreement]:
    """Reviews whose people disagree and that no trainer has settled since."""
    return _labelled(
        session, principal, property_id, window, limit, lambda _, labels: disagreeing(labels)
    )
