"""Reviews: what a hotel system posts (one or a batch) and what it reads back."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from api.schemas.common import Input, ProblemRead, UtcDatetime, no_nul
from triage.intake.ingest import NewReview

MAX_TEXT = 20_000
MAX_METADATA_BYTES = 8_192
MAX_METADATA_DEPTH = 4
MAX_METADATA_KEYS = 50
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: NUL as JSON writes it: `\u0000` not itself escaped (`\\u0000` is a backslash and text).
_ESCAPED_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


class Rating(Input):
    """A star or score rating on its own scale, e.g. 2 of 5 or 7.5 of 10."""

    value: float = Field(ge=0, description="The rating given, 0 to `scale`.")
    scale: int = Field(ge=1, le=100, description="The best possible rating, e.g. 5, 10 or 100.")

    @model_validator(mode="after")
    def _within_scale(self) -> Rating:
        if self.value > self.scale:
            raise ValueError("value must not exceed scale")
        return self


Segment = Literal["leisure", "business", "meetings_events", "group", "other"]


class GuestContext(Input):
    """The guest's situation, as far as the hotel system knows it."""

    stay_from: date | None = None
    stay_to: date | None = None
    room: str | None = Field(default=None, min_length=1, max_length=64)
    segment: Segment | None = None
    booking_reference: str | None = Field(default=None, min_length=1, max_length=128)
    email: str | None = Field(
        default=None,
        max_length=320,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="Used only to find a guest's reviews for erasure requests.",
    )

    _guest_no_nul = field_validator("room", "booking_reference", "email")(no_nul)

    @model_validator(mode="after")
    def _dates_in_order(self) -> GuestContext:
        if self.stay_from and self.stay_to and self.stay_to < self.stay_from:
            raise ValueError("stay_to must not be before stay_from")
        return self


