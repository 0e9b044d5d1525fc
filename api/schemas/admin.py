"""Admin: the audit trail and guests' erasure requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

from api.schemas.common import Input, no_nul


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

    _erasure_no_nul = field_validator("booking_reference", "email")(no_nul)

    @model_validator(mode="after")
    def _exactly_one(self) -> ErasureCreate:
        if (self.booking_reference is None) == (self.email is None):
            raise ValueError("give exactly one of booking_reference or email")
        return self


class ErasureRead(BaseModel):
    property_id: str
    anonymised_review_ids: list[int]
