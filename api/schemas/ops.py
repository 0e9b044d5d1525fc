"""Health and readiness."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


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
