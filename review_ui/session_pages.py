"""Sign in with e-mail and password; sign out."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from review_ui.pages import (
    PREFIX,
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    ActorDep,
    UIRoute,
    identity,
    render,
)
from service.web import ServicesDep, SessionDep
from triage.access import throttle
from triage.access.web_sessions import end_session, sign_in
from triage.core.errors import Forbidden, RateLimited, Unauthenticated

router = APIRouter(prefix=PREFIX, route_class=UIRoute, include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only a path inside the UI: never another site (open redirect)."""
    if target and target.startswith(f"{PREFIX}/") and "\\" not in target and "//" not in target:
        return target
    return f"{PREFIX}/queue"


def _signin_page(
    request: Request, next_: str, *, status: int = 200, notice: str | None = None
) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(
        request, "signin.html", status=status, signin_csrf=token, next=next_, notice=notice
    )
    response.set_cookie(
        SIGNIN_COOKIE, token, httponly=True, samesite="strict", path=f"{PREFIX}/signin"
    )
    return response


@router.get("/signin")
def signin_form(
    request: Request,
    session: SessionDep,
    svc: ServicesDep,
    next: Annotated[str | None, Query(max_length=500)] = None,
    expired: Annotated[int | None, Query(ge=0, le=1)] = None,
    out: Annotated[int | None, Query(ge=0, le=1)] = None,
) -> Response:
    try:
        identity(request, session, svc)
        return RedirectResponse(_safe_next(next), status_code=303)
    except Unauthenticated:
        pass
    notice = "signin.expired" if expired else "signin.signed_out" if out else None
    return _signin_page(request, _safe_next(next), notice=notice)


@router.post("/signin")
def signin(
    request: Request,
    session: SessionDep,
    svc: ServicesDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str, Form(max_length=100)],
    next: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    expected = request.cookies.get(SIGNIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf):
        raise Forbidden("the sign-in form has expired; reload the page and try again")
    address = request.client.host if request.client else "unknown"
    limits = throttle.SignInLimits(
        per_account=svc.settings.signin_failures_per_account,
        per_address=svc.settings.signin_failures_per_address,
        window=timedelta(minutes=svc.settings.signin_window_minutes),
    )
    # A refusal is rendered, not raised: the unit of work then commits the failure's
    # count and its audit row (an error would roll them back).
    try:
        secret = sign_in(session, email, password, address=address, limits=limits)
    except RateLimited as refused:
        page = _signin_page(request, _safe_next(next), status=429, notice="signin.throttled")
        page.headers["Retry-After"] = str(refused.retry_after)
        return page
    except Unauthenticated:
        return _signin_page(request, _safe_next(next), status=401, notice="signin.failed")
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=svc.settings.cookie_secure,
        path="/",
        max_age=svc.settings.session_idle_minutes * 60 * 30,
    )
    response.delete_cookie(SIGNIN_COOKIE, path=f"{PREFIX}/signin")
    return response


@router.post("/signout")
def signout(request: Request, session: SessionDep, _who: ActorDep) -> Response:
    end_session(session, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse(f"{PREFIX}/signin?out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
