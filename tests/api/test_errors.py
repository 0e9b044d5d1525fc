"""Bad input gets a problem+json 4xx that names the field and the rule; nothing is stored.

Every test runs on SQLite and on PostgreSQL: PostgreSQL refuses things SQLite
takes (NUL in text, Infinity in JSON, ids beyond 32 bits), and those must be
refused by the rules, not by the database with a 500.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models.double import KeywordClassifier
from service.app import create_app
from tests.conftest import World, make_settings
from triage.storage.tables import Label, QueueItem, Review

PROBLEM_KEYS = {"type", "title", "status", "detail", "errors"}
VALID: dict[str, Any] = {
    "property_id": "hotel-a",
    "external_id": "ext-1",
    "source": "google",
    "text": "Lovely stay, friendly staff and a clean room.",
}
SCHEMA = {
    "type": "urn:guest-triage:problem:validation",
    "title": "Invalid request",
    "status": 422,
    "detail": "The request breaks the rules of its schema.",
}


def problem_body(response: Response, status: int) -> dict[str, Any]:
    """The response is a problem+json with exactly the RFC 9457 keys we promise."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) == PROBLEM_KEYS
    return body


def schema_problem(*errors: tuple[str, str, str]) -> dict[str, Any]:
    return {**SCHEMA, "errors": [{"field": f, "rule": r, "message": m} for f, r, m in errors]}


