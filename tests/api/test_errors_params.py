"""Bad query and path parameters (cursor, filters, ids) and bad verdicts get a 422 naming the
field and the rule; the queue item stays as it was.

Every test runs on SQLite and on PostgreSQL: ids beyond 32 bits and NUL in a filter must
be refused by the rules, not by PostgreSQL with a 500.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.api.problems import (
    problem_body,
    review,
    schema_problem,
    send,
    stored,
)
from tests.conftest import World
from triage.storage.tables import QueueItem, Review


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
