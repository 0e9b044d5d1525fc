"""The guest's journey in a review: touchpoints, their sentiment, the departments to act,
and the praise ("kudos") that belongs to a team.

The model gives each sentence its touchpoints (`models.touchpoints`); a property's own
terms (`policy.touchpoint_terms`) add to them here. A touchpoint's sentiment in a review
is negative if any of its sentences is negative (the human at the right place), else
positive if any is positive, else neutral. Each property maps touchpoints to its
departments (`policy.departments`, defaults below); a review names the departments of
its negative touchpoints.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.touchpoint_lexicon import TOUCHPOINTS
from models.touchpoints import lexicon_hits
from triage.access import audit, permissions
from triage.access.accounts import Principal
from triage.core.errors import FieldProblem, InvalidInput, NotFound
from triage.storage.db import utcnow
from triage.storage.tables import Review, TouchpointLabel

DEPARTMENTS: tuple[str, ...] = (
    "housekeeping",
    "front_office",
    "food_and_beverage",
    "events",
    "maintenance",
    "management",
)

DEFAULT_DEPARTMENTS: dict[str, tuple[str, ...]] = {
    "booking": ("front_office",),
    "check_in": ("front_office",),
    "room": ("housekeeping", "maintenance"),
    "cleanliness": ("housekeeping",),
    "noise": ("front_office", "maintenance"),
    "bathroom": ("maintenance", "housekeeping"),
    "staff": ("management",),
    "breakfast": ("food_and_beverage",),
    "bar": ("food_and_beverage",),
    "meetings_events": ("events",),
    "spa": ("management",),
    "location": ("management",),
    "wifi": ("maintenance",),
    "value": ("management",),
    "billing": ("front_office",),
}

#: A member of staff named in a sentence ("Frau Keller", "Mr. Smith", "Tom at reception").
STAFF_NAMED = re.compile(
    r"\b(?:Herr|Herrn|Frau|Mr|Mrs|Ms|Miss)\.?\s+[A-ZÄÖÜ][\w'’-]+"
    r"|\b[A-ZÄÖÜ][a-zäöüß]+\s+(?:at|from|an der|am|vom|von der|in der)\s+"
    r"(?:the\s+)?(?:reception|front desk|bar|restaurant|breakfast|"
    r"Rezeption|Bar|Frühstück\w*|Empfang)",
)


@dataclass(frozen=True, slots=True)
class TouchpointSummary:
    touchpoint: str
    sentiment: str
    sentences: list[dict[str, int]] = field(default_factory=list)  # [{"start", "end"}]


def validate_department_map(value: Any) -> dict[str, list[str]] | None:
    """A policy's `departments`: touchpoint -> departments; None when the shape is wrong."""
    if not isinstance(value, Mapping):
        return None
    clean: dict[str, list[str]] = {}
    for code, departments in value.items():
        if code not in TOUCHPOINTS or not isinstance(departments, list):
            return None
        if not all(isinstance(d, str) and d in DEPARTMENTS for d in departments):
            return None
        clean[code] = sorted(set(departments))
    return clean


def validate_terms(value: Any) -> dict[str, list[str]] | None:
    """A policy's `touchpoint_terms`: touchpoint -> extra terms; None when the shape is wrong."""
    if not isinstance(value, Mapping):
        return None
    clean: dict[str, list[str]] = {}
    for code, terms in value.items():
        if code not in TOUCHPOINTS or not isinstance(terms, list):
            return None
        if not all(isinstance(t, str) and 2 <= len(t.strip()) <= 64 for t in terms):
            return None
        clean[code] = sorted({t.strip() for t in terms})
    return clean


def department_map(policy: Mapping[str, Any] | None) -> dict[str, tuple[str, ...]]:
    mapping = dict(DEFAULT_DEPARTMENTS)
    for code, departments in ((policy or {}).get("departments") or {}).items():
        mapping[code] = tuple(departments)
    return mapping


def extra_terms(policy: Mapping[str, Any] | None) -> dict[str, list[str]]:
    return dict((policy or {}).get("touchpoint_terms") or {})


def with_property_terms(
    text: str, sentences: Sequence[Mapping[str, Any]], terms: Mapping[str, Sequence[str]]
) -> list[list[str]]:
    """Each sentence's touchpoints: the model's, plus the property's own terms."""
    found = []
    for sentence in sentences:
        codes = set(sentence.get("touchpoints") or ())
        if terms:
            piece = text[int(sentence["start"]) : int(sentence["end"])]
            only_extra = {code: list(t) for code, t in terms.items()}
            codes.update(
                hit.touchpoint for hit in lexicon_hits(piece, only_extra) if hit.touchpoint in terms
            )
        found.append([code for code in TOUCHPOINTS if code in codes])
    return found


