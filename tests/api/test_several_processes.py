"""Two API processes on one PostgreSQL database behave as one service.

- the same review sent to both at once is stored once (one 201, one 200);
- two people claiming through different processes never get the same item;
- a promotion in the model registry is picked up by both, without a restart;
- the per-key rate limit is one limit across both processes (counted in the database).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.api.servers import Server
from tests.conftest import World, _truncate, build_world
from triage.learning import registry
from triage.storage.db import make_engine, make_session_factory, unit_of_work
from triage.storage.tables import Label, QueueItem, Review

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

COMPLAINT = "The room was dirty and the staff were rude. Terrible."


def model_dir(root: Path, version: str) -> Path:
    path = root / version
    path.mkdir()
    (path / "model.json").write_text(json.dumps({"version": version}))
    return path


@pytest.fixture
def pg(postgres_server: str) -> Iterator[tuple[str, sessionmaker[Session]]]:
    _truncate(postgres_server)
    engine = make_engine(postgres_server)
    yield postgres_server, make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def two_servers(
    pg: tuple[str, sessionmaker[Session]], tmp_path: Path
) -> Iterator[tuple[Server, Server, World, sessionmaker[Session]]]:
    url, sessions = pg
    world = build_world(sessions)
    with unit_of_work(sessions) as s:
        registry.register(s, "cli:test", "kw-1", str(model_dir(tmp_path, "kw-1")), activate=True)
    settings = {"model_poll_seconds": "0.5", "rate_limit_per_minute": "120"}
    servers = [Server(url, tmp_path, **settings) for _ in range(2)]
    try:
        for server in servers:
            server.wait_ready()
        yield servers[0], servers[1], world, sessions
    finally:
        for server in servers:
            server.stop()


def review(external_id: str) -> dict[str, Any]:
    return {
        "property_id": "hotel-a",
        "external_id": external_id,
        "source": "survey",
        "text": COMPLAINT,
        "language": "en",
    }


def test_two_processes_are_one_service(
    two_servers: tuple[Server, Server, World, sessionmaker[Session]], tmp_path: Path
) -> None:
    a, b, world, sessions = two_servers
    key = world.auth(world.key_a)
    assert (a.model_version(), b.model_version()) == ("kw-1", "kw-1")

    # Idempotent ingest across processes: each review to both at the same moment.
    def both(external_id: str) -> list[int]:
        barrier = threading.Barrier(2)

        def send(server: Server) -> int:
            barrier.wait()
            return httpx.post(
                f"{server.url}/v1/reviews", json=review(external_id), headers=key, timeout=30
            ).status_code

        with ThreadPoolExecutor(2) as pool:
            return sorted(pool.map(send, (a, b)))

    outcomes = [both(f"twice-{n}") for n in range(12)]
    assert outcomes == [[200, 201]] * 12, outcomes
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Review)) == 12
        assert s.scalar(select(func.count()).select_from(QueueItem)) == 12

    # Claims through both processes at once never collide; every item is resolved once.
    def work(server: Server, token: str) -> list[int]:
        done = []
        with httpx.Client(base_url=server.url, headers=world.auth(token), timeout=30) as http:
            while True:
                claimed = http.post("/v1/queue/claim")
                if claimed.status_code == 204:
                    return done
                assert claimed.status_code == 200, claimed.text
                item_id = claimed.json()["queue"]["item_id"]
                resolved = http.post(
                    f"/v1/queue/{item_id}/resolve",
                    json={"label": "negative", "action": "replied"},
                )
                assert resolved.status_code == 200, resolved.text
                done.append(item_id)

    with ThreadPoolExecutor(2) as pool:
        first, second = pool.map(work, (a, b), (world.agent_a, world.trainer_a))
    assert not set(first) & set(second)
    assert len(first) + len(second) == 12
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Label)) == 12
        assert (
            s.scalar(select(func.count()).select_from(QueueItem).where(QueueItem.state == "open"))
            == 0
        )

    # A promotion is followed by both processes, without a restart.
    with unit_of_work(sessions) as s:
        registry.register(s, "cli:test", "kw-2", str(model_dir(tmp_path, "kw-2")))
        registry.promote(s, "cli:test", "kw-2", miss_target=0.01, force_reason="test switch")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (a.model_version(), b.model_version()) != (
        "kw-2",
        "kw-2",
    ):
        time.sleep(0.2)
    assert (a.model_version(), b.model_version()) == ("kw-2", "kw-2")
    for n, server in enumerate((a, b)):
        created = httpx.post(
            f"{server.url}/v1/reviews", json=review(f"after-{n}"), headers=key, timeout=30
        )
        assert created.status_code == 201, created.text
        assert created.json()["model_version"] == "kw-2"


def test_the_rate_limit_is_one_limit_across_processes(
    two_servers: tuple[Server, Server, World, sessionmaker[Session]],
) -> None:
    a, b, world, _ = two_servers
    headers = world.auth(world.agent_a)
    # Start at the beginning of a minute's window, so the count is not split by a reset.
    time.sleep(max(0.0, 60.5 - time.time() % 60) if time.time() % 60 > 45 else 0.0)
    statuses = []
    for n in range(130):
        server = (a, b)[n % 2]
        statuses.append(httpx.get(f"{server.url}/v1/queue", headers=headers, timeout=30))
    codes = [r.status_code for r in statuses]
    assert codes[:120] == [200] * 120
    assert codes[120:] == [429] * 10
    refused = statuses[-1]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "urn:guest-triage:problem:rate-limited"
    # Another caller has its own count.
    other = httpx.get(f"{a.url}/v1/queue", headers=world.auth(world.trainer_a), timeout=30)
    assert other.status_code == 200
