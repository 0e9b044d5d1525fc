"""Health and readiness."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: str


class BacklogRead(BaseModel):
    reviews_received: int = Field(description="Reviews stored, not routed yet")
    oldest_received_seconds: float = Field(description="How long the oldest of them has waited")
    events_unpublished: int = Field(description="Committed events not yet published")
    webhook_deliveries: dict[str, int] = Field(description="Webhook deliveries by status")


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
    backlog: BacklogRead | None = Field(
        default=None, description="Work waiting in the background (None when the database is down)"
    )