def summarise(sentences: Sequence[Mapping[str, Any]]) -> list[TouchpointSummary]:
    """Touchpoints of a review (from its scored sentences), in journey order."""
    by_code: dict[str, list[Mapping[str, Any]]] = {}
    for sentence in sentences:
        for code in sentence.get("touchpoints") or ():
            by_code.setdefault(code, []).append(sentence)
    out = []
    for code in TOUCHPOINTS:
        found = by_code.get(code)
        if not found:
            continue
        labels = {s.get("label") for s in found}
        sentiment = (
            "negative"
            if "negative" in labels
            else "positive"
            if "positive" in labels
            else "neutral"
        )
        spans = [{"start": int(s["start"]), "end": int(s["end"])} for s in found]
        out.append(TouchpointSummary(code, sentiment, spans))
    return out


def departments_for(
    summaries: Sequence[TouchpointSummary], mapping: Mapping[str, Sequence[str]]
) -> list[str]:
    """The departments that should act: those of the review's negative touchpoints."""
    wanted = {
        department
        for summary in summaries
        if summary.sentiment == "negative"
        for department in mapping.get(summary.touchpoint, ())
    }
    return [d for d in DEPARTMENTS if d in wanted]


@dataclass(frozen=True, slots=True)
class Kudos:
    """A positive passage about a touchpoint or a named member of staff."""

    start: int
    end: int
    touchpoints: list[str]
    departments: list[str]
    staff_named: bool


def kudos(
    text: str, sentences: Sequence[Mapping[str, Any]], mapping: Mapping[str, Sequence[str]]
) -> list[Kudos]:
    found = []
    for sentence in sentences:
        if sentence.get("label") != "positive":
            continue
        start, end = int(sentence["start"]), int(sentence["end"])
        codes = list(sentence.get("touchpoints") or ())
        named = STAFF_NAMED.search(text[start:end]) is not None
        if not codes and not named:
            continue
        if named and "staff" not in codes:
            codes.append("staff")
        departments = sorted({d for code in codes for d in mapping.get(code, ())})
        found.append(Kudos(start, end, codes, departments, named))
    return found


def label_touchpoints(
    session: Session,
    principal: Principal,
    review_id: int,
    start: int,
    end: int,
    codes: Sequence[str],
) -> TouchpointLabel:
    """A trainer's touchpoints for the sentence `text[start:end]` of a review (audited as
    `label.touchpoints`)."""
    permissions.label_touchpoints(principal)
    review = session.get(Review, review_id)
    if review is None or not principal.can_see(review.property_id):
        raise NotFound(f"review {review_id} not found")
    unknown = sorted(set(codes) - set(TOUCHPOINTS))
    if unknown:
        raise InvalidInput(
            "invalid touchpoints",
            [FieldProblem("touchpoints", "enum", f"unknown: {', '.join(unknown)}")],
        )
    length = len(review.text or "")
    if not 0 <= start < end <= length:
        raise InvalidInput(
            "invalid sentence", [FieldProblem("start", "range", f"0 <= start < end <= {length}")]
        )
    row = TouchpointLabel(
        review_id=review.id,
        start=start,
        end=end,
        touchpoints=[c for c in TOUCHPOINTS if c in set(codes)],
        user_id=principal.id,
        role=principal.role,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        principal,
        "label.touchpoints",
        property_id=review.property_id,
        subject=f"review:{review_id}",
        details={"start": row.start, "end": row.end, "touchpoints": row.touchpoints},
    )
    return row


def touchpoint_training_rows(session: Session) -> list[tuple[str, list[str]]]:
    """(sentence text, touchpoints): the latest trainer label of every labelled sentence."""
    latest: dict[tuple[int, int, int], tuple[str, list[str]]] = {}
    query = (
        select(TouchpointLabel, Review.text)
        .join(Review, Review.id == TouchpointLabel.review_id)
        .where(Review.text.is_not(None))
        .order_by(TouchpointLabel.created_at, TouchpointLabel.id)
    )
    for label, text in session.execute(query):
        key = (label.review_id, label.start, label.end)
        latest[key] = ((text or "")[label.start : label.end], list(label.touchpoints))
    return list(latest.values())
