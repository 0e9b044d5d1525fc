"""ORM tables. API schemas are separate types (in `api.schemas`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from triage.storage.db import Base, UTCDateTime, utcnow

api_key_properties = Table(
    "api_key_properties",
    Base.metadata,
    Column("api_key_id", ForeignKey("api_keys.id", ondelete="CASCADE"), primary_key=True),
    Column("property_id", ForeignKey("properties.id", ondelete="CASCADE"), primary_key=True),
)

user_properties = Table(
    "user_properties",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("property_id", ForeignKey("properties.id", ondelete="CASCADE"), primary_key=True),
)


class Property(Base):
    """A hotel, convention centre or venue. `policy` holds its routing overrides."""

    __tablename__ = "properties"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiKey(Base):
    """A hotel system's key. Only the SHA-256 of the secret is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    properties: Mapped[list[Property]] = relationship(secondary=api_key_properties, lazy="raise")


class User(Base):
    """A person: agent, trainer or admin, scoped to properties."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    properties: Mapped[list[Property]] = relationship(secondary=user_properties, lazy="raise")


class UserToken(Base):
    """A personal API token of a user. Only the SHA-256 of the secret is stored."""

    __tablename__ = "user_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Review(Base):
    """A guest's review with its routing decision (once routed)."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("property_id", "source", "external_id"),
        Index("ix_reviews_property_id_id", "property_id", "id"),
        Index("ix_reviews_status_id", "status", "id"),
        Index("ix_reviews_property_id_route_received_at", "property_id", "route", "received_at"),
        Index("ix_reviews_property_id_received_at", "property_id", "received_at"),
        Index("ix_reviews_property_id_guest_email", "property_id", "guest_email"),
        Index(
            "ix_reviews_property_id_language_threshold_group",
            "property_id",
            "language",
            "threshold_group",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"))
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(200))
    text: Mapped[str | None] = mapped_column(Text)
    rating_value: Mapped[float | None] = mapped_column(Float)
    rating_scale: Mapped[int | None] = mapped_column(Integer)
    language_hint: Mapped[str | None] = mapped_column(String(16))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stay_from: Mapped[date | None] = mapped_column(Date)
    stay_to: Mapped[date | None] = mapped_column(Date)
    room: Mapped[str | None] = mapped_column(String(64))
    segment: Mapped[str | None] = mapped_column(String(32))
    booking_reference: Mapped[str | None] = mapped_column(String(128), index=True)
    guest_email: Mapped[str | None] = mapped_column(String(320))
    extra: Mapped[dict[str, Any] | None] = mapped_column("metadata", JSON)
    # The decision; filled when the review is routed.
    status: Mapped[str] = mapped_column(String(16), default="received")
    language: Mapped[str | None] = mapped_column(String(16))
    route: Mapped[str | None] = mapped_column(String(8))
    reasons: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    priority: Mapped[int | None] = mapped_column(Integer)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sentiment_label: Mapped[str | None] = mapped_column(String(16))
    sentiment_probabilities: Mapped[dict[str, float] | None] = mapped_column(JSON)
    sentences: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    model_version: Mapped[str | None] = mapped_column(String(128))
    routed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The calibrated P(positive) the auto threshold was compared with, when nothing but the
    # threshold stood between the review and automatic handling, and which threshold group
    # applied (`triage.decisions.routing.Decision`): what threshold learning reads.
    auto_score: Mapped[float | None] = mapped_column(Float)
    threshold_group: Mapped[str | None] = mapped_column(String(16))
    # The departments of the review's negative touchpoints (`triage.journeys.journey`).
    departments: Mapped[list[str] | None] = mapped_column(JSON)
    # When retention or an erasure request removed the guest's words and details.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Until when a process is routing this `received` review (none: any process may take it
    # now); after a crash the lease runs out and another process routes it.
    route_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QueueItem(Base):
    """A review waiting for (or handled by) a person. Claimed while its lease runs."""

    __tablename__ = "queue_items"
    __table_args__ = (
        Index(
            "ix_queue_items_open",
            "property_id",
            "priority",
            "due_at",
            "id",
            sqlite_where=text("state = 'open'"),
            postgresql_where=text("state = 'open'"),
        ),
        Index("ix_queue_items_property_id_state", "property_id", "state"),
        Index("ix_queue_items_property_id_created_at", "property_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    property_id: Mapped[str] = mapped_column(ForeignKey("properties.id"))
    state: Mapped[str] = mapped_column(String(16), default="open")
    priority: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    action: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    # Why a person put the item here (e.g. `pulled_back`), and who; None for routed items.
    origin: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # `property:<id>` or `department:<name>`; the last escalation wins, the claim is released.
    escalated_to: Mapped[str | None] = mapped_column(String(96))
    escalated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Label(Base):
    """A human verdict on a review's sentiment, with its provenance. Never overwritten."""

    __tablename__ = "labels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    label: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    model_version: Mapped[str | None] = mapped_column(String(128))
    predicted_label: Mapped[str | None] = mapped_column(String(16))
    predicted_probabilities: Mapped[dict[str, float] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    # An adjudication that belongs to the frozen gold set (never exported for training).
    gold: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


class WebSession(Base):
    """A signed-in browser. Only the SHA-256 of the cookie's secret is stored."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ModelVersion(Base):
    """A model directory in the registry: a candidate, the active version, or retired."""

    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(128), unique=True)
    path: Mapped[str] = mapped_column(String(1000))
    state: Mapped[str] = mapped_column(String(16), index=True)
    shadow: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    shadow_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    trained_on: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The version this one replaced when it was promoted (where a rollback goes).
    previous_version: Mapped[str | None] = mapped_column(String(128))


class ShadowPrediction(Base):
    """A shadow candidate's prediction for a review; never used for routing."""

    __tablename__ = "shadow_predictions"
    __table_args__ = (UniqueConstraint("review_id", "model_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    model_version: Mapped[str] = mapped_column(String(128))
    label: Mapped[str] = mapped_column(String(16))
    probabilities: Mapped[dict[str, float]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEvent(Base):
    """Who did what and when (sign-ins, verdicts, relabels, thresholds, keys, promotions)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(320))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64), index=True)
    property_id: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class RateWindow(Base):
    """Requests one caller made in one fixed window (per-key rate limit across processes)."""

    __tablename__ = "rate_windows"

    caller: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class SignInFailure(Base):
    """A failed sign-in: the account tried and the client address (for throttling)."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        Index("ix_sign_in_failures_account_at", "account", "at"),
        Index("ix_sign_in_failures_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    account: Mapped[str] = mapped_column(String(320))
    address: Mapped[str] = mapped_column(String(64))


class ReviewTouchpoint(Base):
    """One touchpoint of a routed review and its sentiment there: the journey statistics."""

    __tablename__ = "review_touchpoints"
    __table_args__ = (
        Index("ix_review_touchpoints_property_id_received_at", "property_id", "received_at"),
        Index(
            "ix_review_touchpoints_property_id_sentiment_received_at",
            "property_id",
            "sentiment",
            "received_at",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    property_id: Mapped[str] = mapped_column(String(64))
    touchpoint: Mapped[str] = mapped_column(String(32))
    sentiment: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    route: Mapped[str] = mapped_column(String(8))


class TouchpointLabel(Base):
    """A trainer's touchpoints for one sentence of a review (never overwritten)."""

    __tablename__ = "touchpoint_labels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    touchpoints: Mapped[list[str]] = mapped_column(JSON)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    role: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TouchpointDay(Base):
    """Touchpoint mentions per property, day, touchpoint, sentiment and route: the journey
    dashboard reads these counts (kept up to date at routing), not every review."""

    __tablename__ = "touchpoint_days"

    property_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    touchpoint: Mapped[str] = mapped_column(String(32), primary_key=True)
    sentiment: Mapped[str] = mapped_column(String(16), primary_key=True)
    route: Mapped[str] = mapped_column(String(8), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class LearnedThreshold(Base):
    """The auto-handling threshold learned for one property, language and threshold group
    (`triage.decisions.thresholds`), the evidence behind it, and an admin's pin.

    `value` is what the labels support for `model_version` (None before the first
    computation); `source` says whether that is the start (`model`) or `learned`. A
    pinned value overrides it in routing. `revision` grows with every change of `value`,
    so concurrent computations in several processes change it (and audit it) once.
    """

    __tablename__ = "learned_thresholds"

    property_id: Mapped[str] = mapped_column(
        ForeignKey("properties.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    group: Mapped[str] = mapped_column("threshold_group", String(16), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16), default="model")
    model_version: Mapped[str | None] = mapped_column(String(128))
    #: where the computation started: the model's threshold (top rating: the default group's)
    start: Mapped[float | None] = mapped_column(Float)
    #: labelled reviews at or above `value`, must-see among them, and the upper bound there
    n: Mapped[int] = mapped_column(Integer, default=0)
    misses: Mapped[int] = mapped_column(Integer, default=0)
    upper: Mapped[float | None] = mapped_column(Float)
    #: labelled reviews considered, and the newest label id among them (skip when unchanged)
    labelled: Mapped[int] = mapped_column(Integer, default=0)
    last_label_id: Mapped[int] = mapped_column(Integer, default=0)
    explanation: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pinned_value: Mapped[float | None] = mapped_column(Float)
    pinned_by: Mapped[str | None] = mapped_column(String(320))
    pinned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def pinned(self) -> bool:
        return self.pinned_value is not None


class Event(Base):
    """A change a hotel system may want to hear about (`triage.events.outbox`): written in
    the transaction of the change itself, so a rolled-back change leaves none.

    `seq` is given when the event is published, one publisher at a time, so the order of
    `seq` is the order of the commits a poller sees (`GET /v1/events?after=`); webhook
    deliveries are made at the same time."""

    __tablename__ = "events"
    __table_args__ = (
        Index(
            "ix_events_unpublished",
            "id",
            sqlite_where=text("seq IS NULL"),
            postgresql_where=text("seq IS NULL"),
        ),
        Index("ix_events_property_id_seq", "property_id", "seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    #: None for events of the whole installation (`model.promoted`)
    property_id: Mapped[str | None] = mapped_column(String(64))
    review_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    seq: Mapped[int | None] = mapped_column(Integer, unique=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookEndpoint(Base):
    """A URL an admin registered for one property's events, with the secret that signs them."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    property_id: Mapped[str] = mapped_column(
        ForeignKey("properties.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(200))
    events: Mapped[list[str]] = mapped_column(JSON)
    #: HMAC key of the signatures; shown once at creation and at rotation
    secret: Mapped[str] = mapped_column(String(128))
    #: the secret was made for a page that has not shown it yet (the UI shows it after a
    #: redirect, once: `triage.webhooks.endpoints.secret_to_show`)
    secret_unseen: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: an admin allowed a private, loopback or link-local address (else refused)
    allow_private: Mapped[bool] = mapped_column(Boolean, default=False)
    #: an admin asked for the people's notes in its deliveries redacted
    #: (`triage.webhooks.deliveries.body_of`)
    redact_notes: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One event for one endpoint: pending until its receiver answers 2xx, retried with
    backoff, failed after the retry window. `sending` holds a lease (`lease_until`)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_id_review_id_seq", "endpoint_id", "review_id", "seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    #: the event's review and seq: deliveries of one review go out in order
    review_id: Mapped[int | None] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: until when it is retried: created_at plus the retry window, renewed by a re-send
    give_up_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(300))


class WebhookAttempt(Base):
    """One try at a delivery: when, what the receiver answered (status, never its body)."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))
    duration_ms: Mapped[int] = mapped_column(Integer)
    #: who asked for it: `schedule`, or `resend:<actor>`
    trigger: Mapped[str] = mapped_column(String(64), default="schedule")
