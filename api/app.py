"""The FastAPI application factory. Nothing is built at import time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from api import errors
from api.deps import Services
from api.limits import RequestLimits
from api.routes import ops, queue, reviews
from models import SentimentClassifier
from models.batching import BatchingClassifier
from triage import migrate
from triage.db import make_engine, make_session_factory, unit_of_work
from triage.ingest import Ingestor
from triage.language import warm_up
from triage.metrics import Metrics
from triage.model_slot import ModelSlot
from triage.queue import queue_depth
from triage.settings import Settings

log = logging.getLogger(__name__)


def load_classifier(settings: Settings) -> BatchingClassifier:
    """The real model (the configured model directory on its encoder), batching its callers."""
    from models.default import default_model_dir  # torch-free
    from models.transformer import load_classifier as load  # imports torch

    model = load(
        settings.model_dir or default_model_dir(),
        encoder=settings.encoder,
        cache_dir=settings.data_dir,
        threads=settings.model_threads,
        precision=settings.model_precision,
    )
    return BatchingClassifier(
        model, max_batch=settings.model_batch, max_wait=settings.model_batch_wait_ms / 1000
    )


def create_app(
    settings: Settings | None = None,
    *,
    classifier: SentimentClassifier | None = None,
    migrate_on_start: bool = True,
) -> FastAPI:
    """Build the app. `classifier` replaces loading the configured model (tests, tools)."""
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.effective_database_url)
        if migrate_on_start:
            await run_in_threadpool(migrate.upgrade, engine)
        sessions = make_session_factory(engine)
        metrics = Metrics()
        slot = ModelSlot()
        ingestor = Ingestor(sessions, lambda: slot.current, metrics)

        def depth() -> float:
            with unit_of_work(sessions) as s:
                return float(queue_depth(s))

        metrics.watch_queue_depth(depth)
        app.state.services = Services(settings, sessions, slot, ingestor, metrics)
        await run_in_threadpool(warm_up)
        if classifier is not None:
            slot.use(classifier)
        elif settings.load_model:
            try:
                slot.use(await run_in_threadpool(load_classifier, settings))
                log.info("model %s loaded", slot.current.info.version if slot.current else "?")
            except Exception as error:
                log.exception("the model could not be loaded; every review goes to a person")
                slot.fail(f"{type(error).__name__}: {error}")
        else:
            slot.fail("disabled by TRIAGE_LOAD_MODEL=false")
        recovery = asyncio.create_task(_recover_forever(ingestor, settings))
        try:
            yield
        finally:
            recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await recovery
            if isinstance(slot.current, BatchingClassifier):
                slot.current.close()
            engine.dispose()

    app = FastAPI(
        title="Guest Triage",
        version="0.1.0",
        summary="Guest reviews in, explained routing out, a race-free human review queue.",
        lifespan=lifespan,
    )
    errors.install(app)
    app.add_middleware(RequestLimits, max_bytes=settings.max_body_bytes)
    app.include_router(reviews.router)
    app.include_router(queue.router)
    app.include_router(ops.router)
    return app


async def _recover_forever(ingestor: Ingestor, settings: Settings) -> None:
    """Route reviews a crash left unrouted: once at start, then on a timer."""
    older_than = timedelta(seconds=settings.recovery_interval_seconds)
    first = True
    while True:
        try:
            await run_in_threadpool(ingestor.route_pending, timedelta(0) if first else older_than)
        except Exception:
            log.exception("routing pending reviews failed; will try again")
        first = False
        await asyncio.sleep(settings.recovery_interval_seconds)
