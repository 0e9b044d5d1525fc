"""Who may call what: credentials and roles on every endpoint, and secrets kept only as hashes.

Which properties a caller may see is in test_property_scope.py.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from tests.api.auth_helpers import (
    NOTHING,
    PROBLEM,
    VERDICT,
    assert_problem,
    call,
    counts,
    problem,
    review_body,
)
from tests.conftest import PASSWORD, SETUP, World
from triage.access import accounts
from triage.storage.db import Base, unit_of_work
from triage.storage.tables import QueueItem

#: (method, path, JSON body) for every endpoint that needs credentials.
ENDPOINTS: list[Any] = [
    pytest.param(
        "POST",
        "/v1/reviews",
        review_body("hotel-a", "e-1", "Lovely stay, friendly staff."),
        id="post-review",
    ),
    pytest.param(
        "POST",
        "/v1/reviews/batch",
        {"reviews": [review_body("hotel-a", "e-1", "Lovely stay.")]},
        id="post-batch",
    ),
    pytest.param("GET", "/v1/reviews", None, id="list-reviews"),
    pytest.param("GET", "/v1/reviews/1", None, id="read-review"),
    pytest.param("GET", "/v1/queue", None, id="list-queue"),
    pytest.param("POST", "/v1/queue/claim", None, id="claim"),
    pytest.param("GET", "/v1/queue/1", None, id="read-item"),
    pytest.param("POST", "/v1/queue/1/release", None, id="release"),
    pytest.param("POST", "/v1/queue/1/resolve", VERDICT, id="resolve"),
]
QUEUE_ENDPOINTS = [p for p in ENDPOINTS if "/v1/queue" in p.values[1]]


NO_BEARER = "send 'Authorization: Bearer <api key or personal token>'"
UNKNOWN = "unknown or revoked credentials"


def bad_credentials(world: World) -> list[tuple[str, dict[str, str], str]]:
    """(what is wrong, headers, the detail the 401 gives)."""
    tampered = world.key_a[:-1] + ("A" if world.key_a[-1] != "A" else "B")
    return [
        ("no header", {}, NO_BEARER),
        ("empty header", {"Authorization": ""}, NO_BEARER),
        ("scheme only", {"Authorization": "Bearer"}, NO_BEARER),
        ("basic auth", {"Authorization": "Basic YWdlbnQuYTpwYXNzd29yZA=="}, NO_BEARER),
        ("right key, wrong scheme", {"Authorization": f"Token {world.key_a}"}, NO_BEARER),
        ("key without scheme", {"Authorization": world.key_a}, NO_BEARER),
        ("unknown key", {"Authorization": "Bearer gtk_" + "x" * 43}, UNKNOWN),
        ("unknown token", {"Authorization": "Bearer gtu_" + "x" * 43}, UNKNOWN),
        ("no known prefix", {"Authorization": "Bearer secret"}, UNKNOWN),
        ("tampered key", {"Authorization": f"Bearer {tampered}"}, UNKNOWN),
        ("password as bearer", {"Authorization": f"Bearer {PASSWORD}"}, UNKNOWN),
    ]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_missing_malformed_or_wrong_credentials_are_401(
    client: TestClient,
    world: World,
    sessions: sessionmaker[Session],
    method: str,
    path: str,
    body: object,
) -> None:
    for what, headers, detail in bad_credentials(world):
        response = call(client, method, path, body, headers)

        assert response.status_code == 401, (what, response.text)
        assert response.headers["www-authenticate"] == "Bearer", what
        assert response.headers["content-type"] == PROBLEM, what
        assert response.json() == problem(401, "unauthenticated", "Unauthenticated", detail), what
    assert counts(sessions) == NOTHING


def test_revoked_key_is_401(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with unit_of_work(sessions) as s:
        key_id = accounts.authenticate_bearer(s, world.key_a).id
        accounts.revoke_api_key(s, key_id)

    response = client.post(
        "/v1/reviews",
        json=review_body("hotel-a", "e-1", "Lovely stay."),
        headers=world.auth(world.key_a),
    )

    assert_problem(response, problem(401, "unauthenticated", "Unauthenticated", UNKNOWN))
    assert response.headers["www-authenticate"] == "Bearer"
    assert counts(sessions) == NOTHING
    other = client.get("/v1/reviews", headers=world.auth(world.key_ab))
    assert other.status_code == 200, other.text  # only that key is revoked


def test_bearer_scheme_is_case_insensitive(client: TestClient, world: World) -> None:
    response = client.get("/v1/reviews", headers={"Authorization": f"bearer {world.agent_a}"})

    assert response.status_code == 200, response.text
    assert response.json() == {"items": [], "next_cursor": None}


@pytest.fixture
def queued_a(client: TestClient, world: World) -> dict[str, Any]:
    """A complaint in hotel-a, waiting in the queue."""
    response = client.post(
        "/v1/reviews",
        json=review_body("hotel-a", "a-1", "The room was dirty and the staff were rude."),
        headers=world.auth(world.key_a),
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert created["route"] == "human"
    return created


@pytest.mark.parametrize(("method", "path", "body"), QUEUE_ENDPOINTS)
@pytest.mark.parametrize("key", ["key_a", "key_ab"])
def test_api_keys_may_not_use_the_queue(
    client: TestClient,
    world: World,
    sessions: sessionmaker[Session],
    queued_a: dict[str, Any],
    method: str,
    path: str,
    body: object,
    key: str,
) -> None:
    item_id = queued_a["queue"]["item_id"]
    path = path.replace("/1", f"/{item_id}")

    response = call(client, method, path, body, world.auth(getattr(world, key)))

    assert_problem(
        response,
        problem(
            403, "forbidden", "Forbidden", "the review queue is for people: use a personal token"
        ),
    )
    with sessions() as s:
        item = s.get(QueueItem, item_id)
        assert item is not None
        assert (item.state, item.claimed_by, item.resolved_at) == ("open", None, None)
    assert counts(sessions) == {"reviews": 1, "queue_items": 1, "labels": 0}


@pytest.mark.parametrize("person", ["agent_a", "trainer_a"])
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/reviews", review_body("hotel-a", "e-1", "Lovely stay.")),
        ("/v1/reviews/batch", {"reviews": [review_body("hotel-a", "e-1", "Lovely stay.")]}),
    ],
    ids=["single", "batch"],
)
def test_agents_and_trainers_may_not_ingest(
    client: TestClient,
    world: World,
    sessions: sessionmaker[Session],
    person: str,
    path: str,
    body: dict[str, Any],
) -> None:
    response = client.post(path, json=body, headers=world.auth(getattr(world, person)))

    assert_problem(
        response,
        problem(
            403, "forbidden", "Forbidden", "ingest needs a hotel system's API key (or an admin)"
        ),
    )
    assert counts(sessions) == NOTHING


def test_secrets_are_stored_only_as_hashes(world: World, sessions: sessionmaker[Session]) -> None:
    key_secrets = [world.key_a, world.key_b, world.key_ab]
    token_secrets = [world.agent_a, world.agent_b, world.trainer_a, world.admin_ab]
    with unit_of_work(sessions) as s:  # two more people through the real account path
        for email in ("night.a@example.com", "night.b@example.com"):
            accounts.add_user(s, SETUP, email, PASSWORD, "agent", ["hotel-a"])
    with sessions() as s:
        keys = s.execute(text("SELECT prefix, secret_hash FROM api_keys ORDER BY id")).all()
        tokens = s.execute(text("SELECT prefix, secret_hash FROM user_tokens ORDER BY id")).all()
        users = s.execute(text("SELECT email, password_hash FROM users ORDER BY id")).all()
        everything = [
            str(value)
            for table in Base.metadata.sorted_tables
            for row in s.execute(table.select()).all()
            for value in row
        ]

    assert [tuple(k) for k in keys] == [
        (secret[:10], hashlib.sha256(secret.encode()).hexdigest()) for secret in key_secrets
    ]
    assert [tuple(t) for t in tokens] == [
        (secret[:10], hashlib.sha256(secret.encode()).hexdigest()) for secret in token_secrets
    ]
    for secret in [*key_secrets, *token_secrets, PASSWORD]:
        assert not any(secret in value for value in everything), "a secret is stored in clear"
    assert [email for email, _ in users] == [
        "agent.a@example.com",
        "agent.b@example.com",
        "trainer.a@example.com",
        "admin@example.com",
        "night.a@example.com",
        "night.b@example.com",
    ]
    for _, password_hash in users:
        assert password_hash.startswith("$argon2id$")
        assert accounts.verify_password(password_hash, PASSWORD)
        assert not accounts.verify_password(password_hash, PASSWORD + "!")
    # salted: the same password through add_user gives different hashes
    assert users[-1][1] != users[-2][1]
