"""Deliveries: one row per event and endpoint, made when the event is published; claimed by
one sender at a time (`FOR UPDATE SKIP LOCKED` on PostgreSQL, SQLite's write lock), sent,
and recorded with every attempt. A failed attempt is retried with exponential backoff and
full jitter until the retry window (a day) is over; then the delivery is `failed` and an
admin may re-send it. A sender that dies mid-delivery leaves its lease to run out; the
delivery is then claimed again (at least once; the event id tells duplicates apart).

Deliveries of one review to one endpoint go in the order of their events: a delivery is
not claimed while an earlier one of the same review and endpoint is still pending.

An endpoint with `redact_notes` gets the people's notes in its deliveries redacted
(`body_of`): the body is built, and signed, as it is sent; the event keeps the note as written.
"""

from __future__ import annotations

import json
import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from triage.access import audit, permissions
from triage.access.principals import Principal
from triage.core.errors import Conflict, NotFound
from triage.core.settings import Settings
from triage.events import outbox
from triage.privacy import redaction
from triage.storage.db import utcnow
from triage.storage.tables import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from triage.webhooks import endpoints

STATUSES = ("pending", "sending", "delivered", "failed")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long a delivery is retried and how far apart its attempts are."""

    window: timedelta = timedelta(hours=24)
    base_seconds: float = 10.0
    cap_seconds: float = 3600.0
    lease: timedelta = timedelta(seconds=60)

    def delay(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2^(n-1))],
        at least one second."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempts - 1))
        return timedelta(seconds=max(1.0, (rng or random).uniform(0, ceiling)))


def policy_for(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        window=timedelta(hours=settings.webhook_retry_hours),
        base_seconds=settings.webhook_backoff_seconds,
        cap_seconds=settings.webhook_backoff_cap_seconds,
        # past the send's deadline, with room to record the outcome
        lease=timedelta(seconds=settings.webhook_timeout_seconds * 2 + 5),
    )


def publish(session: Session, policy: RetryPolicy, limit: int = 500) -> int:
    """Publish committed events (their `seq`) and make a delivery for every enabled endpoint
    that listens to each. Returns the number of events published."""
    events = outbox.take_unpublished(session, limit)
    if not events:
        return 0
    listening = list(session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.enabled)))
    now = utcnow()
    for event in events:
        for endpoint in listening:
            if event.type not in endpoint.events:
                continue
            if event.property_id is not None and event.property_id != endpoint.property_id:
                continue
            session.add(
                WebhookDelivery(
                    endpoint_id=endpoint.id,
                    event_id=event.id,
                    review_id=event.review_id,
                    seq=event.seq,
                    status="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                    give_up_at=now + policy.window,
                )
            )
    session.flush()
    return len(events)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery a sender holds: everything it needs to send it without the database."""

    delivery_id: int
    endpoint_id: int
    url: str
    secret: str
    allow_private: bool
    event_id: str
    event_type: str
    attempt: int
    body: bytes


def body_of(event: Event, *, redact_notes: bool = False) -> bytes:
    """The delivery's body: the event's envelope as compact JSON (what the signature covers);
    with `redact_notes` (the endpoint's), each note in its data redacted, staff names too."""
    envelope = outbox.envelope(event)
    if redact_notes:
        envelope["data"] = _notes_redacted(envelope["data"])
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


