"""Domain views to HTTP schemas."""

from __future__ import annotations

from typing import Any

from api.schemas import GuestContext, Rating, ReviewRead
from triage.casework.reviews import ReviewView
from triage.journeys.journey import summarise


def review_read(view: ReviewView) -> ReviewRead:
    r = view.review
    item = view.item
    guest = None
    if any((r.stay_from, r.stay_to, r.room, r.segment, r.booking_reference, r.guest_email)):
        guest = GuestContext.model_construct(
            stay_from=r.stay_from,
            stay_to=r.stay_to,
            room=r.room,
            segment=r.segment,  # type: ignore[arg-type]
            booking_reference=r.booking_reference,
            email=r.guest_email,
        )
    rating = None
    if r.rating_value is not None and r.rating_scale is not None:
        rating = Rating.model_construct(value=r.rating_value, scale=r.rating_scale)
    sentiment: dict[str, Any] | None = None
    if r.sentiment_label and r.sentiment_probabilities:
        sentiment = {"label": r.sentiment_label, "probabilities": r.sentiment_probabilities}
    queue = None
    if item is not None:
        queue = {
            "item_id": item.id,
            "state": item.state,
            "claimed_by": item.claimed_by if view.status == "claimed" else None,
            "lease_expires_at": item.lease_expires_at if view.status == "claimed" else None,
            "resolved_at": item.resolved_at,
            "action": item.action,
            "note": item.note,
        }
    return ReviewRead.model_validate(
        {
            "id": r.id,
            "property_id": r.property_id,
            "source": r.source,
            "external_id": r.external_id,
            "status": view.status,
            "route": r.route,
            "reasons": r.reasons or [],
            "priority": r.priority,
            "due_at": r.due_at,
            "language": r.language,
            "sentiment": sentiment,
            "sentences": r.sentences or [],
            "touchpoints": [
                {"touchpoint": t.touchpoint, "sentiment": t.sentiment, "sentences": t.sentences}
                for t in summarise(r.sentences or [])
            ],
            "departments": r.departments or [],
            "model_version": r.model_version,
            "text": r.text,
            "rating": rating,
            "guest": guest,
            "metadata": r.extra,
            "submitted_at": r.submitted_at,
            "received_at": r.received_at,
            "routed_at": r.routed_at,
            "queue": queue,
        }
    )
