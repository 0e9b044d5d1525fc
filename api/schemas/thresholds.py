"""Auto-handling thresholds: reading them, and pinning or unpinning one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from api.schemas.common import Input

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
