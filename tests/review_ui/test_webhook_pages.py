"""The webhook pages, for admins: add an endpoint (a private address only when allowed, the
secret shown once), change it, rotate its secret, remove it, read its deliveries and send a
failed one again; everyone else is refused, in English and in German. Through the real app
on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from models.double import KeywordClassifier
from service.app import create_app
from tests.conftest import SETUP, World, _password_hash, make_settings
from tests.review_ui.helpers import ingest, post, sign_in
from triage.events.outbox import EVENT_TYPES
from triage.storage.db import unit_of_work, utcnow
from triage.storage.tables import (
    AuditEvent,
    Property,
    Review,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)
from triage.webhooks import deliveries, endpoints
from triage.webhooks.deliveries import Outcome, RetryPolicy
from triage.webhooks.endpoints import EndpointChange

HOOK = "http://127.0.0.1:9/hook"
ADMIN = "admin@example.com"  # of hotel-a and hotel-b
REFUSED_PRIVATE = "the host resolves to a private or reserved address (127.0.0.1)"
#: The "redact personal data in notes" box of the add (`add`) or edit (`edit`) form.
REDACT_BOX = (
    '<input type="checkbox" name="redact_notes" value="1" aria-describedby="{id}-redact" '
    "{checked}> Redact personal data in notes</label>"
)


@pytest.fixture
def client(database_url: str, tmp_path: Path, world: World) -> Iterator[TestClient]:
    """The real app, its publisher and webhook sender looking for work once a minute only:
    deliveries change when a test changes them, not when the sender gets round to it."""
    settings = make_settings(
        database_url, tmp_path, events_poll_seconds=60, webhook_poll_seconds=60
    )
    app = create_app(settings, classifier=KeywordClassifier())
    with TestClient(app) as test_client:
        yield test_client


def _endpoint(sessions: sessionmaker[Session], description: str | None = None) -> int:
    """An endpoint of hotel-a at HOOK (a private address, allowed), made by the setup."""
    with unit_of_work(sessions) as s:
        change = EndpointChange(url=HOOK, allow_private=True, description=description)
        return endpoints.create(s, SETUP, "hotel-a", change).id


def _row(sessions: sessionmaker[Session], endpoint_id: int) -> WebhookEndpoint | None:
    with sessions() as s:
        return s.get(WebhookEndpoint, endpoint_id)


def _actions(sessions: sessionmaker[Session], subject: str) -> list[str]:
    with sessions() as s:
        return list(
            s.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.subject == subject)
                .order_by(AuditEvent.id)
            )
        )


def _add_person(sessions: sessionmaker[Session], email: str, role: str, property_id: str) -> None:
    with unit_of_work(sessions) as s:
        s.add(
            User(
                email=email,
                password_hash=_password_hash(),
                role=role,
                properties=[s.get(Property, property_id)],
            )
        )


def test_an_admin_adds_an_endpoint_and_sees_its_secret_once(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in(client, ADMIN)
    page = client.get("/ui/webhooks")
    assert page.status_code == 200
    assert '<a href="/ui/webhooks" aria-current="page">Webhooks</a>' in page.text
    assert "No webhook endpoints yet." in page.text
    for type, description in EVENT_TYPES.items():
        assert f'name="events" value="{type}" checked> <code>{type}</code> {description}' in (
            page.text
        )
    assert "server-side request forgery (SSRF)" in page.text
    assert REDACT_BOX.format(id="add", checked="") in page.text  # off unless ticked
    assert "replaced by placeholders such as [NAME] and [PHONE]" in page.text
    assert '<option value="hotel-a" selected>Hotel A</option>' in page.text
    form = {"property": "hotel-a", "url": HOOK, "description": "PMS", "csrf": csrf}
    events = ["review.routed", "review.resolved"]

    # Without "allow a private address": refused on the form, with what was typed.
    refused = client.post("/ui/webhooks", data={**form, "events": events, "redact_notes": "1"})
    assert refused.status_code == 422
    assert "Not saved:" in refused.text
    assert f"URL: {REFUSED_PRIVATE}; an admin may allow private addresses" in refused.text
    assert "tick “Allow a private address”" in refused.text
    assert f'value="{HOOK}"' in refused.text and 'value="PMS"' in refused.text
    assert 'value="review.claimed" >' in refused.text  # unticked stays unticked
    assert REDACT_BOX.format(id="add", checked="checked") in refused.text  # ticked stays
    with sessions() as s:
        assert s.scalars(select(WebhookEndpoint)).all() == []

    added = client.post(
        "/ui/webhooks",
        data={**form, "events": events, "allow_private": "1", "redact_notes": "1"},
    )
    assert added.status_code == 200, added.text[-1000:]
    assert [r.status_code for r in added.history] == [303]  # a reload resends nothing
    with sessions() as s:
        (row,) = s.scalars(select(WebhookEndpoint))
        secret = row.secret
        assert (row.property_id, row.url, row.events, row.description) == (
            "hotel-a",
            HOOK,
            events,
            "PMS",
        )
        assert (row.enabled, row.allow_private, row.redact_notes, row.created_by) == (
            True,
            True,
            True,
            ADMIN,
        )
    assert secret.startswith("whsec_") and secret in added.text
    assert added.text.count(secret) == 1
    assert "Its signing secret is shown only this once" in added.text
    assert (
        "read its Triage-Signature header (t=TIMESTAMP,v1=SIGNATURE), compute the HMAC-SHA256 "
        "of the timestamp, a dot and the raw request body with this secret" in added.text
    )
    assert "more than 5 minutes old. docs/webhooks.md shows how" in added.text
    assert _actions(sessions, f"webhook:{row.id}") == ["webhook.create"]

    # Never again: not on the endpoint's page, not on the list.
    again = client.get(f"/ui/webhooks/{row.id}")
    assert again.status_code == 200
    assert secret not in again.text and "shown only this once" not in again.text
    assert HOOK in again.text and "No deliveries here." in again.text
    assert '<span class="tag">notes redacted</span>' in again.text
    assert REDACT_BOX.format(id="edit", checked="checked") in again.text
    listed = client.get("/ui/webhooks")
    assert secret not in listed.text
    assert f'<a href="/ui/webhooks/{row.id}">{HOOK}</a>' in listed.text
    assert "<code>review.routed</code>, <code>review.resolved</code>" in listed.text
    assert '<br><span class="tag">notes redacted</span>' in listed.text
    assert (
        "<span>pending: 0</span><span>sending: 0</span><span>delivered: 0</span>"
        "<span>failed: 0</span>" in listed.text
    )


def test_an_admin_changes_rotates_and_removes_an_endpoint(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    endpoint_id = _endpoint(sessions, description="old")
    old = _row(sessions, endpoint_id)
    assert old is not None
    csrf = sign_in(client, ADMIN)
    url = f"/ui/webhooks/{endpoint_id}"
    other = "http://127.0.0.1:9/other"

    saved = client.post(
        url,
        data={
            "csrf": csrf,
            "url": other,
            "events": "review.resolved",
            "allow_private": "1",
            "redact_notes": "1",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{url}?msg=webhook_saved"
    row = _row(sessions, endpoint_id)
    assert row is not None
    assert (
        row.url,
        row.events,
        row.enabled,
        row.allow_private,
        row.redact_notes,
        row.description,
    ) == (
        other,
        ["review.resolved"],
        False,  # the box was not ticked
        True,
        True,
        None,  # emptied
    )
    page = client.get(saved.headers["location"]).text
    assert "Endpoint saved." in page and "disabled" in page
    assert REDACT_BOX.format(id="edit", checked="checked") in page

    # Refusals change nothing, even where the domain had set a field before it refused.
    private = client.post(
        url, data={"csrf": csrf, "url": other, "events": "review.resolved", "enabled": "1"}
    )
    assert private.status_code == 422
    assert f"URL: {REFUSED_PRIVATE}" in private.text
    no_events = client.post(
        url, data={"csrf": csrf, "url": HOOK, "enabled": "1", "allow_private": "1"}
    )
    assert no_events.status_code == 422
    assert "Events: one or more of review.routed, review.claimed" in no_events.text
    assert f'value="{HOOK}"' in no_events.text  # what was typed, to correct
    after = _row(sessions, endpoint_id)
    assert after is not None
    assert (after.url, after.events, after.enabled, after.allow_private, after.redact_notes) == (
        other,
        ["review.resolved"],
        False,
        True,
        True,
    )
    # Unticked and saved: the notes go out as written again.
    unticked = client.post(
        url,
        data={"csrf": csrf, "url": other, "events": "review.resolved", "allow_private": "1"},
        follow_redirects=False,
    )
    assert unticked.status_code == 303
    after = _row(sessions, endpoint_id)
    assert after is not None and (after.allow_private, after.redact_notes) == (True, False)
    assert REDACT_BOX.format(id="edit", checked="") in client.get(url).text

    moved = post(client, f"{url}/rotate-secret", csrf)
    assert moved.status_code == 303  # a reload resends nothing
    assert moved.headers["location"] == f"{url}?made=rotated"
    rotated = client.get(moved.headers["location"])
    assert rotated.status_code == 200
    row = _row(sessions, endpoint_id)
    assert row is not None and row.secret != old.secret
    assert row.secret in rotated.text and old.secret not in rotated.text
    assert "New secret made. Deliveries are signed with it from now on" in rotated.text
    assert row.secret not in client.get(url).text

    unconfirmed = post(client, f"{url}/delete", csrf)
    assert unconfirmed.status_code == 422
    assert "Nothing was removed: tick the box to confirm the removal." in unconfirmed.text
    assert _row(sessions, endpoint_id) is not None
    removed = post(client, f"{url}/delete", csrf, confirm="yes")
    assert removed.status_code == 303
    assert removed.headers["location"] == "/ui/webhooks?msg=webhook_deleted"
    assert _row(sessions, endpoint_id) is None
    listed = client.get(removed.headers["location"]).text
    assert "Endpoint removed with its deliveries." in listed
    assert "No webhook endpoints yet." in listed
    assert client.get(url).status_code == 404
    assert _actions(sessions, f"webhook:{endpoint_id}") == [
        "webhook.create",
        "webhook.update",
        "webhook.update",
        "webhook.rotate_secret",
        "webhook.delete",
    ]


def test_only_the_propertys_admins_reach_its_webhooks(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    endpoint_id = _endpoint(sessions, description="PMS of hotel A")
    before = _row(sessions, endpoint_id)
    assert before is not None
    url = f"/ui/webhooks/{endpoint_id}"
    form = {"property": "hotel-a", "url": HOOK, "events": "review.routed", "confirm": "yes"}
    for email in ("agent.a@example.com", "trainer.a@example.com"):
        csrf = sign_in(client, email)
        assert 'href="/ui/webhooks"' not in client.get("/ui/queue").text  # no nav link
        for response in (
            client.get("/ui/webhooks"),
            client.get(url),
            client.post("/ui/webhooks", data={**form, "csrf": csrf}),
            client.post(url, data={**form, "csrf": csrf}),
            client.post(f"{url}/rotate-secret", data={"csrf": csrf}),
            client.post(f"{url}/delete", data={**form, "csrf": csrf}),
        ):
            assert response.status_code == 403, (email, response.request.url)
            assert "Not allowed: webhooks are managed by admins" in response.text

    _add_person(sessions, "admin.b@example.com", "admin", "hotel-b")
    csrf = sign_in(client, "admin.b@example.com")
    mine = client.get("/ui/webhooks")
    assert mine.status_code == 200
    assert HOOK not in mine.text and "PMS of hotel A" not in mine.text
    assert '<option value="hotel-b" selected>Hotel B</option>' in mine.text
    assert "hotel-a" not in mine.text
    for response in (
        client.get(url),
        client.post("/ui/webhooks", data={**form, "allow_private": "1", "csrf": csrf}),
        client.post(url, data={**form, "allow_private": "1", "csrf": csrf}),
        client.post(f"{url}/rotate-secret", data={"csrf": csrf}),
        client.post(f"{url}/delete", data={**form, "csrf": csrf}),
    ):
        assert response.status_code == 404, response.request.url
        assert HOOK not in response.text and before.secret not in response.text
    after = _row(sessions, endpoint_id)
    assert after is not None
    assert (after.url, after.events, after.secret, after.updated_at) == (
        before.url,
        before.events,
        before.secret,
        before.updated_at,
    )
    with sessions() as s:
        assert len(s.scalars(select(WebhookEndpoint)).all()) == 1
    assert _actions(sessions, f"webhook:{endpoint_id}") == ["webhook.create"]


def test_deliveries_with_their_attempts_and_a_failed_one_sent_again(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    endpoint_id = _endpoint(sessions)
    first = ingest(client, world, "w1")
    # Published with no retry window: the first failed attempt is the last.
    with unit_of_work(sessions) as s:
        assert deliveries.publish(s, RetryPolicy(window=timedelta(0))) == 1
        (claimed,) = deliveries.claim_due(s, RetryPolicy(), limit=10)
        outcome = Outcome(status_code=None, error="ConnectError", duration_ms=12)
        assert deliveries.record(s, claimed.delivery_id, outcome, RetryPolicy()) == "failed"
        failed = s.get(WebhookDelivery, claimed.delivery_id)
        assert failed is not None
        event_id = claimed.event_id
    second = ingest(client, world, "w2")
    with unit_of_work(sessions) as s:
        assert deliveries.publish(s, RetryPolicy()) == 1
        (pending_id,) = s.scalars(
            select(WebhookDelivery.id).where(WebhookDelivery.review_id == second)
        )
    assert pending_id > failed.id

    csrf = sign_in(client, ADMIN)
    url = f"/ui/webhooks/{endpoint_id}"
    page = client.get(url).text
    assert page.index(f'id="delivery-{pending_id}"') < page.index(f'id="delivery-{failed.id}"')
    row = page[page.index(f'id="delivery-{failed.id}"') :].split("</tr>")[0]
    assert f'<code>review.routed</code><br><code class="muted">{event_id}</code>' in row
    assert f'<a href="/ui/reviews/{first}">Review {first}</a>' in row
    assert '<span class="tag">failed</span>' in row
    attempt = r"<li>[A-Z][a-z]{2} \d+, \d{4}, .* UTC · no answer · ConnectError · 12 ms</li>"
    assert re.search(attempt, row), row
    assert f'action="/ui/webhooks/deliveries/{failed.id}/resend"' in row
    pending_row = page[page.index(f'id="delivery-{pending_id}"') :].split("</tr>")[0]
    assert '<span class="tag">pending</span>' in pending_row and "next attempt" in pending_row
    assert "not sent yet" in pending_row and "/resend" not in pending_row
    assert 'failed<span class="count">1</span>' in page
    assert client.get(f"/ui/reviews/{first}").status_code == 200  # the review link opens

    only_failed = client.get(url, params={"status": "failed"}).text
    assert f'id="delivery-{failed.id}"' in only_failed
    assert f'id="delivery-{pending_id}"' not in only_failed
    older = client.get(url, params={"before": pending_id}).text
    assert f'id="delivery-{failed.id}"' in older and f'id="delivery-{pending_id}"' not in older
    assert "Newest deliveries" in older
    assert client.get(url, params={"status": "lost"}).status_code == 422

    resent = post(client, f"/ui/webhooks/deliveries/{failed.id}/resend", csrf)
    assert resent.status_code == 303
    assert resent.headers["location"] == f"{url}?msg=delivery_resent#delivery-{failed.id}"
    with sessions() as s:
        again = s.get(WebhookDelivery, failed.id)
        assert again is not None
        assert again.status == "pending"
        assert again.give_up_at > utcnow() + timedelta(hours=23)
    assert _actions(sessions, f"delivery:{failed.id}") == ["webhook.resend"]
    assert "The delivery is sent again now" in client.get(resent.headers["location"]).text

    # A pending delivery is on its way: sending it again is a conflict, shown as a page.
    conflict = post(client, f"/ui/webhooks/deliveries/{pending_id}/resend", csrf)
    assert conflict.status_code == 409
    assert f"delivery {pending_id} is pending already" in conflict.text

    # Another property's admin does not find the delivery.
    _add_person(sessions, "admin.b@example.com", "admin", "hotel-b")
    csrf = sign_in(client, "admin.b@example.com")
    hidden = post(client, f"/ui/webhooks/deliveries/{failed.id}/resend", csrf)
    assert hidden.status_code == 404
    assert _actions(sessions, f"delivery:{failed.id}") == ["webhook.resend"]


def test_the_webhook_pages_in_german(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with unit_of_work(sessions) as s:
        s.execute(update(User).where(User.email == ADMIN).values(locale="de"))
    endpoint_id = _endpoint(sessions)
    csrf = sign_in(client, ADMIN)
    page = client.get("/ui/webhooks").text
    assert '<html lang="de">' in page
    assert "Endpunkt hinzufügen" in page and "Private Adresse erlauben" in page
    assert "Personenbezogene Daten in Notizen schwärzen" in page
    assert "durch Platzhalter wie [NAME] und [PHONE] ersetzt" in page
    assert "serverseitige Anfragefälschung (SSRF)" in page
    assert "eine Person hat eine eingereihte Bewertung übernommen" in page
    assert "<span>ausstehend: 0</span>" in page and "private Adresse erlaubt" in page
    refused = client.post(
        "/ui/webhooks",
        data={"property": "hotel-a", "url": HOOK, "events": "review.routed", "csrf": csrf},
    )
    assert refused.status_code == 422
    assert "Nicht gespeichert:" in refused.text
    assert "kreuzen Sie „Private Adresse erlauben“ an." in refused.text
    detail = client.get(f"/ui/webhooks/{endpoint_id}").text
    assert "Zustellungen" in detail and "Neues Geheimnis erzeugen" in detail
    assert "Hier gibt es keine Zustellungen." in detail
    moved = post(client, f"/ui/webhooks/{endpoint_id}/rotate-secret", csrf)
    rotated = client.get(moved.headers["location"]).text
    assert "Neues Geheimnis erzeugt." in rotated
    assert "älter als 5 Minuten ist. docs/webhooks.md zeigt das" in rotated


def test_every_event_type_is_described_in_both_languages() -> None:
    """The English text is the domain's description; German has its own."""
    from review_ui.i18n import translator

    en, de = translator("en"), translator("de")
    for type, description in EVENT_TYPES.items():
        assert en(f"webhooks.event.{type}") == description
        assert de(f"webhooks.event.{type}") not in ("", description)


