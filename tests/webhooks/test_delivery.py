"""Webhook deliveries from the real app to a real HTTP receiver: signed, retried with
backoff until the receiver recovers, in order per review, and none blocked by a receiver
that is slow, silent, huge, redirecting or unreachable."""

from __future__ import annotations

import itertools
import time

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import World
from tests.webhooks.conftest import PRAISE, register, resolve_posted, review, statuses, wait_until
from tests.webhooks.receiver import Receiver
from triage.storage.db import unit_of_work
from triage.storage.tables import WebhookAttempt, WebhookDelivery
from triage.webhooks import signing

ASYNC = {"Prefer": "respond-async"}


def test_a_routed_review_reaches_the_receiver_signed(
    app_client: TestClient, world: World, receiver: Receiver
) -> None:
    hook = register(app_client, world, f"{receiver.base}/ok", ["review.routed"])
    secret = hook["secret"]
    assert secret.startswith("whsec_")
    assert (
        app_client.get(f"/v1/webhooks/{hook['id']}", headers=world.auth(world.admin_ab)).json()[
            "secret"
        ]
        is None
    )  # shown once

    posted = app_client.post(
        "/v1/reviews", headers={**world.auth(world.key_a), **ASYNC}, json=review("r1")
    )
    assert posted.status_code == 202
    (got,) = receiver.wait_for("/ok", 1)
    # The receiver verifies the delivery as docs/webhooks.md tells it to.
    timestamp = signing.verify(secret, got.headers["Triage-Signature"], got.body)
    assert abs(timestamp - time.time()) < 30
    event = got.event
    assert got.headers["Triage-Event-Id"] == event["id"]
    assert got.headers["Triage-Event-Type"] == "review.routed" == event["type"]
    assert got.headers["Content-Type"] == "application/json"
    assert event["property_id"] == "hotel-a"
    data = event["data"]
    assert data["review"]["id"] == posted.json()["id"]
    assert data["review"]["external_id"] == "r1"
    assert data["review"]["route"] == "human"
    assert data["review"]["status"] == "queued"
    assert [r["code"] for r in data["reasons"]] == ["negative_sentiment"]
    assert "text" not in data["review"]  # never the guest's words
    # A tampered body, another secret or an old timestamp are refused.
    for body, key, now in (
        (got.body + b" ", secret, None),
        (got.body, "whsec_other", None),
        (got.body, secret, time.time() + 3600),
    ):
        try:
            signing.verify(key, got.headers["Triage-Signature"], body, now=now)
        except signing.SignatureError:
            continue
        raise AssertionError("a bad delivery was accepted")


def test_a_failing_receiver_gets_retries_until_it_recovers(
    app_client: TestClient, world: World, receiver: Receiver, sessions: sessionmaker[Session]
) -> None:
    hook = register(app_client, world, f"{receiver.base}/flaky/3", ["review.routed"])
    app_client.post("/v1/reviews", headers=world.auth(world.key_a), json=review("r1"))
    got = receiver.wait_for("/flaky/3", 4)
    assert len({r.headers["Triage-Event-Id"] for r in got}) == 1  # the same event each time
    assert [r.headers["Triage-Delivery-Attempt"] for r in got] == ["1", "2", "3", "4"]
    gaps = [b.at - a.at for a, b in itertools.pairwise(got)]
    assert all(gap >= 0.9 for gap in gaps), gaps  # backoff (at least a second apart)
    wait_until(lambda: statuses(sessions, hook["id"]) == ["delivered"], what="delivered")
    listed = app_client.get(
        f"/v1/webhooks/{hook['id']}/deliveries", headers=world.auth(world.admin_ab)
    ).json()["items"]
    (delivery,) = listed
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 500, 200]
    assert delivery["attempts"][0]["error"] == "answered 500"
    time.sleep(0.5)
    assert len(receiver.on("/flaky/3")) == 4  # nothing after success


def test_events_of_one_review_arrive_in_order(
    app_client: TestClient, world: World, receiver: Receiver
) -> None:
    register(app_client, world, f"{receiver.base}/flaky/2")
    resolve_posted(app_client, world, "Called the guest: sorry!")
    got = receiver.wait_for("/flaky/2", 5)
    types = [r.event["type"] for r in got]
    # The first event fails twice: nothing later about the review overtakes it.
    assert types == ["review.routed"] * 3 + ["review.claimed", "review.resolved"]
    resolved_event = got[-1].event["data"]
    assert resolved_event["label"] == "negative"
    assert resolved_event["action"] == "replied"
    assert resolved_event["note"] == "Called the guest: sorry!"
    assert resolved_event["agent"]["email"] == "agent.a@example.com"
    sequences = [r.event["sequence"] for r in got[2:]]
    assert sequences == sorted(sequences)


