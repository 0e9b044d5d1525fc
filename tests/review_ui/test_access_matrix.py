"""No one sees what is not theirs, in the people's UI: every page and form × every role ×
both directions between two properties.

Routes are read from the app, so a new page is covered the day it is added (a new kind
of path parameter fails the test until `FILL` knows it). For every route:
not signed in → a redirect to sign-in; a form without the session's CSRF token → 403;
another property's ids → 404 (or 403 for a role the page is not for); the roles a page
is not for → 403; and no page shown to one property's people carries the other
property's marker text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.api.test_access_matrix import app_routes
from tests.conftest import SETUP, World, _password_hash
from tests.review_ui.helpers import sign_in
from triage.storage.db import unit_of_work
from triage.storage.tables import Property, QueueItem, Review, User, WebhookDelivery
from triage.webhooks import deliveries, endpoints

MARKER = {"hotel-a": "MARKER-OF-HOTEL-A", "hotel-b": "MARKER-OF-HOTEL-B"}
PEOPLE = {
    ("agent", "hotel-a"): "agent.a@example.com",
    ("agent", "hotel-b"): "agent.b@example.com",
    ("trainer", "hotel-a"): "trainer.a@example.com",
    ("trainer", "hotel-b"): "trainer.b@example.com",
    ("admin", "hotel-a"): "admin.a@example.com",
    ("admin", "hotel-b"): "admin.b@example.com",
}
#: Pages for trainers and admins only (blind double labels are for every person), and for
#: admins only.
TRAINERS_ONLY = re.compile(r"^/ui/(train(?!/double)|models)")
ADMINS_ONLY = re.compile(r"^/ui/(audit|thresholds|webhooks)")
#: Reached without signing in.
PUBLIC = {("GET", "/ui/signin"), ("POST", "/ui/signin")}
#: Addresses that only redirect to the queue page (which the matrix checks); see test_pages.
REDIRECTS = {"/ui", "/ui/"}
#: Every form field any UI form takes; each form reads the ones it needs.
FORM = {
    "label": "negative",
    "action": "replied",
    "note": "n",
    "target": "department:housekeeping",
    "kind": "relabel",
    "back": "/ui/reviews/1",
    "start": "0",
    "end": "5",
    "reason": "because",
    "force_reason": "because",
    "on": "1",
    "touchpoint": "room",
    "sentence": "0",
    "language": "en",
    "group": "default",
    "value": "0.9",
    "url": "https://93.184.215.14/hooks/triage",
    "events": "review.routed",
    "confirm": "yes",
}


@dataclass
class Cast:
    reviews: dict[str, int]
    items: dict[str, int]
    webhooks: dict[str, int]
    deliveries: dict[str, int]


def _fill(path: str, target: str, cast: Cast) -> str:
    """A route's path with another (or one's own) property's ids."""
    fills = {
        "{item_id}": str(cast.items[target]),
        "{review_id}": str(cast.reviews[target]),
        "{version}": "no-such-version",
        "{endpoint_id}": str(cast.webhooks[target]),
        "{delivery_id}": str(cast.deliveries[target]),
    }
    for name, value in fills.items():
        path = path.replace(name, value)
    assert "{" not in path, f"FILL does not know the parameter in {path}"
    return path


def _form(target: str, cast: Cast) -> dict[str, str]:
    return {**FORM, "property": target, "review_id": str(cast.reviews[target])}


@pytest.fixture
def cast(client: TestClient, world: World, sessions: sessionmaker[Session]) -> Cast:
    with unit_of_work(sessions) as s:
        for (role, property_id), email in PEOPLE.items():
            if s.query(User).filter_by(email=email).first() is None:
                s.add(
                    User(
                        email=email,
                        password_hash=_password_hash(),
                        role=role,
                        properties=[s.get(Property, property_id)],
                    )
                )
    webhooks, sent = {}, {}
    with unit_of_work(sessions) as s:
        for property_id in ("hotel-a", "hotel-b"):
            change = endpoints.EndpointChange(url=FORM["url"], description=MARKER[property_id])
            webhooks[property_id] = endpoints.create(s, SETUP, property_id, change).id
    reviews, items = {}, {}
    for property_id, key in (("hotel-a", world.key_a), ("hotel-b", world.key_b)):
        response = client.post(
            "/v1/reviews",
            headers=world.auth(key),
            json={
                "property_id": property_id,
                "external_id": f"{MARKER[property_id]}-id",
                "source": "google",
                "text": f"Dirty room and rude staff. {MARKER[property_id]}",
                "guest": {"email": f"{MARKER[property_id].lower()}@example.com"},
            },
        )
        assert response.status_code == 201, response.text
        reviews[property_id] = response.json()["id"]
        items[property_id] = response.json()["queue"]["item_id"]
    with unit_of_work(sessions) as s:
        deliveries.publish(s, deliveries.RetryPolicy())
        for property_id, webhook_id in webhooks.items():
            sent[property_id] = s.scalars(
                select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == webhook_id)
            ).one()
    return Cast(reviews, items, webhooks, sent)


