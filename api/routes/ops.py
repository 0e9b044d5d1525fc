"""Operations: liveness, readiness, metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from api.deps import ServicesDep
from api.schemas import BacklogRead, Health, Readiness
from api.schemas.ops import EngineRead
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
        model_engine=engine_report(classifier) if classifier else None,
        backlog=waiting,
    )


def engine_report(classifier: object) -> EngineRead | None:
    """What runs the served model's encoder (`models.engines`), if it is the real model."""
    model = getattr(classifier, "inner", classifier)  # behind the batcher
    report = getattr(model, "engine_report", None)
    return EngineRead.model_validate(report.as_dict()) if report is not None else None


@router.get("/metrics", include_in_schema=False)
def metrics(svc: ServicesDep) -> Response:
    return Response(generate_latest(svc.metrics.registry), media_type=CONTENT_TYPE_LATEST)
