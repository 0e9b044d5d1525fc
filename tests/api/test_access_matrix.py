"""No one sees what is not theirs: every API endpoint × every role × both directions
between two properties, from one table.

The table must name every route the app has (a new endpoint fails this test until it
joins the table). For each endpoint and caller: missing or wrong credentials → 401;
a role that may not do this → 403; another property's ids or filters → 404; and no
response to a caller of one property ever carries the other property's marker text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import SETUP, World, _password_hash
from triage.access import accounts
from triage.storage.db import unit_of_work
from triage.storage.tables import Property, User, WebhookDelivery
from triage.webhooks import deliveries, endpoints

ROLES = ("system", "agent", "trainer", "admin")
PEOPLE = {"agent", "trainer", "admin"}
MARKER = {"hotel-a": "MARKER-OF-HOTEL-A", "hotel-b": "MARKER-OF-HOTEL-B"}
PUBLIC = {("GET", "/v1/healthz"), ("GET", "/v1/readyz"), ("GET", "/metrics")}


@dataclass(frozen=True)
class Endpoint:
    """`{own}`/`{other}` in path and body are filled per direction; `mine` lists the
    statuses a role may get on its own property, `foreign` on the other one's ids."""

    method: str
    path: str
    body: Any
    mine: dict[str, set[int]]
    foreign: dict[str, set[int]] | None = None  # None: the call names no property


def by_role(
    people: set[int], system: set[int], admin: set[int] | None = None
) -> dict[str, set[int]]:
    return {
        "system": system,
        "agent": people,
        "trainer": people,
        "admin": admin if admin is not None else people,
    }


def review(property_id: str, external_id: str) -> dict[str, Any]:
    return {
        "property_id": property_id,
        "external_id": external_id,
        "source": "google",
        "text": "A new complaint: dirty room, rude staff.",
    }


VERDICT = {"label": "negative", "action": "replied"}
#: A public address nothing answers on here (no internet): deliveries stay pending.
HOOK = "https://93.184.215.14/hooks/triage"
ENDPOINTS = [
    Endpoint(
        "POST",
        "/v1/reviews",
        review("{target}", "new-1"),
        by_role({403}, {200, 201}, {200, 201}),
        by_role({403}, {404}, {404}),
    ),
    Endpoint(
        "POST",
        "/v1/reviews/batch",
        {"reviews": [review("{target}", "new-2")]},
        by_role({403}, {200}, {200}),
        by_role({403}, {200}, {200}),  # 200 with the item's own 404 (checked below)
    ),
    Endpoint("GET", "/v1/reviews", None, by_role({200}, {200})),
    Endpoint(
        "GET",
        "/v1/reviews?property_id={target}",
        None,
        by_role({200}, {200}),
        by_role({404}, {404}),
    ),
    Endpoint("GET", "/v1/reviews/{review}", None, by_role({200}, {200}), by_role({404}, {404})),
    Endpoint("GET", "/v1/queue", None, by_role({200}, {403})),
    Endpoint(
        "GET", "/v1/queue?property_id={target}", None, by_role({200}, {403}), by_role({404}, {403})
    ),
    Endpoint(
        "POST",
        "/v1/queue/claim",
        {"property_id": "{target}"},
        by_role({200, 204}, {403}),
        by_role({404}, {403}),
    ),
    Endpoint("GET", "/v1/queue/{item}", None, by_role({200}, {403}), by_role({404}, {403})),
    Endpoint(
        "POST",
        "/v1/queue/{item}/release",
        None,
        by_role({200, 409}, {403}),
        by_role({404}, {403}),
    ),
    Endpoint(
        "POST",
        "/v1/queue/{item}/resolve",
        VERDICT,
        by_role({200, 409}, {403}),
        by_role({404}, {403}),
    ),
    Endpoint("GET", "/v1/audit", None, by_role({403}, {403}, {200})),
    Endpoint("GET", "/v1/thresholds", None, by_role({403}, {403}, {200})),
    Endpoint(
        "GET",
        "/v1/thresholds?property_id={target}",
        None,
        by_role({403}, {403}, {200}),
        by_role({403}, {403}, {404}),
    ),
    Endpoint(
        "POST",
        "/v1/thresholds/pin",
        {"property_id": "{target}", "language": "en", "group": "default", "value": 0.9},
        by_role({403}, {403}, {200}),
        by_role({403}, {403}, {404}),
    ),
    Endpoint(
        "POST",
        "/v1/thresholds/unpin",
        {"property_id": "{target}", "language": "en", "group": "default"},
        by_role({403}, {403}, {200}),
        by_role({403}, {403}, {404}),
    ),
    Endpoint(
        "POST",
        "/v1/erasures",
        {"property_id": "{target}", "booking_reference": "NOBODY"},
        by_role({403}, {403}, {200}),
        by_role({403}, {403}, {404}),
    ),
    Endpoint("GET", "/v1/events", None, by_role({403}, {200}, {200})),
    Endpoint(
        "POST",
        "/v1/webhooks",
        {"property_id": "{target}", "url": HOOK},
        by_role({403}, {403}, {201}),
        by_role({403}, {403}, {404}),
    ),
    Endpoint("GET", "/v1/webhooks", None, by_role({403}, {403}, {200})),
    Endpoint(
        "GET",
        "/v1/webhooks?property_id={target}",
        None,
        by_role({403}, {403}, {200}),
        by_role({403}, {403}, {404}),
    ),
    Endpoint(
        "GET",
        "/v1/webhooks/{webhook}",
        None,
        by_role({403}, {403}, {200}),
        by_role({403}, {403}, {404}),
    ),
    Endpoint(
        "PATCH",
        "/v1/webhooks/{webhook}",
        {"description": "changed"},
        by_role({403}, {403}, {200}),
        by_role({403}, {403}, {404}),
    ),
    Endpoint(
        "POST",
        "/v1/webhooks/{webhook}/rotate-secret",
        None,
        by_role({403}, {403}, {200}),
        by_role({403}, {403}, {404}),
    ),
    Endpoint(
        "GET",
        "/v1/webhooks/{webhook}/deliveries",
        None,
        by_role({403}, {403}, {200}),
        by_role({403}, {403}, {404}),
    ),
    Endpoint(
        "POST",
        "/v1/webhooks/deliveries/{delivery}/resend",
        None,
        by_role({403}, {403}, {200, 409}),
        by_role({403}, {403}, {404}),
    ),
    Endpoint(  # last: the webhook is gone after it
        "DELETE",
        "/v1/webhooks/{webhook}",
        None,
        by_role({403}, {403}, {204}),
        by_role({403}, {403}, {404}),
    ),
]


