"""Web plumbing the machine API and the people UI share: the services on app.state and
one unit of work per request."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from triage.casework.queue import queue_depth
from triage.core.metrics import Metrics
from triage.core.settings import Settings
from triage.intake.ingest import Ingestor, backlog
from triage.intake.model_slot import ModelSlot
from triage.storage.db import reading, unit_of_work
from triage.webhooks import deliveries


@dataclass
class Services:
    """Everything a request may need; built once in the app's lifespan."""

    settings: Settings
    sessions: sessionmaker[Session]
    model: ModelSlot
    ingestor: Ingestor
    metrics: Metrics
    shadow: ModelSlot  # a candidate scoring beside the active model (empty when none)


async def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]


def session(svc: ServicesDep) -> Iterator[Session]:
    """One unit of work per request: commit on success, roll back on error."""
    with unit_of_work(svc.sessions) as s:
        yield s


SessionDep = Annotated[Session, Depends(session)]


def watch_backlog(metrics: Metrics, sessions: sessionmaker[Session]) -> None:
    """The gauges read from the database on each scrape: open queue items, the routing
    backlog, webhook deliveries by status."""

    def read(what: Callable[[Session], float]) -> Callable[[], float]:
        def value() -> float:
            with reading(sessions) as s:
                return what(s)

        return value

    metrics.watch_queue_depth(read(lambda s: float(queue_depth(s))))
    metrics.ingest_backlog.set_function(read(lambda s: float(backlog(s).reviews)))
    metrics.ingest_backlog_age.set_function(read(lambda s: backlog(s).oldest_seconds))
    for status in deliveries.STATUSES:
        metrics.webhook_deliveries.labels(status=status).set_function(
            read(lambda s, status=status: float(deliveries.counts(s)[status]))  # type: ignore[misc]
        )
