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
    model_threads: int = Field(default=2, ge=1, le=64, description="The engine's compute threads.")
    model_engine: Literal[
        "auto", "torch", "onnxruntime", "onnxruntime-int8", "openvino", "openvino-bf16"
    ] = Field(
        default="auto",
        description="What runs the encoder: torch (the reference), or on an export of it built "
        "once per model into the data directory onnxruntime, onnxruntime-int8, openvino or "
        "openvino-bf16; auto times each at start-up and serves the fastest that keeps to the "
        "reference (README, Speed). Reported on /v1/readyz.",
    )
    model_batch: int = Field(
        default=64, ge=1, le=1024, description="Most texts in one shared model batch."
    )
    model_batch_wait_ms: float = Field(
        default=4.0, ge=0, le=1000, description="How long a batch waits for more texts."
    )
    model_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="How much lower the model's CPU priority is than the requests' (Linux "
        "nice increment of its threads): under load, taking reviews in and answering "
        "people come first; 0 for equal priority.",
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
    cookie_secure: bool = Field(
        default=False,
        description="Mark the review UI's session cookie Secure (set it when served over HTTPS).",
    )
    session_idle_minutes: int = Field(
        default=720,
        ge=1,
        le=43_200,
        description="A review UI session ends after this long without a request.",
    )
    spot_check_share: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="Share of auto-handled reviews sampled for a trainer's spot-check.",
    )
    double_label_share: float = Field(
        default=0.1,
        ge=0,
        le=1,
        description="Share of resolved queue items sampled for a second, blind verdict.",
    )
    miss_rate_target: float = Field(
        default=0.01,
        ge=0,
        le=1,
        description="Highest acceptable negative-miss rate: the promotion gate and the "
        "spot-check alert use it.",
    )
    miss_rate_min_checks: int = Field(
        default=20,
        ge=1,
        description="Spot-checks needed before the negative-miss alert may fire.",
    )
    threshold_confidence: float = Field(
        default=0.95,
        ge=0.5,
        lt=1,
        description="Confidence of the guarantee a learned auto-handling threshold keeps: its "
        "one-sided Clopper-Pearson upper bound on the negative-miss rate stays at or under "
        "miss_rate_target (triage.decisions.thresholds).",
    )
    threshold_floor: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="A learned auto-handling threshold never goes below this P(positive).",
    )
    threshold_interval_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How often each process recomputes the learned thresholds (a found miss "
        "tightens at once, on the verdict's own request).",
    )
    model_poll_seconds: float = Field(
        default=5.0,
        gt=0,
        le=3600,
        description="How often each process looks for a promoted or rolled-back model version.",
    )
    recovery_interval_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How often stored-but-unrouted reviews (after a crash) are routed.",
    )

    route_lease_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="How long a process holds a review it is routing; after a crash, another "
        "process (or the restarted one) routes it when this runs out.",
    )
    events_poll_seconds: float = Field(
        default=0.2,
        gt=0,
        le=60,
        description="How often each process looks for committed events to publish (to the "
        "changes feed and the webhook deliveries).",
    )
    events_keep_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="How long published events stay in the changes feed (with their webhook "
        "deliveries and attempts); an event with a delivery still being retried stays.",
    )
    webhook_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=120,
        description="The deadline of one webhook delivery, connection to answer.",
    )
    webhook_ca_file: Path | None = Field(
        default=None,
        description="A PEM file of the certificate authorities to verify webhook receivers "
        "with, instead of the bundled public ones (a receiver with an internal CA).",
    )
    webhook_concurrency: int = Field(
        default=16, ge=1, le=256, description="Webhook deliveries one process sends at once."
    )
    webhook_poll_seconds: float = Field(
        default=1.0, gt=0, le=60, description="How often a process looks for due deliveries."
    )
    webhook_retry_hours: float = Field(
        default=24.0,
        gt=0,
        le=24 * 14,
        description="How long a failing webhook delivery is retried before it is marked "
        "failed (an admin can re-send it).",
    )
    webhook_backoff_seconds: float = Field(
        default=10.0,
        gt=0,
        description="The first retry's backoff ceiling; it doubles with every attempt "
        "(full jitter).",
    )
    webhook_backoff_cap_seconds: float = Field(
        default=3600.0, gt=0, description="The longest wait between two delivery attempts."
    )

    model_kind: Literal["transformer", "keyword"] = Field(
        default="transformer",
        description="transformer: the real model. keyword: the deterministic keyword double "
        "(models.double), for tests and demos only; a registered version's directory then "
        "only names the version (its model.json).",
    )
    rate_limit_per_minute: int = Field(
        default=600,
        ge=0,
        description="Requests per API key or personal token per minute (a fixed window "
        "counted in the database, so it holds across processes); 0 turns it off.",
    )
    signin_failures_per_account: int = Field(
        default=5,
        ge=1,
        description="Failed sign-ins for one e-mail within signin_window_minutes before "
        "further attempts are refused with 429.",
    )
    signin_failures_per_address: int = Field(
        default=20,
        ge=1,
        description="Failed sign-ins from one client address within signin_window_minutes "
        "before further attempts are refused with 429.",
    )
    signin_window_minutes: int = Field(
        default=15, ge=1, le=1440, description="The window the sign-in limits count in."
    )
    retention_days: int | None = Field(
        default=None,
        ge=1,
        description="Anonymise reviews received more than this many days ago (text, guest "
        "e-mail, booking reference, room, metadata); statistics and labels stay. "
        "Default: off.",
    )
    retention_text: Literal["remove", "redact"] = Field(
        default="remove",
        description="What retention does with an old review's text: remove it, or keep it "
        "with its personal data replaced by typed placeholders (staff names too; "
        "triage.privacy.redaction), so statistics and training keep the words. An erasure "
        "request always removes the text.",
    )
    redaction_names: Literal["tagger", "rules"] = Field(
        default="tagger",
        description="How retention (TRIAGE_RETENTION_TEXT=redact) finds people's names: the "
        "rules and the name tagger (models/name_tagger.py, the default; the service loads the "
        "encoder for it on first use, about 500 MB), or the rules alone. The training export "
        "has its own switch (--redact-rules-only).",
    )
    retention_interval_seconds: float = Field(
        default=3600.0, gt=0, description="How often the retention loop runs (when it is on)."
    )

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'triage.db').resolve()}"
