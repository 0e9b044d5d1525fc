"""An endpoint may ask for the people's notes in its deliveries redacted (`redact_notes`):
set and changed through the API, and applied to the body it is sent, which is what the
signature covers. Through the real app, a real receiver, SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import World
from tests.webhooks.conftest import register, resolve_posted, statuses, wait_until
from tests.webhooks.receiver import Received, Receiver
from triage.storage.db import unit_of_work
from triage.storage.tables import AuditEvent, Event, WebhookEndpoint
from triage.webhooks import signing

NOTE = "Rückruf an Maria Schulz unter +49 170 1234567 vereinbart"
REDACTED = "Rückruf an [NAME] unter [PHONE] vereinbart"
HOOK = "http://127.0.0.1:9/hook"


def test_an_endpoint_opts_into_redacted_notes_and_out_again(
    app_client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    admin = world.auth(world.admin_ab)
    made = app_client.post(
        "/v1/webhooks",
        headers=admin,
        json={
            "property_id": "hotel-a",
            "url": HOOK,
            "events": ["review.resolved"],
            "allow_private": True,
            "redact_notes": True,
        },
    )
    assert made.status_code == 201, made.text
    hook = made.json()
    assert hook["secret"].startswith("whsec_")
    assert {k: v for k, v in hook.items() if k not in ("id", "created_at", "updated_at")} == {
        "property_id": "hotel-a",
        "url": HOOK,
        "description": None,
        "events": ["review.resolved"],
        "enabled": True,
        "allow_private": True,
        "redact_notes": True,
        "created_by": "admin@example.com",
        "deliveries": {"pending": 0, "sending": 0, "delivered": 0, "failed": 0},
        "secret": hook["secret"],
    }
    url = f"/v1/webhooks/{hook['id']}"
    read = app_client.get(url, headers=admin)
    assert read.status_code == 200
    assert read.json() == {**hook, "secret": None}

    off = app_client.patch(url, headers=admin, json={"redact_notes": False})
    assert off.status_code == 200, off.text
    assert off.json() == {
        **hook,
        "secret": None,
        "redact_notes": False,
        "updated_at": off.json()["updated_at"],
    }
    assert app_client.get(url, headers=admin).json() == off.json()
    # A change of something else leaves it as it is; then it is turned on again.
    described = app_client.patch(url, headers=admin, json={"description": "PMS"})
    assert described.json()["redact_notes"] is False
    on = app_client.patch(url, headers=admin, json={"redact_notes": True})
    assert on.status_code == 200, on.text
    assert on.json() == {
        **hook,
        "secret": None,
        "description": "PMS",
        "updated_at": on.json()["updated_at"],
    }
    assert app_client.get(url, headers=admin).json() == on.json()
    listed = app_client.get("/v1/webhooks", headers=admin).json()["items"]
    assert [(h["id"], h["redact_notes"]) for h in listed] == [(hook["id"], True)]

    # Off unless asked for; a value that is not a boolean is refused.
    plain = register(app_client, world, HOOK, ["review.resolved"])
    assert plain["redact_notes"] is False
    bad = app_client.patch(url, headers=admin, json={"redact_notes": "perhaps"})
    assert bad.status_code == 422

    with sessions() as s:
        row = s.get(WebhookEndpoint, hook["id"])
        assert row is not None and row.redact_notes is True
        plain_row = s.get(WebhookEndpoint, plain["id"])
        assert plain_row is not None and plain_row.redact_notes is False
        audited = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject == f"webhook:{hook['id']}")
            .order_by(AuditEvent.id)
        ).all()
    assert [(a.action, (a.details or {})["redact_notes"]) for a in audited] == [
        ("webhook.create", True),
        ("webhook.update", False),
        ("webhook.update", False),
        ("webhook.update", True),
    ]


def _signed_by(got: Received, secret: str, other: str) -> None:
    """The body verifies with its endpoint's secret and not with the other's."""
    signing.verify(secret, got.headers[signing.HEADER], got.body)
    with pytest.raises(signing.SignatureError):
        signing.verify(other, got.headers[signing.HEADER], got.body)


def test_a_note_is_redacted_for_the_endpoint_that_asks_and_signed_as_sent(
    app_client: TestClient, world: World, receiver: Receiver, sessions: sessionmaker[Session]
) -> None:
    redacting = register(
        app_client, world, f"{receiver.base}/redacted", ["review.resolved"], redact_notes=True
    )
    verbatim = register(app_client, world, f"{receiver.base}/verbatim", ["review.resolved"])
    resolve_posted(app_client, world, NOTE)

    (got_redacted,) = receiver.wait_for("/redacted", 1)
    (got_verbatim,) = receiver.wait_for("/verbatim", 1)
    _signed_by(got_redacted, redacting["secret"], verbatim["secret"])
    _signed_by(got_verbatim, verbatim["secret"], redacting["secret"])
    assert got_redacted.event["data"]["note"] == REDACTED
    assert b"Maria" not in got_redacted.body and b"1234567" not in got_redacted.body
    assert got_verbatim.event["data"]["note"] == NOTE
    # The same event otherwise, byte for byte: only the note differs.
    assert got_redacted.headers["Triage-Event-Id"] == got_verbatim.headers["Triage-Event-Id"]
    assert got_redacted.body == got_verbatim.body.replace(NOTE.encode(), REDACTED.encode())
    assert got_verbatim.event["data"]["agent"]["email"] == "agent.a@example.com"
    # The stored event keeps the note as written (the feed and other endpoints read it).
    with unit_of_work(sessions) as s:
        event = s.scalars(select(Event).where(Event.type == "review.resolved")).one()
        assert event.data["note"] == NOTE

    # Turned off, a re-send of the same delivery carries the note as written.
    admin = world.auth(world.admin_ab)
    wait_until(lambda: statuses(sessions, redacting["id"]) == ["delivered"], what="delivered")
    changed = app_client.patch(
        f"/v1/webhooks/{redacting['id']}", headers=admin, json={"redact_notes": False}
    )
    assert changed.status_code == 200
    (delivery,) = app_client.get(
        f"/v1/webhooks/{redacting['id']}/deliveries", headers=admin
    ).json()["items"]
    resent = app_client.post(f"/v1/webhooks/deliveries/{delivery['id']}/resend", headers=admin)
    assert resent.status_code == 200, resent.text
    again = receiver.wait_for("/redacted", 2)[1]
    _signed_by(again, redacting["secret"], verbatim["secret"])
    assert again.event["data"]["note"] == NOTE
    assert again.body == got_verbatim.body
