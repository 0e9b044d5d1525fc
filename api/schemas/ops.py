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


class EngineCandidateRead(BaseModel):
    engine: str
    probe_seconds: float | None = Field(
        description="Seconds to read the probe texts (None if not timed)"
    )
    min_cosine: float | None = Field(
        description="Smallest cosine of a probe window's vector to the reference's"
    )
    label_agreement: float | None = Field(
        description="Share of probe windows labelled as the reference labels them"
    )
    refused: str | None = Field(description="Why the engine was not used, if it was refused")
    timed_at: Literal["start-up", "build"] = Field(
        default="start-up",
        description="When probe_seconds was measured: at this start-up, or (torch) when the "
        "engine files were built, its weights not read because it was clearly slower",
    )


class EngineRead(BaseModel):
    engine: str = Field(
        description="torch, onnxruntime, onnxruntime-int8, openvino or openvino-bf16"
    )
    chosen_by: Literal["auto", "setting"]
    candidates: list[EngineCandidateRead]
    files_build_seconds: float | None = Field(
        description="How long building the engine files took (None: no files, or built "
        "before this version recorded it)"
    )


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    database: str
    model: str
    model_version: str | None
    model_engine: EngineRead | None = Field(
        default=None, description="What runs the model's encoder, and how it was chosen"
    )
    backlog: BacklogRead | None = Field(
        default=None, description="Work waiting in the background (None when the database is down)"
    )