def _template(path: str) -> str:
    path = path.split("?")[0]
    return (
        path.replace("{review}", "{review_id}")
        .replace("{item}", "{item_id}")
        .replace("{webhook}", "{webhook_id}")
        .replace("{delivery}", "{delivery_id}")
    )


def app_routes(routes: list[Any]) -> set[tuple[str, str]]:
    """(method, path) of every route, including those of included routers."""
    found: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, APIRoute):
            found |= {(method, route.path) for method in route.methods}
        elif hasattr(route, "original_router"):  # FastAPI's wrapper of an included router
            found |= app_routes(route.original_router.routes)
        elif hasattr(route, "routes") and not hasattr(route, "app"):
            found |= app_routes(route.routes)
    return found


def test_the_table_names_every_api_route(client: TestClient) -> None:
    routes = {
        (method, path)
        for method, path in app_routes(client.app.routes)  # type: ignore[attr-defined]
        if not path.startswith("/ui") and path != "/"
    }
    covered = {(e.method, _template(e.path)) for e in ENDPOINTS} | PUBLIC
    assert routes == covered


@dataclass
class Cast:
    """Each role's credentials for each property, and each property's review and item."""

    secrets: dict[tuple[str, str], str]
    reviews: dict[str, int]
    items: dict[str, int]
    webhooks: dict[str, int]
    deliveries: dict[str, int]


def _person(sessions: sessionmaker[Session], email: str, role: str, property_id: str) -> str:
    with unit_of_work(sessions) as s:
        s.add(
            User(
                email=email,
                password_hash=_password_hash(),
                role=role,
                properties=[s.get(Property, property_id)],
            )
        )
        s.flush()
        return accounts.create_user_token(s, SETUP, email)[1]


