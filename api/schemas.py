"""HTTP schemas: what hotel systems and agents send and get back. Separate from the ORM."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

MAX_TEXT = 20_000
MAX_METADATA_BYTES = 8_192
MAX_METADATA_DEPTH = 4
MAX_METADATA_KEYS = 50
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: NUL as JSON writes it: `\u0000` not itself escaped (`\\u0000` is a backslash and text).
_ESCAPED_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def _representable_in_utc(value: datetime) -> datetime:
    """Refuse times that exist only in their own zone (e.g. year 1 at +05:00)."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("must be a time that can be expressed in UTC") from None
    return value


#: A timestamp with a time zone that converts to UTC (the database stores UTC).
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_representable_in_utc)]


def _no_nul(value: str | None, info: ValidationInfo) -> str | None:
    """PostgreSQL text cannot hold NUL; refuse it as a rule, not a 500."""
    if value is not None and "\x00" in value:
        raise ValueError(f"{info.field_name} must not contain NUL characters")
    return value


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


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

    _guest_no_nul = field_validator("room", "booking_reference", "email")(_no_nul)

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

    _property_no_nul = field_validator("property_id")(_no_nul)

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


class ProblemRead(BaseModel):
    """An RFC 9457 problem: what went wrong and, per field, which rule was broken."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] = []


class BatchItemResult(BaseModel):
    index: int
    status: int
    review: ReviewRead | None = None
    error: ProblemRead | None = None


class BatchResult(BaseModel):
    created: int
    existing: int
    failed: int
    results: list[BatchItemResult]


class ClaimRequest(Input):
    property_id: str | None = Field(default=None, max_length=64)


class VerdictCreate(Input):
    label: Literal["negative", "neutral", "positive"] = Field(
        description="The correct sentiment (agreeing with the model or correcting it)."
    )
    action: Literal["replied", "compensated", "forwarded", "no_action"]
    note: str | None = Field(default=None, max_length=4_000)

    @field_validator("note")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("note must not contain NUL characters")
        return value


class QueuePage(BaseModel):
    items: list[ReviewRead]
    total: int


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    database: str
    model: str
    model_version: str | None
    model_encoder: Literal["compiled", "compiling", "eager"] | None = Field(
        default=None,
        description="How the model's encoder runs: compiled (torch.compile), still compiling "
        "in the background (the eager encoder serves meanwhile), or eager.",
    )


class AuditEventRead(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    property_id: str | None
    subject: str | None
    details: dict[str, Any] | None


class AuditPage(BaseModel):
    items: list[AuditEventRead]
    next_before_id: int | None = Field(
        description="Pass as `before_id` for the next (older) page; null on the last page."
    )


class ErasureCreate(Input):
    """A guest's erasure request: exactly one of booking_reference or email."""

    property_id: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    booking_reference: str | None = Field(default=None, min_length=1, max_length=128)
    email: str | None = Field(default=None, min_length=3, max_length=320)

    _erasure_no_nul = field_validator("booking_reference", "email")(_no_nul)

    @model_validator(mode="after")
    def _exactly_one(self) -> ErasureCreate:
        if (self.booking_reference is None) == (self.email is None):
            raise ValueError("give exactly one of booking_reference or email")
        return self


class ErasureRead(BaseModel):
    property_id: str
    anonymised_review_ids: list[int]


PropertyId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
ThresholdLanguage = Annotated[str, Field(min_length=2, max_length=8, pattern=r"^[a-z]+$")]


class ThresholdKey(Input):
    """One auto-handling threshold: a property's reviews in one language and group."""

    property_id: PropertyId
    language: ThresholdLanguage = Field(description="e.g. de or en")
    group: Literal["default", "top_rating"] = Field(
        description="top_rating: reviews rated at or above the policy's high rating whose "
        "text reads positive with no negative passage; default: the others."
    )


class ThresholdPinCreate(ThresholdKey):
    value: float = Field(ge=0, le=1, description="The P(positive) to pin, 0 to 1.")


class ThresholdRead(BaseModel):
    """A threshold in force, where it comes from, and the evidence behind the learned one."""

    property_id: str
    language: str
    group: str
    value: float = Field(description="The threshold routing uses now.")
    source: Literal["model", "learned", "pinned"]
    pinned_by_policy: bool = Field(
        description="Pinned by the property's policy `auto_threshold` (every language)."
    )
    model_default: float = Field(description="The model's threshold for the language.")
    model_version: str | None = Field(description="The model the learned value is for.")
    learned: float | None = Field(description="What the labels support (also when pinned).")
    n: int = Field(description="Labelled reviews at or above the learned value.")
    misses: int = Field(description="Of them, labelled negative (missed complaints).")
    upper: float | None = Field(description="Upper confidence bound of the miss rate there.")
    labelled: int = Field(description="Labelled reviews considered.")
    explanation: str | None = Field(description="The last change, in a sentence.")
    changed_at: datetime | None
    pinned_value: float | None
    pinned_by: str | None
    pinned_at: datetime | None


class ThresholdList(BaseModel):
    items: list[ThresholdRead]
    target: float = Field(description="The miss-rate target (TRIAGE_MISS_RATE_TARGET).")
    confidence: float = Field(description="The guarantee's confidence.")
