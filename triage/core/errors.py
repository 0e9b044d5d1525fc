"""Domain errors. No HTTP here: `api.errors` maps each to a status code once."""

from __future__ import annotations

from dataclasses import dataclass


class TriageError(Exception):
    """Base of every error the domain raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field: where it is, which rule it broke, and what to do."""

    field: str
    rule: str
    message: str


class InvalidInput(TriageError):
    """Input breaks a domain rule (the HTTP layer has already checked types)."""

    def __init__(self, message: str, problems: list[FieldProblem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class NotFound(TriageError):
    """The thing does not exist, or the caller may not know that it exists."""


class Conflict(TriageError):
    """The request contradicts the current state (e.g. resolving an item someone else holds)."""


class Unauthenticated(TriageError):
    """Missing or wrong credentials."""


class Forbidden(TriageError):
    """Valid credentials, but the role may not do this."""


class QueueEmpty(TriageError):
    """No open item is available to claim."""


class RateLimited(TriageError):
    """Too many requests or failed sign-ins; try again after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))
