"""Odd but valid text (emoji only, injection-looking) is not an error: it is stored verbatim.

Every test runs on SQLite and on PostgreSQL: both must keep quotes, SQL, template and
markup syntax exactly as sent, and give it back unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.api.problems import (
    review,
    send,
    stored,
)
from tests.conftest import World
from triage.storage.tables import QueueItem, Review


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