def _notes_redacted(value: object) -> object:
    """A copy of `value` (an event's data) with every string under a `note` key replaced by
    `redaction.redact(note, staff=True)`; the event's own data is left as it is."""
    if isinstance(value, dict):
        return {
            key: redaction.redact(item, staff=True)
            if key == "note" and isinstance(item, str)
            else _notes_redacted(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_notes_redacted(item) for item in value]
    return value


def _due(now: datetime) -> object:
    return or_(
        and_(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now),
        and_(WebhookDelivery.status == "sending", WebhookDelivery.lease_until < now),
    )


def claim_due(
    session: Session,
    policy: RetryPolicy,
    *,
    limit: int,
    skip_endpoints: Collection[int] = (),
    now: datetime | None = None,
) -> list[Claimed]:
    """Lease up to `limit` due deliveries to the caller (oldest event first)."""
    now = now or utcnow()
    earlier = aliased(WebhookDelivery)
    blocked = exists().where(
        earlier.endpoint_id == WebhookDelivery.endpoint_id,
        earlier.review_id == WebhookDelivery.review_id,
        earlier.seq < WebhookDelivery.seq,
        earlier.status.in_(("pending", "sending")),
    )
    query = (
        select(WebhookDelivery.id)
        .where(_due(now), ~blocked)  # type: ignore[arg-type]
        .order_by(WebhookDelivery.seq)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if skip_endpoints:
        query = query.where(WebhookDelivery.endpoint_id.not_in(list(skip_endpoints)))
    ids = list(session.scalars(query))
    if not ids:
        return []
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(ids))
        .values(
            status="sending",
            lease_until=now + policy.lease,
            attempts=WebhookDelivery.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(
        select(WebhookDelivery, WebhookEndpoint, Event)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(Event, Event.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.id.in_(ids))
        .order_by(WebhookDelivery.seq)
        .execution_options(populate_existing=True)
    ).all()
    return [
        Claimed(
            delivery_id=d.id,
            endpoint_id=ep.id,
            url=ep.url,
            secret=ep.secret,
            allow_private=ep.allow_private,
            event_id=ev.public_id,
            event_type=ev.type,
            attempt=d.attempts,
            body=body_of(ev, redact_notes=ep.redact_notes),
        )
        for d, ep, ev in rows
    ]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt gave: the receiver's status (None when there was no answer) and,
    when it failed, why in a few words (never the receiver's body)."""

    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def record(
    session: Session,
    delivery_id: int,
    outcome: Outcome,
    policy: RetryPolicy,
    *,
    trigger: str = "schedule",
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> str:
    """Log the attempt and move the delivery on: delivered, pending again later, or
    failed when the next attempt would fall after its retry window. Returns the status."""
    now = now or utcnow()
    delivery = session.get(WebhookDelivery, delivery_id, populate_existing=True)
    if delivery is None:  # its endpoint was deleted meanwhile
        return "deleted"
    error = outcome.error[:300] if outcome.error else None
    session.add(
        WebhookAttempt(
            delivery_id=delivery_id,
            at=now,
            status_code=outcome.status_code,
            error=error,
            duration_ms=outcome.duration_ms,
            trigger=trigger,
        )
    )
    delivery.last_status_code = outcome.status_code
    delivery.last_error = error
    delivery.lease_until = None
    if outcome.delivered:
        delivery.status = "delivered"
        delivery.delivered_at = now
    else:
        later = now + policy.delay(delivery.attempts, rng)
        if later > delivery.give_up_at:
            delivery.status = "failed"
        else:
            delivery.status = "pending"
            delivery.next_attempt_at = later
    session.flush()
    return delivery.status


def resend(
    session: Session, actor: Principal | str, delivery_id: int, policy: RetryPolicy
) -> WebhookDelivery:
    """Send a delivery again now (a failed or delivered one), with a fresh retry window."""
    delivery = get(session, actor, delivery_id)
    if delivery.status in ("pending", "sending"):
        raise Conflict(f"delivery {delivery_id} is {delivery.status} already")
    now = utcnow()
    delivery.status = "pending"
    delivery.next_attempt_at = now
    delivery.give_up_at = now + policy.window
    delivery.delivered_at = None
    session.flush()
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    assert endpoint is not None
    audit.record(
        session,
        actor,
        "webhook.resend",
        property_id=endpoint.property_id,
        subject=f"delivery:{delivery_id}",
    )
    return delivery


def get(session: Session, actor: Principal | str, delivery_id: int) -> WebhookDelivery:
    permissions.manage_webhooks(actor)
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} not found")
    try:
        endpoints.get(session, actor, delivery.endpoint_id)
    except NotFound:
        raise NotFound(f"delivery {delivery_id} not found") from None
    return delivery


@dataclass(frozen=True, slots=True)
class DeliveryView:
    delivery: WebhookDelivery
    event: Event
    attempts: list[WebhookAttempt]


def view_of(session: Session, actor: Principal | str, delivery_id: int) -> DeliveryView:
    delivery = get(session, actor, delivery_id)
    event = session.get(Event, delivery.event_id)
    assert event is not None
    attempts = session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == delivery_id)
        .order_by(WebhookAttempt.id)
    )
    return DeliveryView(delivery, event, list(attempts))


def list_for(
    session: Session,
    actor: Principal | str,
    endpoint_id: int,
    *,
    status: str | None = None,
    limit: int = 50,
    before: int | None = None,
) -> list[DeliveryView]:
    """An endpoint's deliveries, newest first, each with its attempts (oldest first)."""
    endpoints.get(session, actor, endpoint_id)
    query = (
        select(WebhookDelivery, Event)
        .join(Event, Event.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if before is not None:
        query = query.where(WebhookDelivery.id < before)
    rows = session.execute(query).all()
    attempts: dict[int, list[WebhookAttempt]] = {}
    if rows:
        for attempt in session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_([d.id for d, _ in rows]))
            .order_by(WebhookAttempt.id)
        ):
            attempts.setdefault(attempt.delivery_id, []).append(attempt)
    return [DeliveryView(d, e, attempts.get(d.id, [])) for d, e in rows]


def counts_by_endpoint(session: Session, endpoint_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Each endpoint's deliveries by status, in one query."""
    found = {e: dict.fromkeys(STATUSES, 0) for e in endpoint_ids}
    if endpoint_ids:
        query = (
            select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count())
            .where(WebhookDelivery.endpoint_id.in_(list(endpoint_ids)))
            .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status)
        )
        for endpoint_id, status, n in session.execute(query):
            found[int(endpoint_id)][str(status)] = int(n)
    return found


def counts_for_property(session: Session, property_id: str) -> dict[str, int] | None:
    """A property's deliveries by status, over all its endpoints (None: it has none)."""
    ids = list(
        session.scalars(
            select(WebhookEndpoint.id).where(WebhookEndpoint.property_id == property_id)
        )
    )
    return counts(session, ids) if ids else None


def counts(session: Session, endpoint_ids: Sequence[int] | None = None) -> dict[str, int]:
    """Deliveries by status (of these endpoints, or all)."""
    query = select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
    if endpoint_ids is not None:
        query = query.where(WebhookDelivery.endpoint_id.in_(list(endpoint_ids)))
    found = {str(status): int(n) for status, n in session.execute(query)}
    return {status: found.get(status, 0) for status in STATUSES}