def ui_routes(client: TestClient) -> list[tuple[str, str]]:
    return sorted(
        (method, path)
        for method, path in app_routes(client.app.routes)  # type: ignore[attr-defined]
        if path.startswith("/ui")
        and method != "HEAD"
        and not path.startswith("/ui/static")
        and path not in REDIRECTS
    )


def untouched(sessions: sessionmaker[Session], cast: Cast, property_id: str) -> None:
    with sessions() as s:
        item = s.get(QueueItem, cast.items[property_id])
        review = s.get(Review, cast.reviews[property_id])
        assert item is not None and review is not None
        assert (item.state, item.claimed_by, item.escalated_to) == ("open", None, None)
        assert review.status == "queued"


def test_not_signed_in_every_page_and_form_leads_to_sign_in(
    client: TestClient, cast: Cast, sessions: sessionmaker[Session]
) -> None:
    for method, path in ui_routes(client):
        if (method, path) in PUBLIC:
            continue
        url = _fill(path, "hotel-a", cast)
        response = client.request(
            method,
            url,
            data=_form("hotel-a", cast) if method == "POST" else None,
            follow_redirects=False,
        )
        assert response.status_code == 303, (method, path, response.status_code)
        assert response.headers["location"].startswith("/ui/signin"), (method, path)
        assert "MARKER" not in response.text
    untouched(sessions, cast, "hotel-a")


@pytest.mark.parametrize(("own", "other"), [("hotel-a", "hotel-b"), ("hotel-b", "hotel-a")])
@pytest.mark.parametrize("role", ["agent", "trainer", "admin"])
def test_every_page_and_form_for_every_role_and_direction(
    client: TestClient,
    cast: Cast,
    sessions: sessionmaker[Session],
    role: str,
    own: str,
    other: str,
) -> None:
    csrf = sign_in(client, PEOPLE[(role, own)])
    for method, path in ui_routes(client):
        if (method, path) in PUBLIC or path == "/ui/signout":
            continue
        where = (role, own, method, path)
        not_for_me = bool(TRAINERS_ONLY.match(path) and role == "agent") or bool(
            ADMINS_ONLY.match(path) and role != "admin"
        )
        if method == "GET":
            if "{" in path:
                response = client.get(_fill(path, other, cast), follow_redirects=False)
                assert response.status_code in ({403} if not_for_me else {404}), where
                assert MARKER[other] not in response.text, where
            mine = client.get(_fill(path, own, cast), follow_redirects=False)
            assert mine.status_code == (403 if not_for_me else 200), (where, mine.text[-500:])
            assert MARKER[other] not in mine.text, where
            # Filters naming another property are refused or ignored, never obeyed.
            filtered = client.get(
                _fill(path, own, cast), params={"property": other}, follow_redirects=False
            )
            assert filtered.status_code in {200, 403, 404, 422}, where
            assert MARKER[other] not in filtered.text, where
            continue
        # Forms: without the session's CSRF token nothing happens.
        forged = client.post(_fill(path, own, cast), data=_form(own, cast), follow_redirects=False)
        assert forged.status_code == 403, (where, forged.status_code)
        # With it, but on the other property's ids: refused.
        response = client.post(
            _fill(path, other, cast),
            data={**_form(other, cast), "csrf": csrf},
            follow_redirects=False,
        )
        # (A rollback names no property: with nothing to roll back it is a conflict.)
        refusals = {403, 404, 409} if path == "/ui/models/rollback" else {403, 404}
        assert response.status_code in refusals, (
            where,
            response.status_code,
            "422: add the form's fields to FORM",
        )
        assert MARKER[other] not in response.text, where
    untouched(sessions, cast, other)
    untouched(sessions, cast, own)
