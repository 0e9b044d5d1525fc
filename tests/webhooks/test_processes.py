"""Webhooks from real `triage serve` processes on one PostgreSQL database: two processes
deliver every event once between them, and a process SIGKILLed in the middle of a delivery
loses nothing (another claims the delivery once its lease runs out and sends it again,
with the same event id)."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.api.servers import Server
from tests.conftest import SETUP, World, _truncate, build_world
from tests.webhooks.conftest import review, statuses, wait_until
from tests.webhooks.receiver import Receiver
from triage.storage.db import make_engine, make_session_factory, unit_of_work
from triage.storage.tables import Event
from triage.webhooks import endpoints

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

QUICK = {
    "rate_limit_per_minute": "0",
    "events_poll_seconds": "0.05",
    "webhook_poll_seconds": "0.05",
    "webhook_backoff_seconds": "0.2",
    "webhook_backoff_cap_seconds": "0.5",
}
ASYNC = {"Prefer": "respond-async"}


@pytest.fixture
def pg(postgres_server: str) -> Any:
    _truncate(postgres_server)
    engine = make_engine(postgres_server)
    yield postgres_server, make_session_factory(engine)
    engine.dispose()


def hook(sessions: sessionmaker[Session], url: str) -> int:
    with unit_of_work(sessions) as s:
        change = endpoints.EndpointChange(url=url, allow_private=True)
        return endpoints.create(s, SETUP, "hotel-a", change).id


def test_two_processes_deliver_every_event_once(
    pg: tuple[str, sessionmaker[Session]], tmp_path: Path, receiver: Receiver
) -> None:
    url, sessions = pg
    world: World = build_world(sessions)
    endpoint_id = hook(sessions, f"{receiver.base}/ok")
    servers = [Server(url, tmp_path, **QUICK) for _ in range(2)]
    try:
        for server in servers:
            server.wait_ready()

        def post(n: int) -> int:
            target = servers[n % 2].url
            headers = {**world.auth(world.key_a), **ASYNC}
            answer = httpx.post(f"{target}/v1/reviews", headers=headers, json=review(f"r{n}"))
            return answer.status_code

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(post, range(120))) == {202}
        wait_until(
            lambda: statuses(sessions, endpoint_id) == ["delivered"] * 120,
            timeout=60,
            what="120 deliveries delivered",
        )
    finally:
        for server in servers:
            server.stop()
    got = receiver.on("/ok")
    ids = Counter(r.headers["Triage-Event-Id"] for r in got)
    assert len(ids) == 120
    assert max(ids.values()) == 1  # each event once: claims never overlap
    with unit_of_work(sessions) as s:
        assert s.scalar(select(func.count()).select_from(Event)) == 120
        assert set(s.scalars(select(Event.public_id))) == set(ids)
    sequences = sorted(r.event["sequence"] for r in got)
    assert sequences == list(range(1, 121))  # one publisher at a time: no gap, no repeat


def test_a_kill_during_delivery_loses_nothing(
    pg: tuple[str, sessionmaker[Session]], tmp_path: Path, receiver: Receiver
) -> None:
    url, sessions = pg
    world: World = build_world(sessions)
    settings = {**QUICK, "webhook_timeout_seconds": "2"}  # lease: 2 x 2 + 5 = 9 s
    endpoint_id = hook(sessions, f"{receiver.base}/hang")
    first = Server(url, tmp_path, **settings)
    try:
        first.wait_ready()
        headers = {**world.auth(world.key_a), **ASYNC}
        answer = httpx.post(f"{first.url}/v1/reviews", headers=headers, json=review("r1"))
        assert answer.status_code == 202
        (held,) = receiver.wait_for("/hang", 1)
        first.kill()  # mid-delivery: the receiver holds the request
    finally:
        first.kill()
    assert statuses(sessions, endpoint_id) == ["sending"]
    receiver.release.set()  # the receiver answers from now on
    killed_at = time.monotonic()
    second = Server(url, tmp_path, **settings)
    try:
        second.wait_ready()
        wait_until(
            lambda: statuses(sessions, endpoint_id) == ["delivered"],
            timeout=40,
            what="delivered by the second process",
        )
    finally:
        second.stop()
    again = receiver.on("/hang")
    assert len(again) == 2
    assert again[1].headers["Triage-Event-Id"] == held.headers["Triage-Event-Id"]
    assert again[1].headers["Triage-Delivery-Attempt"] == "2"
    assert again[1].at - killed_at >= 5  # not before the dead process's lease ran out
