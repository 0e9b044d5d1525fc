"""Bodies the service cannot take: malformed or unreadable JSON, the wrong media type, a body or
batch over its limit, an unknown property. Each gets a problem+json 4xx; nothing is stored.

Every test runs on SQLite and on PostgreSQL; the refusal comes from the service, before
either database sees the body.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from models.double import KeywordClassifier
from service.app import create_app
from tests.api.problems import (
    NOTHING,
    VALID,
    problem_body,
    review,
    schema_problem,
    send,
    stored,
)
from tests.conftest import World, make_settings


def test_malformed_json_is_400(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    response = client.post(
        "/v1/reviews",
        content=b'{"property_id": "hotel-a", "text": ',
        headers={**world.auth(world.key_a), "Content-Type": "application/json"},
    )

    assert problem_body(response, 400) == {
        "type": "urn:guest-triage:problem:malformed-json",
        "title": "Bad request",
        "status": 400,
        "detail": "The body is not valid JSON (or not UTF-8): Expecting value",
        "errors": [],
    }
    assert stored(sessions) == NOTHING


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"property_id": "hotel-a", "text": "caf\xe9 au lait"}', id="latin-1"),
        pytest.param(b'{"text": "\x80\x81\xfa"}', id="invalid-utf8-bytes"),
        pytest.param(b"[" * 5_000, id="nested-beyond-the-parser"),
    ],
)
def test_body_the_json_parser_cannot_read_is_400(
    client: TestClient, world: World, sessions: sessionmaker[Session], raw: bytes
) -> None:
    response = client.post(
        "/v1/reviews",
        content=raw,
        headers={**world.auth(world.key_a), "Content-Type": "application/json"},
    )

    assert problem_body(response, 400) == {
        "type": "urn:guest-triage:problem:malformed-json",
        "title": "Bad request",
        "status": 400,
        "detail": "The body is not valid UTF-8 JSON, or nests too deeply.",
        "errors": [],
    }
    assert stored(sessions) == NOTHING


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/xml", ""],
)
@pytest.mark.parametrize("path", ["/v1/reviews", "/v1/reviews/batch"])
def test_body_that_is_not_json_is_415(
    client: TestClient,
    world: World,
    sessions: sessionmaker[Session],
    path: str,
    content_type: str,
) -> None:
    payload = {"reviews": [VALID]} if path.endswith("batch") else VALID
    response = client.post(
        path,
        content=json.dumps(payload).encode(),
        headers={**world.auth(world.key_a), "Content-Type": content_type},
    )

    assert problem_body(response, 415) == {
        "type": "urn:guest-triage:problem:unsupported-media-type",
        "title": "Unsupported media type",
        "status": 415,
        "detail": "Send the body as JSON with 'Content-Type: application/json'.",
        "errors": [],
    }
    assert stored(sessions) == NOTHING


@pytest.mark.parametrize("body", [[VALID], None, "text", 42], ids=["list", "null", "str", "int"])
def test_body_that_is_not_an_object_is_422(
    client: TestClient, world: World, sessions: sessionmaker[Session], body: object
) -> None:
    response = send(client, "/v1/reviews", body, world.auth(world.key_a))

    assert problem_body(response, 422) == schema_problem(
        (
            "body",
            "model_attributes_type",
            "Input should be a valid dictionary or object to extract fields from",
        ),
    )
    assert stored(sessions) == NOTHING


@pytest.fixture
def small_client(database_url: str, tmp_path: Path, world: World) -> Iterator[TestClient]:
    app = create_app(
        make_settings(database_url, tmp_path, max_body_bytes=20_000),
        classifier=KeywordClassifier(),
    )
    with TestClient(app) as test_client:
        yield test_client


#: Under the 20,000-character text limit, but over 20,000 bytes as JSON.
STARS = "Wunderschön! 🌟 " * 1_200
TOO_LARGE = {
    "type": "urn:guest-triage:problem:too-large",
    "title": "Request too large",
    "status": 413,
    "detail": "The body exceeds 20000 bytes (TRIAGE_MAX_BODY_BYTES).",
    "errors": [],
}


@pytest.mark.parametrize("path", ["/v1/reviews", "/v1/reviews/batch"])
def test_body_over_max_body_bytes_is_413(
    small_client: TestClient, world: World, sessions: sessionmaker[Session], path: str
) -> None:
    one = review(text=STARS)
    payload = {"reviews": [one]} if path.endswith("batch") else one
    content = json.dumps(payload).encode()
    assert len(STARS) < 20_000 < len(content)

    response = small_client.post(
        path,
        content=content,
        headers={**world.auth(world.key_a), "Content-Type": "application/json"},
    )

    assert problem_body(response, 413) == TOO_LARGE
    assert stored(sessions) == NOTHING


def test_streamed_body_over_max_body_bytes_is_413(
    small_client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """Without a Content-Length the limit is counted while the body arrives."""
    content = json.dumps(review(text=STARS)).encode()
    chunks = iter([content[i : i + 4_096] for i in range(0, len(content), 4_096)])

    response = small_client.post(
        "/v1/reviews",
        content=chunks,
        headers={**world.auth(world.key_a), "Content-Type": "application/json"},
    )

    assert "content-length" not in response.request.headers
    assert problem_body(response, 413) == TOO_LARGE
    assert stored(sessions) == NOTHING


def test_body_just_under_max_body_bytes_is_accepted(
    small_client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    body = review(text="Wunderschön! 🌟 " * 600)
    assert len(json.dumps(body).encode()) < 20_000

    response = send(small_client, "/v1/reviews", body, world.auth(world.key_a))

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["text"] == body["text"]
    queued = 1 if created["route"] == "human" else 0
    assert stored(sessions) == {"reviews": 1, "queue_items": queued, "labels": 0}


def test_batch_over_max_batch_is_422(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    reviews = [review(external_id=f"ext-{i}") for i in range(501)]

    response = send(client, "/v1/reviews/batch", {"reviews": reviews}, world.auth(world.key_a))

    assert problem_body(response, 422) == {
        "type": "urn:guest-triage:problem:invalid-input",
        "title": "Invalid request",
        "status": 422,
        "detail": "batch too large",
        "errors": [
            {"field": "reviews", "rule": "max_length", "message": "at most 500 reviews per batch"}
        ],
    }
    assert stored(sessions) == NOTHING


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        pytest.param(
            {"reviews": []},
            [("reviews", "too_short", "List should have at least 1 item after validation, not 0")],
            id="empty",
        ),
        pytest.param({}, [("reviews", "missing", "Field required")], id="missing"),
        pytest.param(
            {"reviews": [VALID], "mode": "fast"},
            [("mode", "extra_forbidden", "Extra inputs are not permitted")],
            id="unknown-field",
        ),
        pytest.param(
            {"reviews": ["not a review", 7]},
            [
                ("reviews[0]", "dict_type", "Input should be a valid dictionary"),
                ("reviews[1]", "dict_type", "Input should be a valid dictionary"),
            ],
            id="items-not-objects",
        ),
    ],
)
def test_malformed_batch_is_422(
    client: TestClient,
    world: World,
    sessions: sessionmaker[Session],
    body: dict[str, Any],
    errors: list[tuple[str, str, str]],
) -> None:
    response = send(client, "/v1/reviews/batch", body, world.auth(world.key_a))

    assert problem_body(response, 422) == schema_problem(*errors)
    assert stored(sessions) == NOTHING


@pytest.mark.parametrize("path", ["/v1/reviews", "/v1/reviews/batch"])
def test_unknown_property_is_404(
    client: TestClient, world: World, sessions: sessionmaker[Session], path: str
) -> None:
    body = review(property_id="nowhere")
    not_found = {
        "type": "urn:guest-triage:problem:not-found",
        "title": "Not found",
        "status": 404,
        "detail": "property 'nowhere' not found",
        "errors": [],
    }

    if path.endswith("batch"):
        response = send(client, path, {"reviews": [body]}, world.auth(world.key_ab))
        assert response.status_code == 200, response.text
        assert response.json() == {
            "created": 0,
            "existing": 0,
            "failed": 1,
            "results": [
                {"index": 0, "status": 404, "review": None, "accepted": None, "error": not_found}
            ],
            "status": "routed",
        }
    else:
        response = send(client, path, body, world.auth(world.key_ab))
        assert problem_body(response, 404) == not_found
    assert stored(sessions) == NOTHING
