"""Reviews with their decisions and labels, as plain records for JSONL export."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.tables import Label, QueueItem, Review


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def export_records(
    session: Session, property_ids: list[str] | None = None, chunk: int = 1000
) -> Iterator[dict[str, Any]]:
    """Every review (of the given properties) in id order, streamed in chunks."""
    last_id = 0
    while True:
        query = select(Review).where(Review.id > last_id).order_by(Review.id).limit(chunk)
        if property_ids:
            query = query.where(Review.property_id.in_(property_ids))
        reviews = list(session.scalars(query))
        if not reviews:
            return
        ids = [r.id for r in reviews]
        labels: dict[int, list[Label]] = {}
        for label in session.scalars(
            select(Label).where(Label.review_id.in_(ids)).order_by(Label.id)
        ):
            labels.setdefault(label.review_id, []).append(label)
        items = {
            item.review_id: item
            for item in session.scalars(
                select(QueueItem).where(QueueItem.review_id.in_(ids)).order_by(QueueItem.id)
            )
        }
        for review in reviews:
            yield _record(review, items.get(review.id), labels.get(review.id, []))
        last_id = ids[-1]


def _record(review: Review, item: QueueItem | None, labels: list[Label]) -> dict[str, Any]:
    return {
        "id": review.id,
        "property_id": review.property_id,
        "source": review.source,
        "external_id": review.external_id,
        "text": review.text,
        "rating": (
            {"value": review.rating_value, "scale": review.rating_scale}
            if review.rating_value is not None
            else None
        ),
        "language": review.language,
        "submitted_at": _iso(review.submitted_at),
        "received_at": _iso(review.received_at),
        "guest": {
            "stay_from": _iso(review.stay_from),
            "stay_to": _iso(review.stay_to),
            "room": review.room,
            "segment": review.segment,
            "booking_reference": review.booking_reference,
        },
        "metadata": review.extra,
        "status": review.status,
        "route": review.route,
        "reasons": review.reasons or [],
        "priority": review.priority,
        "due_at": _iso(review.due_at),
        "sentiment": (
            {"label": review.sentiment_label, "probabilities": review.sentiment_probabilities}
            if review.sentiment_label
            else None
        ),
        "model_version": review.model_version,
        "queue": (
            {
                "state": item.state,
                "resolved_at": _iso(item.resolved_at),
                "action": item.action,
                "note": item.note,
            }
            if item
            else None
        ),
        "labels": [
            {
                "label": label.label,
                "kind": label.kind,
                "user_id": label.user_id,
                "role": label.role,
                "created_at": _iso(label.created_at),
                "model_version": label.model_version,
                "predicted_label": label.predicted_label,
                "predicted_probabilities": label.predicted_probabilities,
            }
            for label in labels
        ],
    }
