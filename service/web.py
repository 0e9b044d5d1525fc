"""Web plumbing the machine API and the people UI share: the services on app.state and
one unit of work per request."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from triage.core.metrics import Metrics
from triage.core.settings import Settings
from triage.intake.ingest import Ingestor
from triage.intake.model_slot import ModelSlot
from triage.storage.db import unit_of_work


@dataclass
class Services:
    """Everything a request may need; built once in the app's lifespan."""

    settings: Settings
    sessions: sessionmaker[Session]
    model: ModelSlot
    ingestor: Ingestor
    metrics: Metrics
    shadow: ModelSlot  # a candidate scoring beside the active model (empty when none)


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]


def session(svc: ServicesDep) -> Iterator[Session]:
    """One unit of work per request: commit on success, roll back on error."""
    with unit_of_work(svc.sessions) as s:
        yield s


SessionDep = Annotated[Session, Depends(session)]
