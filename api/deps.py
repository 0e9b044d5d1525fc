"""Dependencies: the unit of work, the caller, and the services on app.state."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from triage.access import throttle
from triage.access.accounts import Principal, authenticate_bearer
from triage.core.errors import Unauthenticated
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


def bearer_secret(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("send 'Authorization: Bearer <api key or personal token>'")
    return secret.strip()


def principal(request: Request, svc: ServicesDep) -> Principal:
    """The caller behind the bearer secret, counted against its per-minute rate limit."""
    secret = bearer_secret(request)
    with unit_of_work(svc.sessions) as s:
        found = authenticate_bearer(s, secret)
        caller = f"{'key' if found.kind == 'api_key' else 'user'}:{found.id}"
        throttle.count_request(s, caller, per_minute=svc.settings.rate_limit_per_minute)
        return found


PrincipalDep = Annotated[Principal, Depends(principal)]
