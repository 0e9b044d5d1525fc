"""Domain errors to HTTP status codes, mapped once: the API's problem+json bodies
(`api.errors`) and the UI's error pages (`review_ui.pages`) both read this map."""

from __future__ import annotations

from triage.core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    QueueEmpty,
    RateLimited,
    TriageError,
    Unauthenticated,
)

#: (error class, status code, problem slug); an error of no listed class is a 400.
STATUS: tuple[tuple[type[TriageError], int, str], ...] = (
    (InvalidInput, 422, "invalid-input"),
    (NotFound, 404, "not-found"),
    (Conflict, 409, "conflict"),
    (Unauthenticated, 401, "unauthenticated"),
    (Forbidden, 403, "forbidden"),
    (QueueEmpty, 404, "queue-empty"),
    (RateLimited, 429, "rate-limited"),
)
UNMAPPED = (400, "bad-request")


def status_of(error: TriageError) -> tuple[int, str]:
    """The status code and problem slug of a domain error."""
    for kind, status, slug in STATUS:
        if isinstance(error, kind):
            return status, slug
    return UNMAPPED