def test_the_dashboard_shows_the_backlog_and_failing_deliveries(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with unit_of_work(sessions) as s:  # a review another process is routing right now
        s.add(
            Review(
                property_id="hotel-a",
                source="survey",
                external_id="waiting",
                text="Lovely.",
                status="received",
                received_at=utcnow() - timedelta(minutes=3, seconds=10),
                route_lease_until=utcnow() + timedelta(minutes=5),
            )
        )
    sign_in(client, ADMIN)
    page = client.get("/ui/dashboard", params={"property": "hotel-a"}).text
    tile = page[page.index('id="backlog"') :]
    assert 'Waiting to be routed</h2><p class="big">1</p>' in tile
    assert "The oldest has waited 3 min." in tile
    assert "Webhook deliveries" not in tile  # the property has no endpoint
    endpoint_id = _endpoint(sessions)
    ingest(client, world, "failing-1")
    with unit_of_work(sessions) as s:
        deliveries.publish(s, RetryPolicy())
        s.execute(update(WebhookDelivery).values(status="failed"))
    page = client.get("/ui/dashboard", params={"property": "hotel-a"}).text
    assert (
        '<p class="muted bad"><a href="/ui/webhooks">Webhook deliveries</a>: '
        "0 on their way, 1 failed</p>" in page
    )
    assert endpoint_id
    sign_in(client, "agent.a@example.com")
    agents = client.get("/ui/dashboard", params={"property": "hotel-a"}).text
    assert '<p class="muted bad">Webhook deliveries: 0 on their way, 1 failed</p>' in agents
    with unit_of_work(sessions) as s:
        s.execute(update(User).where(User.email == ADMIN).values(locale="de"))
    sign_in(client, ADMIN)
    german = client.get("/ui/dashboard", params={"property": "hotel-a"}).text
    german = german[german.index('id="backlog"') :]
    assert "Warten auf Zuordnung" in german and "Die älteste wartet seit 3 min." in german
    assert "0 unterwegs, 1 fehlgeschlagen" in german