def stored(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as s:
        return {
            table.__tablename__: s.scalar(select(func.count()).select_from(table)) or 0
            for table in (Review, QueueItem, Label)
        }


NOTHING = {"reviews": 0, "queue_items": 0, "labels": 0}


def send(client: TestClient, path: str, body: object, headers: dict[str, str]) -> Response:
    """POST `body` as JSON; NaN and Infinity are written the way Python's json writes them."""
    return client.post(
        path,
        content=json.dumps(body).encode(),
        headers={**headers, "Content-Type": "application/json"},
    )


def review(**changes: Any) -> dict[str, Any]:
    return {**VALID, **changes}


def nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(levels - 1):
        value = {"down": value}
    return value


INVALID_REVIEWS: list[Any] = [
    pytest.param(
        review(text=12345),
        [("text", "string_type", "Input should be a valid string")],
        id="text-as-number",
    ),
    pytest.param(
        review(rating="five"),
        [
            (
                "rating",
                "model_attributes_type",
                "Input should be a valid dictionary or object to extract fields from",
            )
        ],
        id="rating-as-string",
    ),
    pytest.param(
        review(rating={"value": "high", "scale": 5}),
        [
            (
                "rating.value",
                "float_parsing",
                "Input should be a valid number, unable to parse string as a number",
            )
        ],
        id="rating-value-as-text",
    ),
    pytest.param(
        review(rating={"value": 4, "scale": 5.5}),
        [
            (
                "rating.scale",
                "int_from_float",
                "Input should be a valid integer, got a number with a fractional part",
            )
        ],
        id="rating-scale-fractional",
    ),
    pytest.param(
        review(stars=5),
        [("stars", "extra_forbidden", "Extra inputs are not permitted")],
        id="unknown-top-level-field",
    ),
    pytest.param(
        review(guest={"room": "101", "nights": 3}),
        [("guest.nights", "extra_forbidden", "Extra inputs are not permitted")],
        id="unknown-nested-field",
    ),
    pytest.param(
        review(rating={"value": 4, "scale": 5, "best": 5}),
        [("rating.best", "extra_forbidden", "Extra inputs are not permitted")],
        id="unknown-field-in-rating",
    ),
    pytest.param(
        {"text": "Only text"},
        [
            ("property_id", "missing", "Field required"),
            ("external_id", "missing", "Field required"),
            ("source", "missing", "Field required"),
        ],
        id="required-fields-missing",
    ),
    pytest.param(
        review(text=""),
        [("text", "string_too_short", "String should have at least 1 character")],
        id="empty-text",
    ),
    pytest.param(
        review(text=" \t\n\u00a0\u2003 "),
        [("text", "value_error", "text must contain more than white space")],
        id="whitespace-only-text",
    ),
    pytest.param(
        review(text="word " * 4_000 + "x"),
        [("text", "string_too_long", "String should have at most 20000 characters")],
        id="text-20001-characters",
    ),
    pytest.param(
        review(text="a" * 100_000),
        [("text", "string_too_long", "String should have at most 20000 characters")],
        id="text-100000-character-single-word",
    ),
    pytest.param(
        review(text="Great stay\u0000 and more"),
        [("text", "value_error", "text must not contain NUL characters")],
        id="nul-in-text",
    ),
    pytest.param(
        review(external_id="ext\u0000"),
        [("external_id", "value_error", "external_id must be printable text")],
        id="nul-in-external-id",
    ),
    pytest.param(
        review(property_id="hotel-a\u0000"),
        [("property_id", "value_error", "property_id must not contain NUL characters")],
        id="nul-in-property-id",
    ),
    pytest.param(
        review(
            guest={
                "room": "1\u00001",
                "booking_reference": "B\u0000",
                "email": "guest\u0000@example.com",
            }
        ),
        [
            ("guest.room", "value_error", "room must not contain NUL characters"),
            (
                "guest.booking_reference",
                "value_error",
                "booking_reference must not contain NUL characters",
            ),
            ("guest.email", "value_error", "email must not contain NUL characters"),
        ],
        id="nul-in-guest-fields",
    ),
    pytest.param(
        review(rating={"value": 6, "scale": 5}),
        [("rating", "value_error", "value must not exceed scale")],
        id="rating-above-scale",
    ),
    pytest.param(
        review(rating={"value": float("nan"), "scale": 5}),
        [("rating.value", "greater_than_equal", "Input should be greater than or equal to 0")],
        id="rating-nan",
    ),
    pytest.param(
        review(rating={"value": -1, "scale": 5}),
        [("rating.value", "greater_than_equal", "Input should be greater than or equal to 0")],
        id="rating-negative",
    ),
    pytest.param(
        review(guest={"stay_from": "2024-05-10", "stay_to": "2024-05-09"}),
        [("guest", "value_error", "stay_to must not be before stay_from")],
        id="stay-to-before-stay-from",
    ),
    pytest.param(
        review(submitted_at="2024-05-10T12:00:00"),
        [("submitted_at", "timezone_aware", "Input should have timezone info")],
        id="naive-submitted-at",
    ),
    pytest.param(
        review(submitted_at="0001-01-01T00:00:00+05:00"),
        [("submitted_at", "value_error", "must be a time that can be expressed in UTC")],
        id="submitted-at-before-year-1-in-utc",
    ),
    pytest.param(
        review(metadata=nested(5)),
        [("metadata", "value_error", "metadata may nest at most 4 levels")],
        id="metadata-too-deep",
    ),
    pytest.param(
        review(metadata=nested(800)),
        [("metadata", "value_error", "metadata may nest at most 4 levels")],
        id="metadata-800-levels-deep",
    ),
    pytest.param(
        review(metadata={f"k{i}": i for i in range(51)}),
        [("metadata", "value_error", "metadata may have at most 50 keys")],
        id="metadata-too-many-keys",
    ),
    pytest.param(
        review(metadata={"note": "x" * 8_200}),
        [("metadata", "value_error", "metadata may take at most 8192 bytes as JSON")],
        id="metadata-too-large",
    ),
    pytest.param(
        review(metadata={"score": float("inf")}),
        [("metadata", "value_error", "metadata must not contain NaN or Infinity")],
        id="metadata-infinity",
    ),
    pytest.param(
        review(metadata={"k\u0000": 1}),
        [("metadata", "value_error", "metadata must not contain NUL characters")],
        id="metadata-nul",
    ),
    pytest.param(
        review(source="Google Maps!"),
        [
            (
                "source",
                "string_pattern_mismatch",
                "String should match pattern '^[a-z0-9][a-z0-9_.-]*$'",
            )
        ],
        id="bad-source-pattern",
    ),
    pytest.param(
        review(language="english"),
        [
            (
                "language",
                "string_pattern_mismatch",
                "String should match pattern '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$'",
            )
        ],
        id="bad-language-pattern",
    ),
    pytest.param(
        review(guest={"segment": "vip"}),
        [
            (
                "guest.segment",
                "literal_error",
                "Input should be 'leisure', 'business', 'meetings_events', 'group' or 'other'",
            )
        ],
        id="unknown-segment",
    ),
]


@pytest.mark.parametrize(("body", "errors"), INVALID_REVIEWS)
def test_invalid_review_is_refused_naming_field_and_rule(
    client: TestClient,
    world: World,
    sessions: sessionmaker[Session],
    body: dict[str, Any],
    errors: list[tuple[str, str, str]],
) -> None:
    response = send(client, "/v1/reviews", body, world.auth(world.key_a))

    assert problem_body(response, 422) == schema_problem(*errors)
    assert stored(sessions) == NOTHING


#: The batch validates each item from Python objects, where pydantic words this one differently.
BATCH_ERRORS = {
    "rating-as-string": [
        ("rating", "model_type", "Input should be a valid dictionary or instance of Rating")
    ],
}


def test_invalid_reviews_in_a_batch_fail_one_by_one(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    bodies = [p.values[0] for p in INVALID_REVIEWS]
    response = send(client, "/v1/reviews/batch", {"reviews": bodies}, world.auth(world.key_a))

    assert response.status_code == 200, response.text
    assert response.json() == {
        "created": 0,
        "existing": 0,
        "failed": len(bodies),
        "results": [
            {
                "index": index,
                "status": 422,
                "review": None,
                "error": {
                    **schema_problem(*BATCH_ERRORS.get(str(p.id), p.values[1])),
                    "detail": "invalid review",
                },
            }
            for index, p in enumerate(INVALID_REVIEWS)
        ],
    }
    assert stored(sessions) == NOTHING


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
            "results": [{"index": 0, "status": 404, "review": None, "error": not_found}],
        }
    else:
        response = send(client, path, body, world.auth(world.key_ab))
        assert problem_body(response, 404) == not_found
    assert stored(sessions) == NOTHING


def _cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("!!!", id="not-base64"),
        pytest.param(_cursor(b"x:5"), id="wrong-kind"),
        pytest.param(_cursor(b"r:five"), id="not-a-number"),
        pytest.param(_cursor(b"\xff\xfe"), id="not-utf8"),
        pytest.param(_cursor(b"r:0"), id="zero"),
        pytest.param(_cursor(b"r:99999999999999999999"), id="beyond-any-id"),
    ],
)
def test_invalid_cursor_is_422(client: TestClient, world: World, cursor: str) -> None:
    response = client.get(
        "/v1/reviews", params={"cursor": cursor}, headers=world.auth(world.agent_a)
    )

    assert problem_body(response, 422) == {
        "type": "urn:guest-triage:problem:invalid-input",
        "title": "Invalid request",
        "status": 422,
        "detail": "invalid cursor",
        "errors": [
            {"field": "cursor", "rule": "format", "message": "pass next_cursor back unchanged"}
        ],
    }


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        pytest.param(
            {"received_from": "2024-05-10T12:00:00"},
            [("received_from", "timezone_aware", "Input should have timezone info")],
            id="naive-received-from",
        ),
        pytest.param(
            {"received_to": "2024-05-10"},
            [("received_to", "timezone_aware", "Input should have timezone info")],
            id="date-as-received-to",
        ),
        pytest.param(
            {"received_from": "0001-01-01T00:00:00+14:00"},
            [("received_from", "value_error", "must be a time that can be expressed in UTC")],
            id="received-from-before-year-1-in-utc",
        ),
        pytest.param(
            {"received_to": "9999-12-31T23:00:00-05:00"},
            [("received_to", "value_error", "must be a time that can be expressed in UTC")],
            id="received-to-after-year-9999-in-utc",
        ),
        pytest.param(
            {"limit": "0"},
            [("limit", "greater_than_equal", "Input should be greater than or equal to 1")],
            id="limit-zero",
        ),
        pytest.param(
            {"limit": "ten"},
            [
                (
                    "limit",
                    "int_parsing",
                    "Input should be a valid integer, unable to parse string as an integer",
                )
            ],
            id="limit-not-a-number",
        ),
        pytest.param(
            {"route": "robot"},
            [("route", "literal_error", "Input should be 'auto' or 'human'")],
            id="unknown-route",
        ),
        pytest.param(
            {"language": "e\u0000"},
            [
                (
                    "language",
                    "string_pattern_mismatch",
                    "String should match pattern '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$'",
                )
            ],
            id="nul-in-language",
        ),
    ],
)
def test_invalid_review_query_is_422(
    client: TestClient,
    world: World,
    params: dict[str, str],
    errors: list[tuple[str, str, str]],
) -> None:
    response = client.get("/v1/reviews", params=params, headers=world.auth(world.agent_a))

    assert problem_body(response, 422) == schema_problem(*errors)


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        pytest.param(
            {"source": "a\u0000"},
            [
                (
                    "source",
                    "string_pattern_mismatch",
                    "String should match pattern '^[a-z0-9][a-z0-9_.-]*$'",
                )
            ],
            id="nul-in-source",
        ),
        pytest.param(
            {"language": "\u0000"},
            [
                (
                    "language",
                    "string_pattern_mismatch",
                    "String should match pattern '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$'",
                )
            ],
            id="nul-in-language",
        ),
        pytest.param(
            {"reason": "DROP TABLE"},
            [("reason", "string_pattern_mismatch", "String should match pattern '^[a-z_]+$'")],
            id="bad-reason",
        ),
        pytest.param(
            {"offset": "-1"},
            [("offset", "greater_than_equal", "Input should be greater than or equal to 0")],
            id="negative-offset",
        ),
    ],
)
def test_invalid_queue_query_is_422(
    client: TestClient,
    world: World,
    params: dict[str, str],
    errors: list[tuple[str, str, str]],
) -> None:
    response = client.get("/v1/queue", params=params, headers=world.auth(world.agent_a))

    assert problem_body(response, 422) == schema_problem(*errors)


