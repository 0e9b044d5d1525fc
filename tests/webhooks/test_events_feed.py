"""The changes feed and the outbox behind it: events are written with the change (none on
a rollback), published in commit order, listed once each after a cursor, scoped to the
caller's properties."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import SETUP, World
from tests.webhooks.conftest import COMPLAINT, PRAISE, review, wait_until
from triage.access import accounts
from triage.casework import escalation
from triage.events import outbox
from triage.learning import registry
from triage.storage.db import unit_of_work, utcnow
from triage.storage.tables import Event, Review, WebhookDelivery
from triage.webhooks import deliveries, endpoints


def feed(client: TestClient, secret: str, after: str = "0", **params: object) -> dict[str, object]:
    response = client.get(
        "/v1/events",
        headers={"Authorization": f"Bearer {secret}"},
        params={"after": after, **params},
    )
    assert response.status_code == 200, response.text
    found: dict[str, object] = response.json()
    return found


def all_events(client: TestClient, secret: str) -> list[dict[str, object]]:
    """Read the whole feed in pages of two, as a poller would."""
    events: list[dict[str, object]] = []
    cursor = "0"
    while True:
        page = feed(client, secret, cursor, limit=2)
        events += page["events"]  # type: ignore[arg-type]
        if page["next_cursor"] == cursor:
            return events
        cursor = str(page["next_cursor"])


def test_the_feed_lists_each_event_once_in_order_for_its_properties(
    app_client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    for n, text in enumerate([COMPLAINT, PRAISE, COMPLAINT]):
        app_client.post("/v1/reviews", headers=world.auth(world.key_a), json=review(f"a{n}", text))
    other = {**review("b0"), "property_id": "hotel-b"}
    app_client.post("/v1/reviews", headers=world.auth(world.key_b), json=other)
    agent = world.auth(world.agent_a)
    claimed = app_client.post("/v1/queue/claim", headers=agent, json={})
    item = claimed.json()["queue"]["item_id"]
    with unit_of_work(sessions) as s:  # escalation is a page of the UI, not an API call
        agent_a = accounts.authenticate_bearer(s, world.agent_a)
        escalation.escalate(s, agent_a, item, "department:housekeeping")
    wait_until(lambda: _unpublished(sessions) == 0, what="published")

    events = all_events(app_client, world.key_a)
    types = [e["type"] for e in events]
    assert types == ["review.routed"] * 3 + ["review.claimed", "review.escalated"]
    assert [e["sequence"] for e in events] == sorted(e["sequence"] for e in events)  # type: ignore[type-var]
    assert len({e["id"] for e in events}) == 5
    assert {e["property_id"] for e in events} == {"hotel-a"}
    escalated = events[-1]["data"]
    assert escalated["target"] == "department:housekeeping"  # type: ignore[index]
    # hotel-b's key sees its own review only; the key of both sees all six.
    assert [e["data"]["review"]["external_id"] for e in all_events(app_client, world.key_b)] == [  # type: ignore[index]
        "b0"
    ]
    assert len(all_events(app_client, world.key_ab)) == 6
    # Filtered by type; an empty page keeps the cursor.
    claims = feed(app_client, world.key_a, type="review.claimed")
    assert [e["type"] for e in claims["events"]] == ["review.claimed"]  # type: ignore[attr-defined]
    last = str(events[-1]["sequence"])
    assert feed(app_client, world.key_a, last) == {"events": [], "next_cursor": last}


def _unpublished(sessions: sessionmaker[Session]) -> int:
    with unit_of_work(sessions) as s:
        return outbox.unpublished_count(s)


def test_people_other_than_admins_do_not_read_the_feed(
    app_client: TestClient, world: World
) -> None:
    for secret in (world.agent_a, world.trainer_a):
        response = app_client.get("/v1/events", headers=world.auth(secret))
        assert response.status_code == 403
    assert app_client.get("/v1/events", headers=world.auth(world.admin_ab)).status_code == 200
    bad = app_client.get("/v1/events", headers=world.auth(world.key_a), params={"after": "x"})
    assert bad.status_code == 422
    bad = app_client.get("/v1/events", headers=world.auth(world.key_a), params={"type": "nope"})
    assert bad.status_code == 422


def test_a_rolled_back_change_leaves_no_event(
    sessions: sessionmaker[Session], world: World
) -> None:
    with pytest.raises(RuntimeError), unit_of_work(sessions) as s:
        s.add(Review(property_id="hotel-a", source="x", external_id="1", text="t"))
        s.flush()
        row = s.scalars(select(Review)).one()
        outbox.emit(s, "review.routed", property_id="hotel-a", review=row, data={})
        raise RuntimeError("the change fails after the event was added")
    with unit_of_work(sessions) as s:
        assert s.scalar(select(func.count()).select_from(Event)) == 0


def test_an_event_committed_late_is_published_after_the_ones_read_already(
    sessions: sessionmaker[Session], world: World
) -> None:
    """A poller that has read up to N never misses an event whose transaction began first
    but committed later: that event gets a sequence above N when it is published."""
    if sessions.kw["bind"].dialect.name == "sqlite":
        pytest.skip("SQLite has one writer: its transactions commit in the order they begin")
    late = sessions()
    late.begin()
    outbox.emit(late, "model.promoted", property_id=None, data={"version": "late"})
    late.flush()  # the id is taken, the commit has not happened
    with unit_of_work(sessions) as s:
        outbox.emit(s, "model.promoted", property_id=None, data={"version": "early"})
    with unit_of_work(sessions) as s:
        first = [e.data["version"] for e in outbox.take_unpublished(s)]
    with unit_of_work(sessions) as s:
        read = outbox.feed(s, ["hotel-a"], after=0, limit=10)
    late.commit()
    late.close()
    with unit_of_work(sessions) as s:
        second = outbox.take_unpublished(s)
        assert [e.data["version"] for e in second] == ["late"]
        assert second[0].seq is not None and second[0].seq > read.cursor
    assert first == ["early"]


def test_a_promotion_is_an_event_for_every_property(
    app_client: TestClient, world: World, sessions: sessionmaker[Session], tmp_path: object
) -> None:
    with unit_of_work(sessions) as s:
        registry.register(s, SETUP, "v-next", str(tmp_path))
        registry.promote(s, SETUP, "v-next", miss_target=0.01, force_reason="test")
        deliveries.publish(s, deliveries.RetryPolicy())
    for secret in (world.key_a, world.key_b):
        (event,) = feed(app_client, secret)["events"]  # type: ignore[misc]
        assert event["type"] == "model.promoted"
        assert event["property_id"] is None
        assert event["data"]["version"] == "v-next"


def test_old_events_are_pruned_unless_a_delivery_is_still_open(
    app_client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    for n in range(3):
        app_client.post("/v1/reviews", headers=world.auth(world.key_a), json=review(f"r{n}"))
    wait_until(lambda: _unpublished(sessions) == 0, what="published")
    with unit_of_work(sessions) as s:
        events = list(s.scalars(select(Event).order_by(Event.id)))
        s.add(
            WebhookDelivery(
                endpoint_id=endpoints.create(
                    s,
                    SETUP,
                    "hotel-a",
                    endpoints.EndpointChange(url="http://10.0.0.1/x", allow_private=True),
                ).id,
                event_id=events[0].id,
                seq=events[0].seq,
                status="pending",
                next_attempt_at=utcnow() + timedelta(hours=1),
                give_up_at=utcnow() + timedelta(hours=2),
            )
        )
    with unit_of_work(sessions) as s:
        assert outbox.prune(s, before=utcnow() - timedelta(days=1)) == 0  # none old enough
    with unit_of_work(sessions) as s:
        assert outbox.prune(s, before=utcnow() + timedelta(seconds=1)) == 2
    with unit_of_work(sessions) as s:
        assert list(s.scalars(select(Event.id))) == [events[0].id]  # its delivery is open


def test_erasing_a_guest_removes_notes_from_their_events(
    app_client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    posted = app_client.post(
        "/v1/reviews",
        headers=world.auth(world.key_a),
        json=review("r1", guest={"email": "guest@example.com"}),
    ).json()
    agent = world.auth(world.agent_a)
    app_client.post("/v1/queue/claim", headers=agent, json={})
    app_client.post(
        f"/v1/queue/{posted['queue']['item_id']}/resolve",
        headers=agent,
        json={"label": "negative", "action": "replied", "note": "Maria Schulz called back"},
    )
    erased = app_client.post(
        "/v1/erasures",
        headers=world.auth(world.admin_ab),
        json={"property_id": "hotel-a", "email": "guest@example.com"},
    )
    assert erased.json()["anonymised_review_ids"] == [posted["id"]]
    wait_until(lambda: _unpublished(sessions) == 0, what="published")
    resolved = [e for e in all_events(app_client, world.key_a) if e["type"] == "review.resolved"]
    assert [e["data"]["note"] for e in resolved] == [None]  # type: ignore[index]
    assert "Maria" not in str(all_events(app_client, world.key_a))
