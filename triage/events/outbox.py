"""The transactional outbox: an event row is written in the transaction of the change it
describes, by the domain function that makes the change, so a rolled-back change leaves no
event and a committed one always has its event.

Publishing gives committed events their `seq`, one publisher at a time (an advisory lock
on PostgreSQL; SQLite's write lock), in the order of their ids. A poller reading
`GET /v1/events?after=SEQ` therefore never skips an event that commits late: it has no
`seq` until it is published, and then a higher one than everything published before it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, text
from sqlalchemy.orm import Session

from triage.storage.db import utcnow
from triage.storage.tables import Event, Review, WebhookDelivery

#: Every event type, with what it says. A webhook endpoint subscribes to some of them.
EVENT_TYPES: dict[str, str] = {
    "review.routed": "the model read a review and it was auto-handled or queued for a person",
    "review.claimed": "a person claimed a queued review",
    "review.resolved": "a person resolved a review: label, action and their note",
    "review.escalated": "a person escalated a review to another property or a department",
    "model.promoted": "another model version became active (promotion or rollback)",
}
#: A number only this module uses for PostgreSQL's advisory lock of the publisher.
_PUBLISH_LOCK = 0x7472_6961  # "tria"


def review_ref(review: Review) -> dict[str, Any]:
    """How an event names its review: what a hotel system needs to find it again (never
    the guest's text)."""
    return {
        "id": review.id,
        "url": f"/v1/reviews/{review.id}",
        "property_id": review.property_id,
        "source": review.source,
        "external_id": review.external_id,
    }


def emit(
    session: Session,
    type: str,
    *,
    property_id: str | None,
    data: dict[str, Any],
    review: Review | None = None,
    at: datetime | None = None,
) -> Event:
    """Add an event to the current transaction (it commits or rolls back with the change)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    body = dict(data)
    if review is not None:
        body["review"] = {**review_ref(review), **body.get("review", {})}
    event = Event(
        public_id=f"evt_{uuid.uuid4().hex}",
        type=type,
        property_id=property_id,
        review_id=review.id if review is not None else None,
        data=body,
        created_at=at or utcnow(),
    )
    session.add(event)
    return event


def take_unpublished(session: Session, limit: int = 500) -> list[Event]:
    """Give the oldest committed unpublished events their `seq` (in id order) and return
    them. The caller's transaction holds the publisher's lock until it commits."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PUBLISH_LOCK})
    events = list(
        session.scalars(select(Event).where(Event.seq.is_(None)).order_by(Event.id).limit(limit))
    )
    if not events:
        return []
    last = int(session.scalar(select(func.coalesce(func.max(Event.seq), 0))) or 0)
    now = utcnow()
    for offset, event in enumerate(events, start=1):
        event.seq = last + offset
        event.published_at = now
    session.flush()
    return events


def forget_notes(session: Session, review_ids: Sequence[int]) -> int:
    """Remove the people's free-text notes from these reviews' events (anonymisation: a
    note may quote or name the guest). Returns the events changed."""
    changed = 0
    for event in session.scalars(
        select(Event).where(Event.review_id.in_(list(review_ids)), Event.type == "review.resolved")
    ):
        if event.data.get("note") is not None:
            event.data = {**event.data, "note": None}
            changed += 1
    session.flush()
    return changed


def prune(session: Session, before: datetime, limit: int = 5_000) -> int:
    """Delete events published before `before` whose deliveries are all over (delivered or
    failed), with those deliveries and their attempts. Returns the events deleted."""
    open_delivery = (
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.event_id == Event.id,
            WebhookDelivery.status.in_(("pending", "sending")),
        )
        .exists()
    )
    ids = list(
        session.scalars(
            select(Event.id)
            .where(Event.published_at < before, ~open_delivery)
            .order_by(Event.id)
            .limit(limit)
        )
    )
    if ids:
        session.execute(delete(Event).where(Event.id.in_(ids)))
    return len(ids)


def unpublished_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).where(Event.seq.is_(None))) or 0)


@dataclass(frozen=True, slots=True)
class FeedPage:
    events: list[Event]
    #: where the next poll starts (the last `seq` read, or the caller's own when none)
    cursor: int


def feed(
    session: Session,
    property_ids: Sequence[str],
    *,
    after: int,
    limit: int,
    types: Sequence[str] = (),
) -> FeedPage:
    """Published events of these properties (and of the whole installation) after `after`,
    in publication order."""
    query = (
        select(Event)
        .where(
            Event.seq.is_not(None),
            Event.seq > after,
            or_(Event.property_id.in_(list(property_ids)), Event.property_id.is_(None)),
        )
        .order_by(Event.seq)
        .limit(limit)
    )
    if types:
        query = query.where(Event.type.in_(list(types)))
    events = list(session.scalars(query))
    return FeedPage(events, int(events[-1].seq or after) if events else after)


def envelope(event: Event) -> dict[str, Any]:
    """The event as a webhook body and a feed entry carry it."""
    return {
        "id": event.public_id,
        "type": event.type,
        "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
        "property_id": event.property_id,
        "sequence": event.seq,
        "data": event.data,
    }
