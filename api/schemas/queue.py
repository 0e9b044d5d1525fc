"""The human review queue: claiming an item and resolving it with a verdict."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from api.schemas.common import Input
from api.schemas.reviews import ReviewRead


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
