"""Operations: liveness, readiness, metrics."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from api.deps import ServicesDep
from api.schemas import BacklogRead, Health, Readiness
from triage.events import outbox
from triage.intake.ingest import backlog
from triage.storage.db import reading
from triage.webhooks import deliveries

router = APIRouter(tags=["operations"])


@router.get("/v1/healthz", response_model=Health, summary="The process is up")
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/v1/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Database or model not ready"}},
    summary="Database reachable and model loaded",
)
def readyz(svc: ServicesDep, response: Response) -> Readiness:
    try:
        with reading(svc.sessions) as s:  # never waits for a writer
            s.execute(text("SELECT 1"))
        database = "ok"
    except Exception as error:
        database = f"unavailable: {type(error).__name__}"
    waiting: BacklogRead | None = None
    if database == "ok":
        with reading(svc.sessions) as s:
            found = backlog(s)
            waiting = BacklogRead(
                reviews_received=found.reviews,
                oldest_received_seconds=round(found.oldest_seconds, 3),
                events_unpublished=outbox.unpublished_count(s),
                webhook_deliveries=deliveries.counts(s),
            )
    classifier = svc.model.current
    model = "ok" if classifier else f"unavailable: {svc.model.problem}"
    ready = database == "ok" and classifier is not None
    if not ready:
        response.status_code = 503
    return Readiness(
        status="ready" if ready else "not_ready",
        database=database,
        model=model,
        model_version=classifier.info.version if classifier else None,
        model_encoder=encoder_state(classifier) if classifier else None,
        backlog=waiting,
    )


def encoder_state(classifier: object) -> Literal["compiled", "compiling", "eager"]:
    """Whether the served encoder is compiled (`models.compiled`), compiling, or eager."""
    model = getattr(classifier, "inner", classifier)  # behind the batcher
    compiling = getattr(model, "compiling", None)
    if compiling is None or (compiling.done.is_set() and not compiling.compiled):
        return "eager"
    return "compiled" if compiling.compiled else "compiling"


@router.get("/metrics", include_in_schema=False)
def metrics(svc: ServicesDep) -> Response:
    return Response(generate_latest(svc.metrics.registry), media_type=CONTENT_TYPE_LATEST)
