"""The audit log over HTTP: admins only, their properties' events, newest first, paged;
a verdict given through the API is recorded with who and when."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import SETUP, World, _password_hash
from triage.access import accounts, audit
from triage.storage.db import unit_of_work
from triage.storage.tables import Property, User

COMPLAINT = "The room was dirty and the staff were rude."


def ingest(client: TestClient, world: World, property_id: str, external_id: str) -> Any:
    key = world.key_a if property_id == "hotel-a" else world.key_b
    response = client.post(
        "/v1/reviews",
        headers=world.auth(key),
        json={
            "property_id": property_id,
            "external_id": external_id,
            "source": "google",
            "text": COMPLAINT,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


def admin_of_a(sessions: sessionmaker[Session]) -> str:
    with unit_of_work(sessions) as s:
        s.add(
            User(
                email="admin.a@example.com",
                password_hash=_password_hash(),
                role="admin",
                properties=[s.get(Property, "hotel-a")],
            )
        )
        s.flush()
        return accounts.create_user_token(s, SETUP, "admin.a@example.com")[1]


def test_verdicts_are_audited_and_admins_page_through_their_log(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    a = ingest(client, world, "hotel-a", "a-1")
    b = ingest(client, world, "hotel-b", "b-1")
    for token, item in ((world.agent_a, a), (world.agent_b, b)):
        claimed = client.post("/v1/queue/claim", headers=world.auth(token))
        assert claimed.json()["queue"]["item_id"] == item["queue"]["item_id"]
        resolved = client.post(
            f"/v1/queue/{item['queue']['item_id']}/resolve",
            headers=world.auth(token),
            json={"label": "negative", "action": "replied", "note": "Called the guest."},
        )
        assert resolved.status_code == 200, resolved.text
    with unit_of_work(sessions) as s:
        audit.record(s, "cli:ops", "api_key.create", subject="key:9")

    everything = client.get("/v1/audit", headers=world.auth(world.admin_ab))
    assert everything.status_code == 200, everything.text
    items = everything.json()["items"]
    # The oldest events are the fixtures' own keys and tokens (created through the
    # audited account functions, one row per property each grants); the test's come first.
    setup_tokens = [
        ("agent.a@example.com", "hotel-a"),
        ("agent.b@example.com", "hotel-b"),
        ("trainer.a@example.com", "hotel-a"),
        ("admin@example.com", "hotel-a"),
        ("admin@example.com", "hotel-b"),
    ]
    setup_keys = [
        ("key:1", "hotel-a"),
        ("key:2", "hotel-b"),
        ("key:3", "hotel-a"),
        ("key:3", "hotel-b"),
    ]
    assert [(e["actor"], e["action"], e["property_id"], e["subject"]) for e in items[3:]] == [
        (SETUP, "user_token.create", p, email) for email, p in reversed(setup_tokens)
    ] + [(SETUP, "api_key.create", p, key) for key, p in reversed(setup_keys)]
    assert [(e["actor"], e["action"], e["property_id"], e["subject"]) for e in items[:3]] == [
        ("cli:ops", "api_key.create", None, "key:9"),
        ("agent.b@example.com", "queue.resolve", "hotel-b", f"item:{b['queue']['item_id']}"),
        ("agent.a@example.com", "queue.resolve", "hotel-a", f"item:{a['queue']['item_id']}"),
    ]
    assert items[1]["details"] == {"label": "negative", "action": "replied"}
    assert all(e["at"] for e in items) and everything.json()["next_before_id"] is None

    # Two at a time, newest first, the whole log and nothing twice.
    paged: list[int] = []
    before = ""
    while True:
        page = client.get(f"/v1/audit?limit=2{before}", headers=world.auth(world.admin_ab))
        paged += [e["id"] for e in page.json()["items"]]
        if page.json()["next_before_id"] is None:
            break
        assert page.json()["next_before_id"] == paged[-1]
        before = f"&before_id={paged[-1]}"
    assert paged == [e["id"] for e in items]
    only = client.get("/v1/audit?action=api_key.create", headers=world.auth(world.admin_ab))
    assert [(e["actor"], e["action"]) for e in only.json()["items"]] == [
        ("cli:ops", "api_key.create"),
        *[(SETUP, "api_key.create")] * 4,
    ]

    # An admin of hotel-a alone sees nothing of hotel-b: not its reviews, not its people
    # (account events carry the properties they grant access to).
    scoped = client.get("/v1/audit", headers=world.auth(admin_of_a(sessions)))
    seen = scoped.json()["items"]
    assert {e["property_id"] for e in seen} == {None, "hotel-a"}
    assert "agent.b@example.com" not in str(seen) and "hotel-b" not in {
        e["property_id"] for e in seen
    }


@pytest.mark.parametrize("caller", ["key_a", "key_ab", "agent_a", "trainer_a"])
def test_only_admins_read_the_audit_log(client: TestClient, world: World, caller: str) -> None:
    response = client.get("/v1/audit", headers=world.auth(getattr(world, caller)))
    assert response.status_code == 403
    assert response.json()["detail"] == "the audit log is for admins"
    assert client.get("/v1/audit").status_code == 401