@pytest.mark.parametrize(
    ("method", "template", "name"),
    [
        ("GET", "/v1/reviews/{}", "review_id"),
        ("GET", "/v1/queue/{}", "item_id"),
        ("POST", "/v1/queue/{}/release", "item_id"),
    ],
)
@pytest.mark.parametrize(
    ("value", "rule", "message"),
    [
        (
            "99999999999999999999",
            "less_than_equal",
            "Input should be less than or equal to 2147483647",
        ),
        ("0", "greater_than_equal", "Input should be greater than or equal to 1"),
        (
            "abc",
            "int_parsing",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
    ],
    ids=["beyond-any-id", "zero", "not-a-number"],
)
def test_id_out_of_range_is_422_not_500(
    client: TestClient,
    world: World,
    method: str,
    template: str,
    name: str,
    value: str,
    rule: str,
    message: str,
) -> None:
    response = client.request(method, template.format(value), headers=world.auth(world.agent_a))

    assert problem_body(response, 422) == schema_problem((name, rule, message))


def _queued_item(client: TestClient, world: World) -> tuple[int, int]:
    response = send(
        client,
        "/v1/reviews",
        review(text="The room was dirty and the staff were rude."),
        world.auth(world.key_a),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["route"] == "human"
    return body["id"], body["queue"]["item_id"]


@pytest.mark.parametrize(
    ("verdict", "errors"),
    [
        pytest.param(
            {"label": "angry", "action": "replied"},
            [("label", "literal_error", "Input should be 'negative', 'neutral' or 'positive'")],
            id="unknown-label",
        ),
        pytest.param(
            {"label": "negative", "action": "ignored"},
            [
                (
                    "action",
                    "literal_error",
                    "Input should be 'replied', 'compensated', 'forwarded' or 'no_action'",
                )
            ],
            id="unknown-action",
        ),
        pytest.param(
            {"label": "negative"}, [("action", "missing", "Field required")], id="missing-action"
        ),
        pytest.param(
            {"label": "negative", "action": "replied", "note": "ok\u0000"},
            [("note", "value_error", "note must not contain NUL characters")],
            id="nul-in-note",
        ),
        pytest.param(
            {"label": "negative", "action": "replied", "note": "n" * 4_001},
            [("note", "string_too_long", "String should have at most 4000 characters")],
            id="note-too-long",
        ),
        pytest.param(
            {"label": "negative", "action": "replied", "by": "me"},
            [("by", "extra_forbidden", "Extra inputs are not permitted")],
            id="unknown-field",
        ),
    ],
)
def test_bad_resolve_verdict_is_422_and_leaves_the_item_open(
    client: TestClient,
    world: World,
    sessions: sessionmaker[Session],
    verdict: dict[str, Any],
    errors: list[tuple[str, str, str]],
) -> None:
    review_id, item_id = _queued_item(client, world)
    claim = client.post("/v1/queue/claim", headers=world.auth(world.agent_a))
    assert claim.status_code == 200, claim.text

    response = send(client, f"/v1/queue/{item_id}/resolve", verdict, world.auth(world.agent_a))

    assert problem_body(response, 422) == schema_problem(*errors)
    with sessions() as s:
        item = s.get(QueueItem, item_id)
        assert item is not None
        assert (item.review_id, item.state, item.resolved_at, item.action, item.note) == (
            review_id,
            "open",
            None,
            None,
            None,
        )
        assert s.get(Review, review_id).status == "queued"  # type: ignore[union-attr]
    assert stored(sessions) == {"reviews": 1, "queue_items": 1, "labels": 0}


def _assert_read_back(
    client: TestClient, world: World, sessions: sessionmaker[Session], created: dict[str, Any]
) -> None:
    """GET returns what POST returned, and the database holds the same text."""
    again = client.get(f"/v1/reviews/{created['id']}", headers=world.auth(world.key_a))
    assert again.status_code == 200, again.text
    assert again.json() == created
    with sessions() as s:
        row = s.get(Review, created["id"])
        assert row is not None
        assert (row.text, row.external_id) == (created["text"], created["external_id"])


def test_emoji_only_text_goes_to_a_person_as_unsupported_language(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    body = review(text="😡😡😡 👎🏨💤")

    response = send(client, "/v1/reviews", body, world.auth(world.key_a))

    assert response.status_code == 201, response.text
    created = response.json()
    assert created == {
        "id": created["id"],
        "property_id": "hotel-a",
        "source": "google",
        "external_id": "ext-1",
        "status": "queued",
        "route": "human",
        "reasons": [
            {
                "code": "unsupported_language",
                "explanation": "Too short to tell which language it is in, "
                "so a person should read it.",
                "evidence": None,
            }
        ],
        "priority": 3,
        "due_at": created["due_at"],
        "language": None,
        "sentiment": None,
        "sentences": [],
        "touchpoints": [],
        "departments": [],
        "model_version": None,
        "text": "😡😡😡 👎🏨💤",
        "rating": None,
        "guest": None,
        "metadata": None,
        "submitted_at": None,
        "received_at": created["received_at"],
        "routed_at": created["routed_at"],
        "queue": {
            "item_id": created["queue"]["item_id"],
            "state": "open",
            "claimed_by": None,
            "lease_expires_at": None,
            "resolved_at": None,
            "action": None,
            "note": None,
        },
    }
    _assert_read_back(client, world, sessions, created)
    with sessions() as s:
        item = s.get(QueueItem, created["queue"]["item_id"])
        assert item is not None
        assert (item.review_id, item.state, item.priority) == (created["id"], "open", 3)
    assert stored(sessions) == {"reviews": 1, "queue_items": 1, "labels": 0}


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Great stay'); DROP TABLE reviews; -- \" OR 1=1; /*", id="sql"),
        pytest.param("Robert'); DELETE FROM queue_items WHERE ('1'='1", id="sql-delete"),
        pytest.param(
            "{{ 7*7 }} {% for x in y %}${7*7} #{7*7} <%= 7*7 %> {{config}}", id="template"
        ),
        pytest.param(
            "<script>alert('x')</script> &amp; %s %(text)s {0} \\x00 \\u0000",
            id="markup-and-format-strings",
        ),
    ],
)
def test_injection_looking_text_is_stored_verbatim(
    client: TestClient, world: World, sessions: sessionmaker[Session], text: str
) -> None:
    body = review(text=text, external_id=text[:40], metadata={"raw": text})

    response = send(client, "/v1/reviews", body, world.auth(world.key_a))

    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["text"], created["external_id"], created["metadata"]) == (
        text,
        text[:40],
        {"raw": text},
    )
    _assert_read_back(client, world, sessions, created)
    listed = client.get("/v1/reviews", headers=world.auth(world.key_a))
    assert listed.status_code == 200, listed.text
    assert listed.json() == {"items": [created], "next_cursor": None}
    assert stored(sessions)["reviews"] == 1
