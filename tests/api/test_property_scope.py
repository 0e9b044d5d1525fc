"""Property scope on every endpoint: a caller sees and changes only its own properties.

A caller who may not see a property must not learn that anything exists in it:
another property's review or queue item answers exactly like an id that does
not exist, and the body carries nothing of it.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.api.auth_helpers import (
    NOTHING,
    VERDICT,
    assert_problem,
    call,
    counts,
    not_found,
    review_body,
)
from tests.conftest import World
from triage.access import accounts
from triage.storage.tables import QueueItem, Review

SECRET_TEXT = "Zimmer 512: the minibar was broken, the bathroom dirty. Never again."
SECRET_ID = "hotel-b-private-ref-512"
SECRET_EMAIL = "guest.of.b@example.com"


@pytest.fixture
def queued_b(client: TestClient, world: World) -> dict[str, Any]:
    """A complaint in hotel-b with text and ids hotel-a must never see."""
    response = client.post(
        "/v1/reviews",
        json=review_body(
            "hotel-b",
            SECRET_ID,
            SECRET_TEXT,
            language="en",
            guest={"email": SECRET_EMAIL, "room": "512"},
        ),
        headers=world.auth(world.key_b),
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert created["route"] == "human"
    return created


def assert_leaks_nothing(response: Response) -> None:
    for secret in (SECRET_TEXT, SECRET_ID, SECRET_EMAIL, "512", "hotel-b"):
        assert secret not in response.text, (secret, response.text)


@pytest.mark.parametrize("caller", ["agent_a", "trainer_a", "key_a"])
def test_another_propertys_review_is_404_and_leaks_nothing(
    client: TestClient, world: World, queued_b: dict[str, Any], caller: str
) -> None:
    review_id = queued_b["id"]
    missing_id = review_id + 1000

    other = client.get(f"/v1/reviews/{review_id}", headers=world.auth(getattr(world, caller)))
    missing = client.get(f"/v1/reviews/{missing_id}", headers=world.auth(getattr(world, caller)))

    assert_problem(other, not_found(f"review {review_id} not found"))
    assert_problem(missing, not_found(f"review {missing_id} not found"))
    assert_leaks_nothing(other)
    # The owner's view proves the id is real.
    own = client.get(f"/v1/reviews/{review_id}", headers=world.auth(world.agent_b))
    assert own.status_code == 200, own.text
    assert own.json() == queued_b


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [("GET", "", None), ("POST", "/release", None), ("POST", "/resolve", VERDICT)],
    ids=["read", "release", "resolve"],
)
@pytest.mark.parametrize("caller", ["agent_a", "trainer_a"])
def test_another_propertys_queue_item_is_404_and_untouched(
    client: TestClient,
    world: World,
    sessions: sessionmaker[Session],
    queued_b: dict[str, Any],
    method: str,
    suffix: str,
    body: object,
    caller: str,
) -> None:
    item_id = queued_b["queue"]["item_id"]
    headers = world.auth(getattr(world, caller))
    # Even holding it would not help: hotel-b's agent claims it first.
    claimed = client.post("/v1/queue/claim", headers=world.auth(world.agent_b))
    assert claimed.status_code == 200, claimed.text

    other = call(client, method, f"/v1/queue/{item_id}{suffix}", body, headers)
    missing = call(client, method, f"/v1/queue/{item_id + 1000}{suffix}", body, headers)

    assert_problem(other, not_found(f"queue item {item_id} not found"))
    assert_problem(missing, not_found(f"queue item {item_id + 1000} not found"))
    assert_leaks_nothing(other)
    with sessions() as s:
        item = s.get(QueueItem, item_id)
        assert item is not None
        assert (item.state, item.resolved_at, item.action, item.note) == ("open", None, None, None)
        assert item.claimed_by == accounts.authenticate_bearer(s, world.agent_b).id
        assert s.get(Review, queued_b["id"]).status == "queued"  # type: ignore[union-attr]
    assert counts(sessions) == {"reviews": 1, "queue_items": 1, "labels": 0}


def test_another_propertys_queue_is_invisible(
    client: TestClient, world: World, sessions: sessionmaker[Session], queued_b: dict[str, Any]
) -> None:
    headers = world.auth(world.agent_a)

    nothing_to_claim = client.post("/v1/queue/claim", headers=headers)
    assert nothing_to_claim.status_code == 204
    assert nothing_to_claim.content == b""

    for response in (
        client.post("/v1/queue/claim", json={"property_id": "hotel-b"}, headers=headers),
        client.get("/v1/queue", params={"property_id": "hotel-b"}, headers=headers),
        client.get("/v1/reviews", params={"property_id": "hotel-b"}, headers=headers),
    ):
        assert_problem(response, not_found("property 'hotel-b' not found"))
        assert SECRET_TEXT not in response.text

    queue = client.get("/v1/queue", headers=headers)
    assert queue.status_code == 200, queue.text
    assert queue.json() == {"items": [], "total": 0}
    listed = client.get("/v1/reviews", headers=headers)
    assert listed.status_code == 200, listed.text
    assert listed.json() == {"items": [], "next_cursor": None}
    with sessions() as s:
        item = s.get(QueueItem, queued_b["queue"]["item_id"])
        assert item is not None
        assert (item.state, item.claimed_by) == ("open", None)


def test_key_for_hotel_a_cannot_post_for_hotel_b(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    body = review_body("hotel-b", "b-1", "Lovely stay, friendly staff.")

    response = client.post("/v1/reviews", json=body, headers=world.auth(world.key_a))

    assert_problem(response, not_found("property 'hotel-b' not found"))
    assert counts(sessions) == NOTHING


def test_batch_with_a_foreign_property_fails_only_that_item(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    reviews = [
        review_body("hotel-b", "b-1", "Lovely stay, friendly staff."),
        review_body("hotel-a", "a-1", "Lovely stay, friendly staff."),
    ]

    response = client.post(
        "/v1/reviews/batch", json={"reviews": reviews}, headers=world.auth(world.key_a)
    )

    assert response.status_code == 200, response.text
    result = response.json()
    created = result["results"][1]["review"]
    assert result == {
        "created": 1,
        "existing": 0,
        "failed": 1,
        "results": [
            {
                "index": 0,
                "status": 404,
                "review": None,
                "accepted": None,
                "error": not_found("property 'hotel-b' not found"),
            },
            {"index": 1, "status": 201, "review": created, "accepted": None, "error": None},
        ],
        "status": "routed",
    }
    assert (created["property_id"], created["external_id"]) == ("hotel-a", "a-1")
    with sessions() as s:
        rows = s.execute(select(Review.property_id, Review.external_id)).all()
    assert [tuple(r) for r in rows] == [("hotel-a", "a-1")]


def test_same_external_id_in_another_property_is_a_new_review(
    client: TestClient, world: World, sessions: sessionmaker[Session], queued_b: dict[str, Any]
) -> None:
    """Idempotency is per property: it must not hand back hotel-b's review to hotel-a."""
    body = review_body("hotel-a", SECRET_ID, "Lovely stay, friendly staff.")

    response = client.post("/v1/reviews", json=body, headers=world.auth(world.key_a))

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["id"] != queued_b["id"]
    assert (created["property_id"], created["text"]) == ("hotel-a", body["text"])
    assert SECRET_TEXT not in response.text
    assert counts(sessions)["reviews"] == 2


