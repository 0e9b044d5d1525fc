"""Who may call what: credentials, roles, and property scope on every endpoint.

A caller who may not see a property must not learn that anything exists in it:
another property's review or queue item answers exactly like an id that does
not exist, and the body carries nothing of it.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import PASSWORD, SETUP, World
from triage.access import accounts
from triage.storage.db import Base, unit_of_work
from triage.storage.tables import Label, QueueItem, Review

PROBLEM = "application/problem+json"
VERDICT = {"label": "negative", "action": "replied", "note": "Apologised by phone."}


def review_body(property_id: str, external_id: str, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "property_id": property_id,
        "external_id": external_id,
        "source": "booking",
        "text": text,
        **extra,
    }


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


def call(
    client: TestClient, method: str, path: str, body: object, headers: dict[str, str]
) -> Response:
    if body is None:
        return client.request(method, path, headers=headers)
    return client.request(method, path, json=body, headers=headers)


def problem(status: int, slug: str, title: str, detail: str) -> dict[str, Any]:
    return {
        "type": f"urn:guest-triage:problem:{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "errors": [],
    }


def not_found(detail: str) -> dict[str, Any]:
    return problem(404, "not-found", "Not found", detail)


def assert_problem(response: Response, expected: dict[str, Any]) -> None:
    assert response.status_code == expected["status"], response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == expected


def counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as s:
        return {
            table.__tablename__: s.scalar(select(func.count()).select_from(table)) or 0
            for table in (Review, QueueItem, Label)
        }


NOTHING = {"reviews": 0, "queue_items": 0, "labels": 0}

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


SECRET_TEXT = "Zimmer 512: the minibar was broken, the bathroom dirty. Never again."
SECRET_ID = "hotel-b-private-ref-512"
SECRET_EMAIL = "guest.of.b@example.com"


@pytest.fixture
def queued_b(client: TestClient, world: World) -> dict[str, Any]:
    """A complaint in hotel-b with text and ids hotel-a must never see."""
    response = client.post(
        "/v1/reviews",
        json=review_body(
            "hotel-b",
            SECRET_ID,
            SECRET_TEXT,
            language="en",
            guest={"email": SECRET_EMAIL, "room": "512"},
        ),
        headers=world.auth(world.key_b),
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert created["route"] == "human"
    return created


def assert_leaks_nothing(response: Response) -> None:
    for secret in (SECRET_TEXT, SECRET_ID, SECRET_EMAIL, "512", "hotel-b"):
        assert secret not in response.text, (secret, response.text)


@pytest.mark.parametrize("caller", ["agent_a", "trainer_a", "key_a"])
def test_another_propertys_review_is_404_and_leaks_nothing(
    client: TestClient, world: World, queued_b: dict[str, Any], caller: str
) -> None:
    review_id = queued_b["id"]
    missing_id = review_id + 1000

    other = client.get(f"/v1/reviews/{review_id}", headers=world.auth(getattr(world, caller)))
    missing = client.get(f"/v1/reviews/{missing_id}", headers=world.auth(getattr(world, caller)))

    assert_problem(other, not_found(f"review {review_id} not found"))
    assert_problem(missing, not_found(f"review {missing_id} not found"))
    assert_leaks_nothing(other)
    # The owner's view proves the id is real.
    own = client.get(f"/v1/reviews/{review_id}", headers=world.auth(world.agent_b))
    assert own.status_code == 200, own.text
    assert own.json() == queued_b


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [("GET", "", None), ("POST", "/release", None), ("POST", "/resolve", VERDICT)],
    ids=["read", "release", "resolve"],
)
@pytest.mark.parametrize("caller", ["agent_a", "trainer_a"])
def test_another_propertys_queue_item_is_404_and_untouched(
    client: TestClient,
    world: World,
    sessions: sessionmaker[Session],
    queued_b: dict[str, Any],
    method: str,
    suffix: str,
    body: object,
    caller: str,
) -> None:
    item_id = queued_b["queue"]["item_id"]
    headers = world.auth(getattr(world, caller))
    # Even holding it would not help: hotel-b's agent claims it first.
    claimed = client.post("/v1/queue/claim", headers=world.auth(world.agent_b))
    assert claimed.status_code == 200, claimed.text

    other = call(client, method, f"/v1/queue/{item_id}{suffix}", body, headers)
    missing = call(client, method, f"/v1/queue/{item_id + 1000}{suffix}", body, headers)

    assert_problem(other, not_found(f"queue item {item_id} not found"))
    assert_problem(missing, not_found(f"queue item {item_id + 1000} not found"))
    assert_leaks_nothing(other)
    with sessions() as s:
        item = s.get(QueueItem, item_id)
        assert item is not None
        assert (item.state, item.resolved_at, item.action, item.note) == ("open", None, None, None)
        assert item.claimed_by == accounts.authenticate_bearer(s, world.agent_b).id
        assert s.get(Review, queued_b["id"]).status == "queued"  # type: ignore[union-attr]
    assert counts(sessions) == {"reviews": 1, "queue_items": 1, "labels": 0}


def test_another_propertys_queue_is_invisible(
    client: TestClient, world: World, sessions: sessionmaker[Session], queued_b: dict[str, Any]
) -> None:
    headers = world.auth(world.agent_a)

    nothing_to_claim = client.post("/v1/queue/claim", headers=headers)
    assert nothing_to_claim.status_code == 204
    assert nothing_to_claim.content == b""

    for response in (
        client.post("/v1/queue/claim", json={"property_id": "hotel-b"}, headers=headers),
        client.get("/v1/queue", params={"property_id": "hotel-b"}, headers=headers),
        client.get("/v1/reviews", params={"property_id": "hotel-b"}, headers=headers),
    ):
        assert_problem(response, not_found("property 'hotel-b' not found"))
        assert SECRET_TEXT not in response.text

    queue = client.get("/v1/queue", headers=headers)
    assert queue.status_code == 200, queue.text
    assert queue.json() == {"items": [], "total": 0}
    listed = client.get("/v1/reviews", headers=headers)
    assert listed.status_code == 200, listed.text
    assert listed.json() == {"items": [], "next_cursor": None}
    with sessions() as s:
        item = s.get(QueueItem, queued_b["queue"]["item_id"])
        assert item is not None
        assert (item.state, item.claimed_by) == ("open", None)


def test_key_for_hotel_a_cannot_post_for_hotel_b(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    body = review_body("hotel-b", "b-1", "Lovely stay, friendly staff.")

    response = client.post("/v1/reviews", json=body, headers=world.auth(world.key_a))

    assert_problem(response, not_found("property 'hotel-b' not found"))
    assert counts(sessions) == NOTHING


def test_batch_with_a_foreign_property_fails_only_that_item(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    reviews = [
        review_body("hotel-b", "b-1", "Lovely stay, friendly staff."),
        review_body("hotel-a", "a-1", "Lovely stay, friendly staff."),
    ]

    response = client.post(
        "/v1/reviews/batch", json={"reviews": reviews}, headers=world.auth(world.key_a)
    )

    assert response.status_code == 200, response.text
    result = response.json()
    created = result["results"][1]["review"]
    assert result == {
        "created": 1,
        "existing": 0,
        "failed": 1,
        "results": [
            {
                "index": 0,
                "status": 404,
                "review": None,
                "error": not_found("property 'hotel-b' not found"),
            },
            {"index": 1, "status": 201, "review": created, "error": None},
        ],
    }
    assert (created["property_id"], created["external_id"]) == ("hotel-a", "a-1")
    with sessions() as s:
        rows = s.execute(select(Review.property_id, Review.external_id)).all()
    assert [tuple(r) for r in rows] == [("hotel-a", "a-1")]


def test_same_external_id_in_another_property_is_a_new_review(
    client: TestClient, world: World, sessions: sessionmaker[Session], queued_b: dict[str, Any]
) -> None:
    """Idempotency is per property: it must not hand back hotel-b's review to hotel-a."""
    body = review_body("hotel-a", SECRET_ID, "Lovely stay, friendly staff.")

    response = client.post("/v1/reviews", json=body, headers=world.auth(world.key_a))

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["id"] != queued_b["id"]
    assert (created["property_id"], created["text"]) == ("hotel-a", body["text"])
    assert SECRET_TEXT not in response.text
    assert counts(sessions)["reviews"] == 2


