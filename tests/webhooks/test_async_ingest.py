"""Asynchronous ingest: `Prefer: respond-async` answers 202 at once; the background router
routes each review exactly once; the backlog is visible on /v1/readyz and /metrics."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from api.routes.reviews import wants_async
from tests.conftest import World
from tests.webhooks.conftest import COMPLAINT, PRAISE, review, wait_until
from triage.storage.db import unit_of_work, utcnow
from triage.storage.tables import Event, QueueItem, Review

ASYNC = {"Prefer": "respond-async"}


def routed(client: TestClient, world: World, review_id: int) -> dict[str, object]:
    found: dict[str, object] = {}

    def done() -> bool:
        found.update(client.get(f"/v1/reviews/{review_id}", headers=world.auth(world.key_a)).json())
        return found["status"] != "received"

    wait_until(done, what=f"review {review_id} routed")
    return found


def test_one_review_is_accepted_at_once_and_routed_in_the_background(
    app_client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    headers = {**world.auth(world.key_a), **ASYNC}
    answer = app_client.post("/v1/reviews", headers=headers, json=review("r1"))
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body == {
        "id": body["id"],
        "url": f"/v1/reviews/{body['id']}",
        "status": "received",
        "created": True,
    }
    assert answer.headers["Location"] == body["url"]
    assert answer.headers["Preference-Applied"] == "respond-async"
    done = routed(app_client, world, body["id"])
    assert (done["status"], done["route"]) == ("queued", "human")
    # The same review again: known, nothing created, its status now.
    again = app_client.post("/v1/reviews", headers=headers, json=review("r1"))
    assert again.status_code == 200
    assert again.json() == {**body, "status": "queued", "created": False}
    with unit_of_work(sessions) as s:
        assert s.scalar(select(func.count()).select_from(QueueItem)) == 1
        assert s.scalar(select(func.count()).where(Event.type == "review.routed")) == 1


def test_a_batch_is_accepted_at_once_item_by_item(
    app_client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    headers = {**world.auth(world.key_a), **ASYNC}
    items = [review(f"b{n}", COMPLAINT if n % 2 else PRAISE) for n in range(30)]
    items.append({**review("wrong"), "property_id": "hotel-b"})
    items.append({**review("bad"), "text": ""})
    answer = app_client.post("/v1/reviews/batch", headers=headers, json={"reviews": items})
    assert answer.status_code == 202, answer.text
    assert answer.headers["Preference-Applied"] == "respond-async"
    result = answer.json()
    assert (result["created"], result["existing"], result["failed"]) == (30, 0, 2)
    assert result["status"] == "received"
    assert [r["status"] for r in result["results"]] == [202] * 30 + [404, 422]
    ids = [r["accepted"]["id"] for r in result["results"][:30]]
    assert all(r["review"] is None for r in result["results"])
    for review_id in ids:
        routed(app_client, world, review_id)
    with unit_of_work(sessions) as s:
        humans = s.scalar(select(func.count()).where(Review.route == "human"))
        assert humans == 15
        assert s.scalar(select(func.count()).select_from(QueueItem)) == 15
        assert s.scalar(select(func.count()).where(Event.type == "review.routed")) == 30
    # Sent again: all known.
    again = app_client.post("/v1/reviews/batch", headers=headers, json={"reviews": items[:30]})
    assert again.json()["existing"] == 30


def test_invalid_input_is_refused_before_anything_is_stored(
    app_client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    headers = {**world.auth(world.key_a), **ASYNC}
    bad = app_client.post("/v1/reviews", headers=headers, json={**review("x"), "source": 7})
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    foreign = app_client.post(
        "/v1/reviews", headers=headers, json={**review("x"), "property_id": "hotel-b"}
    )
    assert foreign.status_code == 404
    with unit_of_work(sessions) as s:
        assert s.scalar(select(func.count()).select_from(Review)) == 0


def test_the_backlog_is_visible(
    app_client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """A review another process is routing right now (its lease runs) is backlog."""
    with unit_of_work(sessions) as s:
        s.add(
            Review(
                property_id="hotel-a",
                source="survey",
                external_id="waiting",
                text=PRAISE,
                status="received",
                received_at=utcnow() - timedelta(seconds=42),
                route_lease_until=utcnow() + timedelta(minutes=5),
            )
        )
    ready = app_client.get("/v1/readyz").json()
    assert ready["backlog"]["reviews_received"] == 1
    assert 41 <= ready["backlog"]["oldest_received_seconds"] < 120
    metrics = app_client.get("/metrics").text
    assert "triage_ingest_backlog 1.0" in metrics
    assert "triage_ingest_backlog_oldest_seconds 4" in metrics


def test_the_prefer_header_is_read_as_rfc_7240_says() -> None:
    assert wants_async("respond-async")
    assert wants_async("Respond-Async, wait=10")
    assert wants_async("return=minimal; foo, respond-async")
    assert not wants_async(None)
    assert not wants_async("")
    assert not wants_async("handling=lenient")
    assert not wants_async("respond-asynchronously")