@pytest.fixture
def four_reviews(client: TestClient, world: World) -> dict[str, dict[str, Any]]:
    """Two reviews per hotel; all but the first go to the queue."""
    posts = [
        (
            "key_a",
            review_body(
                "hotel-a", "a-1", "Lovely stay, friendly staff, clean room.", language="en"
            ),
        ),
        (
            "key_a",
            review_body("hotel-a", "a-2", "The room was dirty and the staff rude.", language="en"),
        ),
        ("key_b", review_body("hotel-b", "b-1", "Terrible breakfast, cold coffee.", language="en")),
        ("key_b", review_body("hotel-b", "b-2", "Noisy and the lift was broken.", language="en")),
    ]
    found: dict[str, dict[str, Any]] = {}
    for key, body in posts:
        response = client.post("/v1/reviews", json=body, headers=world.auth(getattr(world, key)))
        assert response.status_code == 201, response.text
        found[body["external_id"]] = response.json()
    assert [r["route"] for r in found.values()] == ["auto", "human", "human", "human"]
    return found


@pytest.mark.parametrize(
    ("caller", "visible"),
    [
        ("agent_a", ["a-2", "a-1"]),
        ("trainer_a", ["a-2", "a-1"]),
        ("key_a", ["a-2", "a-1"]),
        ("agent_b", ["b-2", "b-1"]),
        ("key_b", ["b-2", "b-1"]),
        ("admin_ab", ["b-2", "b-1", "a-2", "a-1"]),
        ("key_ab", ["b-2", "b-1", "a-2", "a-1"]),
    ],
)
def test_review_list_holds_only_the_callers_properties(
    client: TestClient,
    world: World,
    four_reviews: dict[str, dict[str, Any]],
    caller: str,
    visible: list[str],
) -> None:
    response = client.get("/v1/reviews", headers=world.auth(getattr(world, caller)))

    assert response.status_code == 200, response.text
    assert response.json() == {
        "items": [four_reviews[external_id] for external_id in visible],
        "next_cursor": None,
    }


@pytest.mark.parametrize(
    ("caller", "visible"),
    [
        ("agent_a", ["a-2"]),
        ("trainer_a", ["a-2"]),
        ("agent_b", ["b-1", "b-2"]),
        ("admin_ab", ["a-2", "b-1", "b-2"]),
    ],
)
def test_queue_holds_only_the_callers_properties(
    client: TestClient,
    world: World,
    four_reviews: dict[str, dict[str, Any]],
    caller: str,
    visible: list[str],
) -> None:
    response = client.get("/v1/queue", headers=world.auth(getattr(world, caller)))

    assert response.status_code == 200, response.text
    body = response.json()
    assert sorted(item["external_id"] for item in body["items"]) == visible
    by_id = {item["external_id"]: item for item in body["items"]}
    assert body == {"items": body["items"], "total": len(visible)}
    for external_id in visible:
        assert by_id[external_id] == four_reviews[external_id]


def test_claim_takes_only_from_the_callers_properties(
    client: TestClient, world: World, four_reviews: dict[str, dict[str, Any]]
) -> None:
    first = client.post("/v1/queue/claim", headers=world.auth(world.agent_a))
    second = client.post("/v1/queue/claim", headers=world.auth(world.agent_a))

    assert first.status_code == 200, first.text
    claimed = first.json()
    assert (claimed["id"], claimed["property_id"], claimed["status"]) == (
        four_reviews["a-2"]["id"],
        "hotel-a",
        "claimed",
    )
    assert second.status_code == 204  # hotel-b's two items stay out of reach