@pytest.fixture
def cast(client: TestClient, world: World, sessions: sessionmaker[Session]) -> Cast:
    secrets = {
        ("system", "hotel-a"): world.key_a,
        ("system", "hotel-b"): world.key_b,
        ("agent", "hotel-a"): world.agent_a,
        ("agent", "hotel-b"): world.agent_b,
        ("trainer", "hotel-a"): world.trainer_a,
        ("trainer", "hotel-b"): _person(sessions, "trainer.b@example.com", "trainer", "hotel-b"),
        ("admin", "hotel-a"): _person(sessions, "admin.a@example.com", "admin", "hotel-a"),
        ("admin", "hotel-b"): _person(sessions, "admin.b@example.com", "admin", "hotel-b"),
    }
    reviews, items, webhooks, sent = {}, {}, {}, {}
    with unit_of_work(sessions) as s:
        for property_id in ("hotel-a", "hotel-b"):
            change = endpoints.EndpointChange(url=HOOK, description=MARKER[property_id])
            webhooks[property_id] = endpoints.create(s, SETUP, property_id, change).id
    for property_id in ("hotel-a", "hotel-b"):
        response = client.post(
            "/v1/reviews",
            headers=world.auth(secrets[("system", property_id)]),
            json={
                "property_id": property_id,
                "external_id": f"{MARKER[property_id]}-id",
                "source": "google",
                "text": f"Dirty room and rude staff. {MARKER[property_id]}",
                "guest": {"email": f"{MARKER[property_id].lower()}@example.com"},
                "metadata": {"note": MARKER[property_id]},
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
            ).first()
    return Cast(secrets, reviews, items, webhooks, sent)


def _fill(value: Any, target: str, cast: Cast) -> Any:
    if isinstance(value, str):
        return (
            value.replace("{target}", target)
            .replace("{review}", str(cast.reviews[target]))
            .replace("{item}", str(cast.items[target]))
            .replace("{webhook}", str(cast.webhooks[target]))
            .replace("{delivery}", str(cast.deliveries[target]))
        )
    if isinstance(value, dict):
        return {k: _fill(v, target, cast) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, target, cast) for v in value]
    return value


def _call(client: TestClient, e: Endpoint, target: str, cast: Cast, headers: dict[str, str]) -> Any:
    path = _fill(e.path, target, cast)
    if e.body is None:
        return client.request(e.method, path, headers=headers)
    return client.request(e.method, path, json=_fill(e.body, target, cast), headers=headers)


@pytest.mark.parametrize(("own", "other"), [("hotel-a", "hotel-b"), ("hotel-b", "hotel-a")])
@pytest.mark.parametrize("role", ROLES)
def test_every_endpoint_for_every_role_and_direction(
    client: TestClient, cast: Cast, role: str, own: str, other: str
) -> None:
    headers = {"Authorization": f"Bearer {cast.secrets[(role, own)]}"}
    for e in ENDPOINTS:
        # Another property's ids and filters first (nothing of ours is changed by them).
        if e.foreign is not None:
            response = _call(client, e, other, cast, headers)
            where = (role, e.method, e.path, "foreign")
            assert response.status_code in e.foreign[role], (where, response.text)
            assert MARKER[other] not in response.text, where
            if e.path == "/v1/reviews/batch" and response.status_code == 200:
                assert [r["status"] for r in response.json()["results"]] == [404], where
        response = _call(client, e, own, cast, headers)
        where = (role, e.method, e.path, "own")
        assert response.status_code in e.mine[role], (where, response.text)
        assert MARKER[other] not in response.text, where
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json", where
    # The other property's review is untouched by everything this caller did.
    other_headers = {"Authorization": f"Bearer {cast.secrets[('admin', other)]}"}
    untouched = client.get(f"/v1/reviews/{cast.reviews[other]}", headers=other_headers).json()
    assert untouched["status"] == "queued" and MARKER[other] in untouched["text"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer gtk_" + "x" * 43},
        {"Authorization": "Bearer gtu_" + "x" * 43},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
    ],
    ids=["none", "unknown-key", "unknown-token", "basic"],
)
def test_every_endpoint_needs_credentials(
    client: TestClient, cast: Cast, headers: dict[str, str]
) -> None:
    for e in ENDPOINTS:
        response = _call(client, e, "hotel-a", cast, headers)
        assert response.status_code == 401, (e.method, e.path, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        assert "MARKER" not in response.text
    for method, path in sorted(PUBLIC):
        assert client.request(method, path, headers=headers).status_code == 200
