"""Reviews with their decisions and labels, as plain records for JSONL export."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.learning.registry import gold_review_ids
from triage.privacy.redaction import NameReader, redact_many
from triage.storage.tables import Label, QueueItem, Review
from triage.verdicts.labels import current_label, labels_by_review


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


SPLIT_GROUPS = ("property", "booking")


def _group_key(review: Review, group_by: str) -> str:
    if group_by == "property":
        return f"property:{review.property_id}"
    # one guest's reviews (same booking, else same e-mail) stay on one side
    if review.booking_reference:
        return f"booking:{review.property_id}:{review.booking_reference}"
    if review.guest_email:
        return f"guest:{review.property_id}:{review.guest_email.lower()}"
    return f"review:{review.id}"


def split_of(key: str, dev_share: float) -> str:
    """`dev` or `train`, by a stable hash of the group key."""
    bucket = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64
    return "dev" if bucket < dev_share else "train"


def training_records(
    session: Session,
    property_ids: list[str] | None = None,
    *,
    redact_text: bool = False,
    redact_staff: bool = False,
    names: NameReader | None = None,
    found: Counter[str] | None = None,
    dev_share: float = 0.0,
    group_by: str = "booking",
    chunk: int = 1000,
) -> Iterator[dict[str, Any]]:
    """The labelled reviews as training rows (the current label, with its provenance).

    Gold-set reviews are never included: they are the promotion gate's test. With
    `redact_text`, personal data is replaced (`triage.privacy.redaction`; staff names too
    with `redact_staff`; person names also where the name reader `names` reads them) and
    counted by kind into `found` (kept staff names as "STAFF_KEPT"), never printed. With
    `dev_share`, each row gets a `split`, and all reviews of one group (a property, or a
    booking / guest) fall on the same side.
    """
    if group_by not in SPLIT_GROUPS:
        raise ValueError(f"group_by must be one of {SPLIT_GROUPS}")
    gold = gold_review_ids(session)
    last_id = 0
    while True:
        query = (
            select(Review)
            .where(Review.id > last_id, Review.text.is_not(None))
            .where(select(Label.id).where(Label.review_id == Review.id).exists())
            .order_by(Review.id)
            .limit(chunk)
        )
        if property_ids:
            query = query.where(Review.property_id.in_(property_ids))
        reviews = list(session.scalars(query))
        if not reviews:
            return
        labels = labels_by_review(session, [r.id for r in reviews])
        kept = [
            (review, label)
            for review in reviews
            if (label := current_label(labels[review.id])) is not None and review.id not in gold
        ]
        texts = [review.text or "" for review, _ in kept]
        if redact_text:
            redacted = redact_many(texts, staff=redact_staff, reader=names)
            texts = [r.text for r in redacted]
            if found is not None:
                for r in redacted:
                    found.update(r.replaced)
                    found.update({f"{k}_KEPT": n for k, n in r.kept.items()})
        for (review, label), text in zip(kept, texts, strict=True):
            yield {
                "id": f"review:{review.id}",
                "text": text,
                "label": label.label,
                "lang": review.language or "",
                "property_id": review.property_id,
                "source": review.source,
                "split": split_of(_group_key(review, group_by), dev_share)
                if dev_share
                else "train",
                "provenance": {
                    "kind": label.kind,
                    "role": label.role,
                    "user_id": label.user_id,
                    "created_at": _iso(label.created_at),
                    "model_version": label.model_version,
                    "predicted_label": label.predicted_label,
                    "labels_given": len(labels[review.id]),
                },
            }
        last_id = reviews[-1].id
