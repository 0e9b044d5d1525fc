"""A review's guest journey as a person reads it: the touchpoints with their sentiment and
sentences, the departments that should act, and the trainers' corrections per sentence.

Read-only; the caller has checked that the person may see the review.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.journeys.journey import summarise
from triage.storage.tables import Review, TouchpointLabel, User


@dataclass(frozen=True, slots=True)
class Correction:
    """The latest trainer label of one sentence."""

    touchpoints: list[str]
    email: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SentenceTouchpoints:
    number: int  # 1-based, as people count
    start: int
    end: int
    text: str
    label: str | None
    #: the model's touchpoints (plus the property's own terms), in journey order
    touchpoints: list[str]
    correction: Correction | None


@dataclass(frozen=True, slots=True)
class Chip:
    touchpoint: str
    sentiment: str
    #: numbers of the sentences about this touchpoint
    sentences: list[int]


@dataclass(frozen=True, slots=True)
class ReviewJourney:
    chips: list[Chip]
    sentences: list[SentenceTouchpoints]
    departments: list[str]


def _corrections(session: Session, review_id: int) -> dict[tuple[int, int], Correction]:
    rows = session.execute(
        select(TouchpointLabel, User.email)
        .outerjoin(User, User.id == TouchpointLabel.user_id)
        .where(TouchpointLabel.review_id == review_id)
        .order_by(TouchpointLabel.created_at, TouchpointLabel.id)
    )
    latest: dict[tuple[int, int], Correction] = {}
    for label, email in rows:
        latest[(label.start, label.end)] = Correction(
            list(label.touchpoints), email, label.created_at
        )
    return latest


def review_journey(session: Session, review: Review) -> ReviewJourney:
    text = review.text or ""
    scored = [
        s
        for s in (review.sentences or [])
        if 0 <= int(s.get("start", -1)) < int(s.get("end", -1)) <= len(text)
    ]
    corrections = _corrections(session, review.id)
    sentences = [
        SentenceTouchpoints(
            number=n,
            start=int(s["start"]),
            end=int(s["end"]),
            text=text[int(s["start"]) : int(s["end"])],
            label=s.get("label"),
            touchpoints=list(s.get("touchpoints") or ()),
            correction=corrections.get((int(s["start"]), int(s["end"]))),
        )
        for n, s in enumerate(scored, start=1)
    ]
    number = {(s.start, s.end): s.number for s in sentences}
    chips = [
        Chip(
            summary.touchpoint,
            summary.sentiment,
            [number[(span["start"], span["end"])] for span in summary.sentences],
        )
        for summary in summarise(scored)
    ]
    return ReviewJourney(chips, sentences, list(review.departments or []))