@pytest.fixture
def four_reviews(client: TestClient, world: World) -> dict[str, dict[str, Any]]:
    """Two reviews per hotel; all but the first go to the queue."""
    posts = [
        (
            "key_a",
            review_body(
                "hotel-a", "a-1", "Lovely stay, friendly staff, clean room.", language="en"
            ),
        ),
        (
            "key_a",
            review_body("hotel-a", "a-2", "The room was dirty and the staff rude.", language="en"),
        ),
        ("key_b", review_body("hotel-b", "b-1", "Terrible breakfast, cold coffee.", language="en")),
        ("key_b", review_body("hotel-b", "b-2", "Noisy and the lift was broken.", language="en")),
    ]
    found: dict[str, dict[str, Any]] = {}
    for key, body in posts:
        response = client.post("/v1/reviews", json=body, headers=world.auth(getattr(world, key)))
        assert response.status_code == 201, response.text
        found[body["external_id"]] = response.json()
    assert [r["route"] for r in found.values()] == ["auto", "human", "human", "human"]
    return found


@pytest.mark.parametrize(
    ("caller", "visible"),
    [
        ("agent_a", ["a-2", "a-1"]),
        ("trainer_a", ["a-2", "a-1"]),
        ("key_a", ["a-2", "a-1"]),
        ("agent_b", ["b-2", "b-1"]),
        ("key_b", ["b-2", "b-1"]),
        ("admin_ab", ["b-2", "b-1", "a-2", "a-1"]),
        ("key_ab", ["b-2", "b-1", "a-2", "a-1"]),
    ],
)
def test_review_list_holds_only_the_callers_properties(
    client: TestClient,
    world: World,
    four_reviews: dict[str, dict[str, Any]],
    caller: str,
    visible: list[str],
) -> None:
    response = client.get("/v1/reviews", headers=world.auth(getattr(world, caller)))

    assert response.status_code == 200, response.text
    assert response.json() == {
        "items": [four_reviews[external_id] for external_id in visible],
        "next_cursor": None,
    }


