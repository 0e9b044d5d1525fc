"""Every error becomes an RFC 9457 problem+json body (status codes: `service.errors`)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.errors import status_of
from triage.core.errors import InvalidInput, RateLimited, TriageError

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"

_TITLES = {
    400: "Bad request",
    401: "Unauthenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
    503: "Unavailable",
}


def problem(
    status: int, slug: str, detail: str, errors: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    return {
        "type": f"urn:guest-triage:problem:{slug}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "errors": errors or [],
    }


def problem_response(
    status: int,
    slug: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        problem(status, slug, detail, errors),
        status_code=status,
        media_type=PROBLEM,
        headers=headers,
    )


def domain_problem(error: TriageError) -> tuple[int, dict[str, Any]]:
    status, slug = status_of(error)
    errors: list[dict[str, str]] = []
    if isinstance(error, InvalidInput):
        errors = [{"field": p.field, "rule": p.rule, "message": p.message} for p in error.problems]
    return status, problem(status, slug, error.message, errors)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out or "body"


def validation_errors(raw: list[Any]) -> list[dict[str, str]]:
    """Pydantic errors as {field, rule, message}; never echoes the input back."""
    return [
        {
            "field": _field(tuple(e.get("loc", ()))),
            "rule": str(e.get("type", "invalid")),
            "message": str(e.get("msg", "invalid")).removeprefix("Value error, "),
        }
        for e in raw
    ]


def install(app: FastAPI) -> None:
    @app.exception_handler(TriageError)
    async def _domain(_request: Request, error: TriageError) -> JSONResponse:
        status, body = domain_problem(error)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if isinstance(error, RateLimited):
            headers = {"Retry-After": str(error.retry_after)}
        return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, error: RequestValidationError) -> JSONResponse:
        raw = list(error.errors())
        if any(e.get("type") == "json_invalid" for e in raw):
            return problem_response(
                400,
                "malformed-json",
                "The body is not valid JSON (or not UTF-8): "
                + "; ".join(str(e.get("ctx", {}).get("error", e.get("msg"))) for e in raw),
            )
        return problem_response(
            422,
            "validation",
            "The request breaks the rules of its schema.",
            validation_errors(raw),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 400 and "parsing the body" in str(error.detail):
            return problem_response(
                400, "malformed-json", "The body is not valid UTF-8 JSON, or nests too deeply."
            )
        return problem_response(
            error.status_code, "http", str(error.detail), headers=dict(error.headers or {})
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem_response(500, "internal", "Something broke on our side; it is logged.")
