"""Ingest and read reviews through the real app on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models import ClassifierInfo, Prediction
from models.double import KeywordClassifier
from service.app import create_app
from tests.conftest import World, make_settings
from triage.core.metrics import Metrics
from triage.intake.ingest import Ingestor
from triage.storage.db import unit_of_work
from triage.storage.tables import QueueItem, Review

PRAISE = "Wonderful hotel, friendly staff and a clean, comfortable room. We will recommend it."
COMPLAINT = "The room was dirty, the staff were rude and the breakfast was cold. Terrible."


def review(external_id: str, text: str = PRAISE, **extra: Any) -> dict[str, Any]:
    return {
        "property_id": "hotel-a",
        "external_id": external_id,
        "source": "google",
        "text": text,
        **extra,
    }


def count(sessions: sessionmaker[Session], table: type) -> int:
    with unit_of_work(sessions) as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def test_ingest_routes_praise_automatically(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    response = client.post(
        "/v1/reviews",
        headers=world.auth(world.key_a),
        json=review(
            "r1",
            rating={"value": 9, "scale": 10},
            language="en",
            submitted_at="2026-11-20T10:00:00+01:00",
            guest={
                "stay_from": "2026-11-17",
                "stay_to": "2026-11-19",
                "room": "212",
                "segment": "business",
                "booking_reference": "BK-1",
            },
            metadata={"channel": {"name": "mobile"}},
        ),
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "auto_handled"
    assert body["route"] == "auto"
    assert body["reasons"] == [
        {
            "code": "confident_positive",
            "explanation": body["reasons"][0]["explanation"],
            "evidence": None,
        }
    ]
    assert body["reasons"][0]["explanation"].startswith("Positive, ")
    assert body["priority"] is None and body["due_at"] is None and body["queue"] is None
    assert body["language"] == "en"
    assert body["sentiment"]["label"] == "positive"
    assert set(body["sentiment"]["probabilities"]) == {"negative", "neutral", "positive"}
    assert body["model_version"] == "keyword-double-1"
    assert body["rating"] == {"value": 9.0, "scale": 10}
    assert body["guest"]["room"] == "212" and body["guest"]["segment"] == "business"
    assert body["metadata"] == {"channel": {"name": "mobile"}}
    assert body["submitted_at"] == "2026-11-20T09:00:00Z"
    assert body["text"] == PRAISE
    assert count(sessions, Review) == 1 and count(sessions, QueueItem) == 0


def test_complaint_goes_to_the_queue_with_reasons(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    response = client.post(
        "/v1/reviews", headers=world.auth(world.key_a), json=review("r2", COMPLAINT)
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["route"], body["priority"]) == ("queued", "human", 2)
    assert [r["code"] for r in body["reasons"]] == ["negative_sentiment"]
    assert body["due_at"] is not None
    assert body["queue"]["state"] == "open"
    with unit_of_work(sessions) as s:
        item = s.scalars(select(QueueItem)).one()
        assert (item.review_id, item.priority, item.state) == (body["id"], 2, "open")


def test_same_review_again_is_200_and_creates_nothing(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    first = client.post("/v1/reviews", headers=world.auth(world.key_a), json=review("dup"))
    again = client.post(
        "/v1/reviews", headers=world.auth(world.key_a), json=review("dup", COMPLAINT)
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    other_source = client.post(
        "/v1/reviews", headers=world.auth(world.key_a), json={**review("dup"), "source": "booking"}
    )
    assert other_source.status_code == 201
    assert count(sessions, Review) == 2


def test_racing_duplicates_store_one_review(
    database_url: str, tmp_path: Path, world: World, sessions: sessionmaker[Session]
) -> None:
    app = create_app(make_settings(database_url, tmp_path), classifier=KeywordClassifier())
    statuses: list[int] = []
    ids: list[int] = []
    barrier = threading.Barrier(8)
    with TestClient(app) as client:

        def post() -> None:
            barrier.wait()
            r = client.post(
                "/v1/reviews", headers=world.auth(world.key_a), json=review("race", COMPLAINT)
            )
            statuses.append(r.status_code)
            ids.append(r.json()["id"])

        threads = [threading.Thread(target=post) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert sorted(statuses) == [200] * 7 + [201]
    assert len(set(ids)) == 1
    assert count(sessions, Review) == 1
    assert count(sessions, QueueItem) == 1


class ExplodingClassifier:
    """A model that fails on every call, as a crashed model would."""

    @property
    def info(self) -> ClassifierInfo:
        return ClassifierInfo(version="exploding-1", auto_threshold=0.5)

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        raise RuntimeError("CUDA out of memory (simulated)")


def test_model_that_raises_still_stores_and_routes_to_a_person(
    database_url: str, tmp_path: Path, world: World, sessions: sessionmaker[Session]
) -> None:
    app = create_app(make_settings(database_url, tmp_path), classifier=ExplodingClassifier())
    with TestClient(app) as client:
        response = client.post(
            "/v1/reviews", headers=world.auth(world.key_a), json=review("boom", PRAISE)
        )
        batch = client.post(
            "/v1/reviews/batch",
            headers=world.auth(world.key_a),
            json={"reviews": [review(f"b{i}") for i in range(3)]},
        )
        metrics = client.get("/metrics").text
    assert response.status_code == 201
    body = response.json()
    assert (body["route"], body["status"]) == ("human", "queued")
    assert [r["code"] for r in body["reasons"]] == ["model_unavailable"]
    assert body["sentiment"] is None and body["model_version"] is None
    assert batch.status_code == 200
    assert [r["review"]["route"] for r in batch.json()["results"]] == ["human"] * 3
    assert count(sessions, Review) == 4 and count(sessions, QueueItem) == 4
    assert "triage_inference_failures_total 4.0" in metrics


def test_model_not_loaded_routes_to_a_person(
    database_url: str, tmp_path: Path, world: World
) -> None:
    app = create_app(make_settings(database_url, tmp_path))  # load_model=False
    with TestClient(app) as client:
        ready = client.get("/v1/readyz")
        body = client.post(
            "/v1/reviews", headers=world.auth(world.key_a), json=review("nomodel")
        ).json()
    assert ready.status_code == 503
    assert ready.json()["model"].startswith("unavailable")
    assert [r["code"] for r in body["reasons"]] == ["model_unavailable"]


def test_batch_has_a_result_per_item(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    client.post("/v1/reviews", headers=world.auth(world.key_a), json=review("old"))
    response = client.post(
        "/v1/reviews/batch",
        headers=world.auth(world.key_ab),
        json={
            "reviews": [
                review("n1"),
                review("old"),
                {**review("n2"), "text": ""},
                {**review("n3"), "property_id": "hotel-b", "text": COMPLAINT},
                {**review("n4"), "property_id": "nowhere"},
                review(
                    "n5", "Das Frühstück war kalt und das Personal unfreundlich. Leider schlecht."
                ),
            ]
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["existing"], body["failed"]) == (3, 1, 2)
    assert [r["status"] for r in body["results"]] == [201, 200, 422, 201, 404, 201]
    assert [r["index"] for r in body["results"]] == list(range(6))
    assert body["results"][2]["error"]["errors"][0]["field"] == "text"
    assert body["results"][3]["review"]["route"] == "human"
    assert body["results"][5]["review"]["language"] == "de"
    assert count(sessions, Review) == 4


def test_read_and_list_with_filters_and_cursor(client: TestClient, world: World) -> None:
    auth = world.auth(world.key_a)
    ids = []
    for i in range(5):
        text = PRAISE if i % 2 == 0 else COMPLAINT
        ids.append(
            client.post("/v1/reviews", headers=auth, json=review(f"l{i}", text)).json()["id"]
        )
    one = client.get(f"/v1/reviews/{ids[1]}", headers=world.auth(world.agent_a))
    assert one.status_code == 200 and one.json()["id"] == ids[1]

    seen = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/reviews", headers=auth, params=params).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True)

    human = client.get("/v1/reviews", headers=auth, params={"route": "human"}).json()
    assert sorted(item["id"] for item in human["items"]) == [ids[1], ids[3]]
    positive = client.get("/v1/reviews", headers=auth, params={"sentiment": "positive"}).json()
    assert sorted(item["id"] for item in positive["items"]) == [ids[0], ids[2], ids[4]]
    english = client.get(
        "/v1/reviews", headers=auth, params={"language": "en", "status": "auto_handled"}
    ).json()
    assert len(english["items"]) == 3
    future = client.get(
        "/v1/reviews", headers=auth, params={"received_from": "2999-01-01T00:00:00Z"}
    ).json()
    assert future == {"items": [], "next_cursor": None}


def test_reviews_stored_but_not_routed_are_recovered(
    sessions: sessionmaker[Session], world: World
) -> None:
    """A crash between storing and routing leaves `received` reviews: they get routed."""
    with unit_of_work(sessions) as s:
        s.add(
            Review(
                property_id="hotel-a",
                source="email",
                external_id="crash",
                text=COMPLAINT,
                status="received",
            )
        )
    ingestor = Ingestor(sessions, KeywordClassifier, Metrics())
    assert ingestor.route_backlog() == 1
    assert ingestor.route_backlog() == 0
    with unit_of_work(sessions) as s:
        stored = s.scalars(select(Review)).one()
        assert (stored.status, stored.route, stored.model_version) == (
            "queued",
            "human",
            "keyword-double-1",
        )
    assert count(sessions, QueueItem) == 1


def test_retry_of_an_unrouted_review_routes_it(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with unit_of_work(sessions) as s:
        s.add(
            Review(
                property_id="hotel-a",
                source="google",
                external_id="half",
                text=PRAISE,
                status="received",
            )
        )
    response = client.post("/v1/reviews", headers=world.auth(world.key_a), json=review("half"))
    assert response.status_code == 200
    assert response.json()["status"] == "auto_handled"


def test_health_ready_and_metrics(client: TestClient, world: World) -> None:
    assert client.get("/v1/healthz").json() == {"status": "ok"}
    assert client.get("/v1/readyz").json() == {
        "status": "ready",
        "database": "ok",
        "model": "ok",
        "model_version": "keyword-double-1",
        "model_engine": None,
        "backlog": {
            "reviews_received": 0,
            "oldest_received_seconds": 0.0,
            "events_unpublished": 0,
            "webhook_deliveries": {"pending": 0, "sending": 0, "delivered": 0, "failed": 0},
        },
    }
    client.post("/v1/reviews", headers=world.auth(world.key_a), json=review("m1", COMPLAINT))
    client.post("/v1/queue/claim", headers=world.auth(world.agent_a))
    text = client.get("/metrics").text
    assert 'triage_reviews_ingested_total{source="google"} 1.0' in text
    assert 'triage_reviews_routed_total{reason="negative_sentiment",route="human"} 1.0' in text
    assert "triage_queue_depth 1.0" in text
    assert "triage_claim_seconds_count 1.0" in text
    assert "triage_inference_seconds_count 1.0" in text


def test_openapi_documents_the_api(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert {
        "/v1/reviews",
        "/v1/reviews/batch",
        "/v1/reviews/{review_id}",
        "/v1/queue",
        "/v1/queue/claim",
        "/v1/queue/{item_id}/release",
        "/v1/queue/{item_id}/resolve",
        "/v1/healthz",
        "/v1/readyz",
    } <= set(schema["paths"])
    assert client.get("/docs").status_code == 200


@pytest.mark.parametrize(
    "text", ["<script>alert(1)</script>", "'; DROP TABLE reviews; --", "{{ 7*7 }} ${7*7}"]
)
def test_hostile_text_is_stored_verbatim(client: TestClient, world: World, text: str) -> None:
    body = client.post(
        "/v1/reviews",
        headers=world.auth(world.key_a),
        json=review("h", text + " The room was fine."),
    ).json()
    got = client.get(f"/v1/reviews/{body['id']}", headers=world.auth(world.key_a)).json()
    assert got["text"] == text + " The room was fine."
