"""What every page module shares: templates and `render`, the route class that maps
domain errors to pages, security headers, and the signed-in person. The page modules
(`*_pages.py`) import this; `review_ui.web` assembles them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from models.touchpoint_lexicon import TOUCHPOINTS
from review_ui import charts, text_view
from review_ui.i18n import Translator, install_translations, translator
from service.errors import status_of
from service.web import ServicesDep, SessionDep
from triage.access.web_sessions import WebIdentity, identify
from triage.core.errors import Forbidden, InvalidInput, TriageError, Unauthenticated
from triage.storage.db import utcnow

log = logging.getLogger(__name__)

PREFIX = "/ui"
SESSION_COOKIE = "triage_session"
SIGNIN_COOKIE = "triage_signin"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("review_ui", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(charts=charts, tv=text_view, prefix=PREFIX, touchpoint_codes=TOUCHPOINTS)
    install_translations(env)
    return env


def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    identity: WebIdentity | None = None,
    locale: str | None = None,
    **context: Any,
) -> HTMLResponse:
    t = translator(identity.locale if identity else locale)
    context.setdefault("msg", None)
    html = (
        environment()
        .get_template(template)
        .render(
            t=t,
            me=identity,
            csrf=identity.csrf_token if identity else "",
            now=utcnow(),
            path=request.url.path,
            **context,
        )
    )
    return HTMLResponse(html, status_code=status)


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    identity: WebIdentity | None = getattr(request.state, "identity", None)
    t: Translator = translator(identity.locale if identity else None)
    message = t(f"error.{status}", detail=detail) if t.has(f"error.{status}") else detail
    return render(request, "error.html", status=status, identity=identity, message=message)


class UIRoute(APIRoute):
    """Domain errors become pages (never a 500), sign-in is a redirect, every page gets
    the security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            response: Response
            try:
                response = await handler(request)
            except Unauthenticated:
                expired = "&expired=1" if SESSION_COOKIE in request.cookies else ""
                target = request.url.path if request.method == "GET" else f"{PREFIX}/queue"
                response = RedirectResponse(
                    f"{PREFIX}/signin?next={quote(target, safe='/')}{expired}", status_code=303
                )
            except TriageError as error:
                detail = error.message
                if isinstance(error, InvalidInput) and error.problems:
                    detail = "; ".join(f"{p.field}: {p.message}" for p in error.problems)
                response = error_page(request, status_of(error)[0], detail)
            except RequestValidationError as error:
                fields = sorted({str(e.get("loc", ("", ""))[-1]) for e in error.errors()})
                response = error_page(request, 422, ", ".join(fields))
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return page


def identity(request: Request, session: SessionDep, svc: ServicesDep) -> WebIdentity:
    """The signed-in person, or Unauthenticated (which the route class turns into sign-in)."""
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        raise Unauthenticated("not signed in")
    found = identify(session, secret, idle=timedelta(minutes=svc.settings.session_idle_minutes))
    request.state.identity = found
    return found


IdentityDep = Annotated[WebIdentity, Depends(identity)]


async def form_identity(request: Request, who: IdentityDep) -> WebIdentity:
    """The signed-in person sending a form, checked against the session's CSRF token."""
    form = await request.form()
    token = form.get("csrf")
    if not who.csrf_ok(token if isinstance(token, str) else None):
        raise Forbidden("the form was not sent from this session; reload the page and try again")
    return who


ActorDep = Annotated[WebIdentity, Depends(form_identity)]
