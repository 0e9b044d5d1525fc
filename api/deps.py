"""Dependencies: the caller behind a bearer secret; the services on app.state and the
unit of work per request come from `service.web`, shared with the people UI."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.web import Services, ServicesDep, SessionDep, services, session
from triage.access import throttle
from triage.access.accounts import Principal, authenticate_bearer
from triage.core.errors import Unauthenticated
from triage.storage.db import statements

__all__ = [
    "PrincipalDep",
    "Services",
    "ServicesDep",
    "SessionDep",
    "bearer_secret",
    "principal",
    "services",
    "session",
]


def bearer_secret(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated("send 'Authorization: Bearer <api key or personal token>'")
    return secret.strip()


def principal(request: Request, svc: ServicesDep) -> Principal:
    """The caller behind the bearer secret, counted against its per-minute rate limit."""
    secret = bearer_secret(request)
    with statements(svc.sessions) as s:
        found = authenticate_bearer(s, secret)
        caller = f"{'key' if found.kind == 'api_key' else 'user'}:{found.id}"
        throttle.count_request(s, caller, per_minute=svc.settings.rate_limit_per_minute)
        return found


PrincipalDep = Annotated[Principal, Depends(principal)]