def _depth(value: Any, limit: int) -> int:
    """How deep dicts and lists nest; stops counting past `limit` (no recursion)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, level = stack.pop()
        if isinstance(current, dict | list):
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            children = current.values() if isinstance(current, dict) else current
            stack.extend((child, level + 1) for child in children)
    return deepest


class ReviewCreate(Input):
    """A review as a hotel system posts it."""

    property_id: str = Field(min_length=1, max_length=64, examples=["demo-hotel"])
    external_id: str = Field(
        min_length=1, max_length=200, description="The review's id in the sending system."
    )
    source: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[a-z0-9][a-z0-9_.-]*$",
        description="Where the review came from: tripadvisor, google, booking, survey, email ...",
        examples=["google"],
    )
    text: str = Field(min_length=1, max_length=MAX_TEXT, description="The guest's words.")
    rating: Rating | None = None
    language: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$",
        description="Language hint (de or en); trusted unless the text is clearly another.",
    )
    submitted_at: UtcDatetime | None = None
    guest: GuestContext | None = None
    metadata: dict[str, Any] | None = Field(
        default=None,
        description=f"Free key/value data: at most {MAX_METADATA_KEYS} keys, "
        f"{MAX_METADATA_DEPTH} levels, {MAX_METADATA_BYTES} bytes as JSON.",
    )

    @field_validator("text")
    @classmethod
    def _readable_text(cls, value: str) -> str:
        if "\x00" in value:
            raise ValueError("text must not contain NUL characters")
        if not value.strip():
            raise ValueError("text must contain more than white space")
        return value

    _property_no_nul = field_validator("property_id")(no_nul)

    @field_validator("external_id")
    @classmethod
    def _printable_id(cls, value: str) -> str:
        if _CONTROL.search(value) or not value.strip():
            raise ValueError("external_id must be printable text")
        return value

    @field_validator("metadata")
    @classmethod
    def _bounded_metadata(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        if len(value) > MAX_METADATA_KEYS:
            raise ValueError(f"metadata may have at most {MAX_METADATA_KEYS} keys")
        if _depth(value, MAX_METADATA_DEPTH) > MAX_METADATA_DEPTH:
            raise ValueError(f"metadata may nest at most {MAX_METADATA_DEPTH} levels")
        try:
            encoded = json.dumps(value, ensure_ascii=False, allow_nan=False)
        except ValueError:
            raise ValueError("metadata must not contain NaN or Infinity") from None
        if _ESCAPED_NUL.search(encoded):
            raise ValueError("metadata must not contain NUL characters")
        if len(encoded.encode()) > MAX_METADATA_BYTES:
            raise ValueError(f"metadata may take at most {MAX_METADATA_BYTES} bytes as JSON")
        return value


class BatchCreate(BaseModel):
    """Up to 500 reviews (the server's `TRIAGE_MAX_BATCH`); each is checked on its own."""

    model_config = ConfigDict(extra="forbid")
    reviews: list[dict[str, Any]] = Field(min_length=1)


class ReasonRead(BaseModel):
    code: str
    explanation: str
    evidence: dict[str, Any] | None = None


class Probabilities(BaseModel):
    negative: float
    neutral: float
    positive: float


class SentimentRead(BaseModel):
    label: Literal["negative", "neutral", "positive"]
    probabilities: Probabilities


class SentenceRead(BaseModel):
    start: int
    end: int
    label: Literal["negative", "neutral", "positive"]
    probabilities: Probabilities
    touchpoints: list[str] = Field(default_factory=list)


class SpanRead(BaseModel):
    start: int
    end: int


class TouchpointRead(BaseModel):
    """A guest-journey touchpoint the review is about, its sentiment there, and the
    sentences (character spans of `text`) that say so."""

    touchpoint: str = Field(description="A stable code, e.g. breakfast, cleanliness, check_in")
    sentiment: Literal["negative", "neutral", "positive"]
    sentences: list[SpanRead]


class QueueState(BaseModel):
    item_id: int
    state: Literal["open", "resolved"]
    claimed_by: int | None
    lease_expires_at: datetime | None
    resolved_at: datetime | None
    action: str | None
    note: str | None


class ReviewRead(BaseModel):
    id: int
    property_id: str
    source: str
    external_id: str
    status: Literal["received", "auto_handled", "queued", "claimed", "resolved"]
    route: Literal["auto", "human"] | None
    reasons: list[ReasonRead]
    priority: int | None
    due_at: datetime | None
    language: str | None
    sentiment: SentimentRead | None
    sentences: list[SentenceRead]
    touchpoints: list[TouchpointRead] = Field(default_factory=list)
    departments: list[str] = Field(
        default_factory=list,
        description="Departments that should act: those of the negative touchpoints",
    )
    model_version: str | None
    text: str | None
    rating: Rating | None
    guest: GuestContext | None
    metadata: dict[str, Any] | None
    submitted_at: datetime | None
    received_at: datetime
    routed_at: datetime | None
    queue: QueueState | None


class ReviewPage(BaseModel):
    items: list[ReviewRead]
    next_cursor: str | None


class ReviewAccepted(BaseModel):
    """The answer to an asynchronous ingest (`Prefer: respond-async`): the review is stored
    and will be routed in the background; its URL tells how it went (and webhooks and
    the changes feed say when)."""

    id: int
    url: str
    status: Literal["received", "auto_handled", "queued", "claimed", "resolved"]
    created: bool


class BatchItemResult(BaseModel):
    index: int
    status: int
    review: ReviewRead | None = None
    accepted: ReviewAccepted | None = Field(
        default=None, description="With Prefer: respond-async, instead of `review`"
    )
    error: ProblemRead | None = None


class BatchResult(BaseModel):
    created: int
    existing: int
    failed: int
    results: list[BatchItemResult]
    status: Literal["routed", "received"] = Field(
        default="routed",
        description="routed: every review was routed before the answer; received (with "
        "Prefer: respond-async): stored, routed in the background",
    )


def to_new_review(body: ReviewCreate) -> NewReview:
    """The review as the domain's ingest takes it (the API and `triage import` alike)."""
    guest = body.guest
    return NewReview(
        property_id=body.property_id,
        source=body.source,
        external_id=body.external_id,
        text=body.text,
        rating_value=body.rating.value if body.rating else None,
        rating_scale=body.rating.scale if body.rating else None,
        language_hint=body.language,
        submitted_at=body.submitted_at,
        stay_from=guest.stay_from if guest else None,
        stay_to=guest.stay_to if guest else None,
        room=guest.room if guest else None,
        segment=guest.segment if guest else None,
        booking_reference=guest.booking_reference if guest else None,
        guest_email=guest.email if guest else None,
        metadata=body.metadata,
    )
