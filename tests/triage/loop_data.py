"""Reviews and people for the trainers'-loop tests, written straight to the database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from triage.access.accounts import Principal, authenticate_bearer
from triage.storage.db import unit_of_work, utcnow
from triage.storage.tables import Review


def principal(sessions: sessionmaker[Session], token: str) -> Principal:
    with unit_of_work(sessions) as s:
        return authenticate_bearer(s, token)


def add_review(
    s: Session,
    *,
    property_id: str = "hotel-a",
    text: str = "The room was fine.",
    route: str = "auto",
    status: str | None = None,
    label: str = "positive",
    probabilities: dict[str, float] | None = None,
    booking: str | None = None,
    email: str | None = None,
    n: int | None = None,
) -> Review:
    now = utcnow()
    review = Review(
        property_id=property_id,
        source="survey",
        external_id=f"ext-{n if n is not None else id(text)}-{now.timestamp()}",
        text=text,
        status=status or ("auto_handled" if route == "auto" else "queued"),
        route=route,
        reasons=[],
        priority=4 if route == "auto" else 2,
        due_at=now + timedelta(hours=24),
        received_at=now,
        routed_at=now,
        language="en",
        sentiment_label=label,
        sentiment_probabilities=probabilities
        or {"negative": 0.05, "neutral": 0.05, "positive": 0.9},
        model_version="m-1",
        booking_reference=booking,
        guest_email=email,
    )
    s.add(review)
    s.flush()
    return review
