"""The one settings object. Nothing else reads the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration from `TRIAGE_*` environment variables (documented in the README)."""

    model_config = SettingsConfigDict(env_prefix="TRIAGE_", extra="ignore")

    data_dir: Path = Field(
        default=Path("var"),
        description="Where the default SQLite file and the rebuilt encoder cache live.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default sqlite:///<data_dir>/triage.db. "
        "PostgreSQL: postgresql+psycopg://user@host/db",
    )
    model_dir: Path | None = Field(
        default=None, description="Model directory to serve; default: the bundled default model."
    )
    encoder: str | None = Field(
        default=None,
        description="Override the model's encoder: a transformers checkpoint name or path.",
    )
    model_threads: int = Field(default=2, ge=1, le=64, description="torch intra-op threads.")
    model_precision: Literal["auto", "fp32", "bf16", "int8"] = Field(
        default="auto",
        description="The encoder's arithmetic: auto = bf16 where the CPU has AVX512-BF16 or "
        "AMX (about 2.9x faster, no measurable accuracy cost), else fp32; int8 is faster "
        "still but costs accuracy (README).",
    )
    model_batch: int = Field(
        default=64, ge=1, le=1024, description="Most texts in one shared model batch."
    )
    model_batch_wait_ms: float = Field(
        default=4.0, ge=0, le=1000, description="How long a batch waits for more texts."
    )
    load_model: bool = Field(
        default=True,
        description="Load the sentiment model at start-up. False: every review goes to a human.",
    )
    lease_seconds: int = Field(
        default=900, ge=10, le=86_400, description="How long a claim holds a queue item."
    )
    max_body_bytes: int = Field(
        default=2_000_000, ge=10_000, description="Largest request body accepted."
    )
    max_batch: int = Field(default=500, ge=1, le=5_000, description="Largest ingest batch.")
    recovery_interval_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How often stored-but-unrouted reviews (after a crash) are routed.",
    )

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'triage.db').resolve()}"
