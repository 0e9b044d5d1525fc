"""The app with quick timers (events published and deliveries sent within tenths of a
second, retries a fraction of a second apart) and a real receiver beside it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.double import KeywordClassifier
from service.app import create_app
from tests.conftest import World, make_settings
from tests.webhooks.receiver import Receiver, start
from triage.storage.db import unit_of_work
from triage.storage.tables import WebhookDelivery

QUICK: dict[str, Any] = {
    "events_poll_seconds": 0.05,
    "webhook_poll_seconds": 0.05,
    "webhook_backoff_seconds": 0.2,
    "webhook_backoff_cap_seconds": 0.4,
    "webhook_timeout_seconds": 1.5,
    "recovery_interval_seconds": 0.2,
    "rate_limit_per_minute": 0,
}
COMPLAINT = "The room was dirty and the staff were rude."
PRAISE = "Lovely stay, friendly staff, clean and comfortable room. Wonderful."


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = start()
    yield found
    found.close()


@pytest.fixture
def app_client(database_url: str, tmp_path: Path, world: World) -> Iterator[TestClient]:
    app = create_app(make_settings(database_url, tmp_path, **QUICK), classifier=KeywordClassifier())
    with TestClient(app) as client:
        yield client


def review(external_id: str, text: str = COMPLAINT, **extra: Any) -> dict[str, Any]:
    return {
        "property_id": "hotel-a",
        "source": "survey",
        "external_id": external_id,
        "text": text,
        "language": "en",
        **extra,
    }


def register(
    client: TestClient, world: World, url: str, events: list[str] | None = None, **fields: Any
) -> dict[str, Any]:
    """An endpoint of hotel-a (a private address, allowed), with any other `fields` of
    `POST /v1/webhooks`."""
    body: dict[str, Any] = {"property_id": "hotel-a", "url": url, "allow_private": True, **fields}
    if events is not None:
        body["events"] = events
    response = client.post("/v1/webhooks", headers=world.auth(world.admin_ab), json=body)
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


def resolve_posted(app_client: TestClient, world: World, note: str) -> None:
    """A complaint posted through the API, claimed and resolved by agent A with `note`."""
    posted = app_client.post("/v1/reviews", headers=world.auth(world.key_a), json=review("r1"))
    item = posted.json()["queue"]["item_id"]
    agent = world.auth(world.agent_a)
    assert app_client.post("/v1/queue/claim", headers=agent, json={}).status_code == 200
    resolved = app_client.post(
        f"/v1/queue/{item}/resolve",
        headers=agent,
        json={"label": "negative", "action": "replied", "note": note},
    )
    assert resolved.status_code == 200, resolved.text


def wait_until(check: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise TimeoutError(f"not within {timeout} s: {what}")


def statuses(sessions: sessionmaker[Session], endpoint_id: int) -> list[str]:
    with unit_of_work(sessions) as s:
        return list(
            s.scalars(
                select(WebhookDelivery.status)
                .where(WebhookDelivery.endpoint_id == endpoint_id)
                .order_by(WebhookDelivery.id)
            )
        )