@pytest.mark.parametrize(
    ("caller", "visible"),
    [
        ("agent_a", ["a-2"]),
        ("trainer_a", ["a-2"]),
        ("agent_b", ["b-1", "b-2"]),
        ("admin_ab", ["a-2", "b-1", "b-2"]),
    ],
)
def test_queue_holds_only_the_callers_properties(
    client: TestClient,
    world: World,
    four_reviews: dict[str, dict[str, Any]],
    caller: str,
    visible: list[str],
) -> None:
    response = client.get("/v1/queue", headers=world.auth(getattr(world, caller)))

    assert response.status_code == 200, response.text
    body = response.json()
    assert sorted(item["external_id"] for item in body["items"]) == visible
    by_id = {item["external_id"]: item for item in body["items"]}
    assert body == {"items": body["items"], "total": len(visible)}
    for external_id in visible:
        assert by_id[external_id] == four_reviews[external_id]


def test_claim_takes_only_from_the_callers_properties(
    client: TestClient, world: World, four_reviews: dict[str, dict[str, Any]]
) -> None:
    first = client.post("/v1/queue/claim", headers=world.auth(world.agent_a))
    second = client.post("/v1/queue/claim", headers=world.auth(world.agent_a))

    assert first.status_code == 200, first.text
    claimed = first.json()
    assert (claimed["id"], claimed["property_id"], claimed["status"]) == (
        four_reviews["a-2"]["id"],
        "hotel-a",
        "claimed",
    )
    assert second.status_code == 204  # hotel-b's two items stay out of reach


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
