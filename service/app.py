"""The composition root: `create_app(settings)` builds the one FastAPI app (the machine
API under /v1, the people UI under /ui) and its lifespan (engine, model slot, background
work). Nothing is built at import time. Only entry points import this module."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from api import errors
from api.limits import RequestLimits
from api.routes import admin, events, ops, queue, reviews, thresholds
from models import SentimentClassifier
from models.batching import BatchingClassifier
from models.default import default_model_dir
from models.double import KeywordClassifier
from review_ui.web import install as install_review_ui
from service import background
from service.background import Loader, ModelFollower
from service.model_loading import load_classifier, load_keyword_double
from service.web import Services, watch_backlog
from triage.core.metrics import Metrics
from triage.core.settings import Settings
from triage.intake.ingest import Ingestor
from triage.intake.language import warm_up
from triage.intake.model_slot import ModelSlot
from triage.storage import migrate
from triage.storage.db import make_engine, make_session_factory

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    classifier: SentimentClassifier | None = None,
    loader: Loader | None = None,
    migrate_on_start: bool = True,
) -> FastAPI:
    """Build the app.

    `classifier` replaces loading the configured model (tests, tools); `loader` loads a
    model directory (default: the real model, unless `classifier` is given). With a
    loader, the app follows the model registry: it starts on the active version and
    switches when another is promoted or rolled back.
    """
    settings = settings or Settings()
    if loader is None and classifier is None:
        if settings.model_kind == "keyword":
            loader = load_keyword_double
        else:
            loader = functools.partial(load_classifier, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.effective_database_url)
        if migrate_on_start:
            await run_in_threadpool(migrate.upgrade, engine)
        sessions = make_session_factory(engine)
        metrics = Metrics()
        slot = ModelSlot()
        ingestor = Ingestor(
            sessions,
            lambda: slot.current,
            metrics,
            route_lease=timedelta(seconds=settings.route_lease_seconds),
        )
        wake_router = asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_backlog() -> None:  # from a request's worker thread
            loop.call_soon_threadsafe(wake_router.set)

        ingestor.on_backlog = on_backlog
        watch_backlog(metrics, sessions)
        svc = Services(settings, sessions, slot, ingestor, metrics, ModelSlot())
        app.state.services = svc
        await run_in_threadpool(warm_up)
        if classifier is not None:
            slot.use(classifier)
        elif not settings.load_model:
            slot.fail("disabled by TRIAGE_LOAD_MODEL=false")
        if loader is not None and settings.load_model:
            follower = ModelFollower(svc, loader)
            active = await run_in_threadpool(follower.registry_active)
            try:
                if active is not None:
                    await run_in_threadpool(follower.step)  # the registry's active version
                    if slot.current is None:
                        raise RuntimeError(f"the active version {active[0]} did not load")
                elif classifier is None and settings.model_kind == "keyword":
                    slot.use(KeywordClassifier())  # not the bundled model's directory
                elif classifier is None:
                    slot.use(
                        await run_in_threadpool(loader, settings.model_dir or default_model_dir())
                    )
                log.info("model %s loaded", slot.current.info.version if slot.current else "?")
            except Exception as error:
                log.exception("the model could not be loaded; every review goes to a person")
                slot.fail(f"{type(error).__name__}: {error}")
        background.freeze_heap()
        tasks = [
            asyncio.create_task(loop)
            for loop in background.loops(svc, loader if settings.load_model else None, wake_router)
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            _, running = await asyncio.wait(tasks, timeout=30)
            for task in running:  # never seen since `service.waiting`; a stop must not hang
                log.error("a background loop did not stop: %r", task.get_coro())
            for used in (slot.current, svc.shadow.current):
                if isinstance(used, BatchingClassifier):
                    used.close()
            engine.dispose()

    app = FastAPI(
        title="Guest Triage",
        version="0.1.0",
        summary="Guest reviews in, explained routing out, a race-free human review queue.",
        lifespan=lifespan,
    )
    # problem+json for every error no page turned into HTML; limits on every request.
    errors.install(app)
    app.add_middleware(RequestLimits, max_bytes=settings.max_body_bytes)
    # The machine API ...
    for api_routes in (reviews, queue, ops, admin, thresholds, events):
        app.include_router(api_routes.router)
    # ... and the people UI, in one app; neither knows the other.
    install_review_ui(app)
    return app
