"""Domain errors to status codes, mapped once: every error the domain raises on purpose has
its status, and the API's problem bodies and the UI's error pages give the same one."""

from __future__ import annotations

import inspect

import pytest
from fastapi.testclient import TestClient

from service.errors import STATUS, status_of
from tests.conftest import World
from tests.review_ui.helpers import sign_in
from triage.core import errors
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


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (InvalidInput("bad"), (422, "invalid-input")),
        (NotFound("gone"), (404, "not-found")),
        (Conflict("taken"), (409, "conflict")),
        (Unauthenticated("who"), (401, "unauthenticated")),
        (Forbidden("no"), (403, "forbidden")),
        (QueueEmpty("none"), (404, "queue-empty")),
        (RateLimited("slow down", retry_after=3), (429, "rate-limited")),
        (TriageError("other"), (400, "bad-request")),
    ],
)
def test_each_domain_error_has_its_status(error: TriageError, expected: tuple[int, str]) -> None:
    assert status_of(error) == expected


def test_every_domain_error_class_is_mapped() -> None:
    declared = {
        kind
        for _, kind in inspect.getmembers(errors, inspect.isclass)
        if issubclass(kind, TriageError) and kind is not TriageError
    }
    assert declared == {kind for kind, _, _ in STATUS}


def test_the_api_and_the_ui_agree_on_the_status(client: TestClient, world: World) -> None:
    missing = client.get("/v1/reviews/999999", headers=world.auth(world.agent_a))
    forbidden = client.get("/v1/audit", headers=world.auth(world.agent_a))
    assert (missing.status_code, missing.json()["type"]) == (
        404,
        "urn:guest-triage:problem:not-found",
    )
    assert (forbidden.status_code, forbidden.json()["type"]) == (
        403,
        "urn:guest-triage:problem:forbidden",
    )

    sign_in(client, "agent.a@example.com")
    page_missing = client.get("/ui/reviews/999999")
    page_forbidden = client.get("/ui/audit")
    assert page_missing.status_code == 404
    assert page_forbidden.status_code == 403
    for page in (page_missing, page_forbidden):
        assert page.headers["content-type"].startswith("text/html")
