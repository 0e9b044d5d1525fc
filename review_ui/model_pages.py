"""The model registry for trainers (promote, roll back, shadow) and the audit log for
admins. The gate's refusal is a 409 page listing its problems."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from review_ui.pages import PREFIX, ActorDep, IdentityDep, UIRoute, render
from service.web import ServicesDep, SessionDep
from triage.learning import registry, workspace

router = APIRouter(prefix=PREFIX, route_class=UIRoute, include_in_schema=False)
Version = Annotated[str, Path(min_length=1, max_length=128)]
ModelMessage = Annotated[
    Literal["promoted", "rolled_back", "shadow_on", "shadow_off"] | None, Query()
]


@router.get("/models")
def models_page(
    request: Request, who: IdentityDep, session: SessionDep, msg: ModelMessage = None
) -> Response:
    board = workspace.model_board(session, who.principal)
    return render(request, "models.html", identity=who, board=board, msg=msg)


@router.post("/models/{version}/promote")
def promote(
    version: Version,
    session: SessionDep,
    svc: ServicesDep,
    who: ActorDep,
    force_reason: Annotated[str | None, Form(max_length=1000)] = None,
) -> Response:
    registry.promote(
        session,
        who.principal,
        version,
        miss_target=svc.settings.miss_rate_target,
        force_reason=(force_reason or "").strip() or None,
    )
    return RedirectResponse(f"{PREFIX}/models?msg=promoted", status_code=303)


@router.post("/models/rollback")
def rollback(
    session: SessionDep, who: ActorDep, reason: Annotated[str, Form(min_length=1, max_length=1000)]
) -> Response:
    registry.rollback(session, who.principal, reason=reason)
    return RedirectResponse(f"{PREFIX}/models?msg=rolled_back", status_code=303)


@router.post("/models/{version}/shadow")
def shadow(
    version: Version,
    session: SessionDep,
    who: ActorDep,
    on: Annotated[Literal["1", "0"], Form()],
) -> Response:
    registry.set_shadow(session, who.principal, version, on == "1")
    message = "shadow_on" if on == "1" else "shadow_off"
    return RedirectResponse(f"{PREFIX}/models?msg={message}", status_code=303)


@router.get("/audit")
def audit_page(request: Request, who: IdentityDep, session: SessionDep) -> Response:
    events = workspace.audit_events(session, who.principal)
    return render(request, "audit.html", identity=who, events=events)