def test_bad_receivers_block_nobody(
    app_client: TestClient, world: World, receiver: Receiver, sessions: sessionmaker[Session]
) -> None:
    """A silent receiver, a 10 MB answer, a redirect to a private address and an
    unreachable host: the good receiver gets its event at once, and the API answers."""
    bad = {
        "/hang": f"{receiver.base}/hang",
        "/huge": f"{receiver.base}/huge",
        "/redirect": f"{receiver.base}/redirect",
        "unreachable": "http://127.0.0.1:9/closed",
    }
    hooks = {name: register(app_client, world, url, ["review.routed"]) for name, url in bad.items()}
    good = register(app_client, world, f"{receiver.base}/ok", ["review.routed"])
    started = time.monotonic()
    for n in range(5):
        answer = app_client.post(
            "/v1/reviews", headers={**world.auth(world.key_a), **ASYNC}, json=review(f"r{n}")
        )
        assert answer.status_code == 202
    receiver.wait_for("/ok", 5, timeout=10)
    assert time.monotonic() - started < 5  # not behind the silent one (1.5 s deadline each)
    assert app_client.get("/v1/readyz").status_code == 200

    def attempts(endpoint_id: int) -> set[int]:
        with unit_of_work(sessions) as s:
            return set(
                s.scalars(
                    select(WebhookAttempt.delivery_id)
                    .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
                    .where(WebhookDelivery.endpoint_id == endpoint_id)
                )
            )

    wait_until(
        lambda: all(len(attempts(h["id"])) == 5 for h in hooks.values()),
        what="every delivery to a bad receiver tried",
    )
    with unit_of_work(sessions) as s:
        errors = {
            name: set(
                s.scalars(
                    select(WebhookAttempt.error)
                    .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
                    .where(WebhookDelivery.endpoint_id == h["id"])
                )
            )
            for name, h in hooks.items()
        }
    assert errors["/hang"] == {"no answer within 1.5 s"}
    assert errors["/redirect"] == {"redirect not followed"}
    assert errors["unreachable"] == {"ConnectError"}
    assert errors["/huge"] == {None}  # a 200 with a huge body: delivered, body not read
    assert statuses(sessions, hooks["/huge"]["id"]) == ["delivered"] * 5
    assert statuses(sessions, good["id"]) == ["delivered"] * 5


def test_a_failed_delivery_is_given_up_after_its_window_and_can_be_resent(
    database_url: str,
    tmp_path: object,
    world: World,
    receiver: Receiver,
    sessions: sessionmaker[Session],
) -> None:
    from pathlib import Path

    from models.double import KeywordClassifier
    from service.app import create_app
    from tests.conftest import make_settings
    from tests.webhooks.conftest import QUICK

    settings = make_settings(
        database_url, Path(str(tmp_path)), **{**QUICK, "webhook_retry_hours": 1 / 3600}
    )
    with TestClient(create_app(settings, classifier=KeywordClassifier())) as client:
        hook = register(client, world, f"{receiver.base}/flaky/1000", ["review.routed"])
        client.post("/v1/reviews", headers=world.auth(world.key_a), json=review("r1", PRAISE))
        wait_until(lambda: statuses(sessions, hook["id"]) == ["failed"], what="failed")
        tries = len(receiver.on("/flaky/1000"))
        assert tries >= 1
        admin = world.auth(world.admin_ab)
        (delivery,) = client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=admin).json()[
            "items"
        ]
        assert delivery["status"] == "failed" and delivery["next_attempt_at"] is None
        assert len(delivery["attempts"]) == tries
        # The receiver is fixed; an admin re-sends.
        fixed = client.patch(
            f"/v1/webhooks/{hook['id']}", headers=admin, json={"url": f"{receiver.base}/ok"}
        )
        assert fixed.status_code == 200
        resent = client.post(f"/v1/webhooks/deliveries/{delivery['id']}/resend", headers=admin)
        assert resent.status_code == 200, resent.text
        assert resent.json()["status"] in ("pending", "sending", "delivered")
        (got,) = receiver.wait_for("/ok", 1)
        assert got.headers["Triage-Event-Id"] == delivery["event_id"]  # the same event again
        wait_until(lambda: statuses(sessions, hook["id"]) == ["delivered"], what="delivered")
        again = client.post(f"/v1/webhooks/deliveries/{delivery['id']}/resend", headers=admin)
        assert again.status_code == 200  # a delivered one may be sent again too
        audit = client.get("/v1/audit", headers=admin, params={"action": "webhook.resend"})
        assert len(audit.json()["items"]) == 2
