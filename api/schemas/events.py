"""Events (the changes feed) and webhook endpoints with their deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

EventType = Literal[
    "review.routed", "review.claimed", "review.resolved", "review.escalated", "model.promoted"
]


class EventRead(BaseModel):
    """One event, as the changes feed lists it and as a webhook's body carries it."""

    id: str = Field(description="Unique; a delivery of the same event again has the same id")
    type: EventType
    created_at: datetime
    property_id: str | None = Field(description="None for events of the whole installation")
    sequence: int = Field(description="Publication order; the feed's cursor")
    data: dict[str, Any]


class EventPage(BaseModel):
    events: list[EventRead]
    next_cursor: str = Field(description="Pass as `after` to read on (the same when empty)")


WebhookUrl = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class WebhookCreate(BaseModel):
    property_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    url: WebhookUrl
    events: list[EventType] | None = Field(
        default=None, min_length=1, description="Default: every event type"
    )
    description: Annotated[str, StringConstraints(max_length=200)] | None = None
    enabled: bool = True
    allow_private: bool = Field(
        default=False,
        description="Allow a private, loopback or link-local address (refused otherwise)",
    )
    redact_notes: bool = Field(
        default=False,
        description="Redact personal data (names, staff names, phone numbers, e-mail, ...) "
        "in the people's notes of every delivery to this endpoint",
    )


class WebhookUpdate(BaseModel):
    url: WebhookUrl | None = None
    events: list[EventType] | None = Field(default=None, min_length=1)
    description: Annotated[str, StringConstraints(max_length=200)] | None = None
    enabled: bool | None = None
    allow_private: bool | None = None
    redact_notes: bool | None = None


class WebhookRead(BaseModel):
    id: int
    property_id: str
    url: str
    description: str | None
    events: list[str]
    enabled: bool
    allow_private: bool
    redact_notes: bool
    created_by: str
    created_at: datetime
    updated_at: datetime
    deliveries: dict[str, int] = Field(description="This endpoint's deliveries by status")
    secret: str | None = Field(
        default=None,
        description="The signing secret: only in the answer that made it (creation, rotation)",
    )


class WebhookList(BaseModel):
    items: list[WebhookRead]


class AttemptRead(BaseModel):
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    trigger: str


class DeliveryRead(BaseModel):
    id: int
    endpoint_id: int
    event_id: str
    event_type: str
    review_id: int | None
    status: Literal["pending", "sending", "delivered", "failed"]
    attempts: list[AttemptRead]
    next_attempt_at: datetime | None
    give_up_at: datetime
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None
