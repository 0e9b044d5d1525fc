"""The review queue on SQLite and PostgreSQL: order, leases, verdicts, and no double work."""

from __future__ import annotations

import multiprocessing
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import World
from triage.access.accounts import Principal, authenticate_bearer
from triage.casework import queue
from triage.core.errors import Conflict, Forbidden, NotFound, QueueEmpty
from triage.storage.db import make_engine, make_session_factory, unit_of_work, utcnow
from triage.storage.tables import Label, QueueItem, Review

LEASE = timedelta(minutes=15)


def add_items(
    sessions: sessionmaker[Session], count: int, property_id: str = "hotel-a", priority: int = 3
) -> list[int]:
    now = utcnow()
    with unit_of_work(sessions) as s:
        start = s.scalar(select(func.count()).select_from(Review)) or 0
        items = []
        for n in range(count):
            review = Review(
                property_id=property_id,
                source="survey",
                external_id=f"{property_id}-{start + n}",
                text=f"review {n}",
                status="queued",
                route="human",
                reasons=[],
                priority=priority,
                due_at=now + timedelta(hours=n + 1),
                received_at=now,
                sentiment_label="negative",
                sentiment_probabilities={"negative": 0.8, "neutral": 0.1, "positive": 0.1},
                model_version="m-1",
            )
            s.add(review)
            s.flush()
            item = QueueItem(
                review_id=review.id,
                property_id=property_id,
                state="open",
                priority=priority,
                due_at=now + timedelta(hours=n + 1),
            )
            s.add(item)
            s.flush()
            items.append(item.id)
    return items


def principal(sessions: sessionmaker[Session], secret: str) -> Principal:
    with unit_of_work(sessions) as s:
        return authenticate_bearer(s, secret)


def test_claims_most_urgent_first(sessions: sessionmaker[Session], world: World) -> None:
    later = add_items(sessions, 2, priority=3)
    urgent = add_items(sessions, 1, property_id="hotel-a", priority=1)
    agent = principal(sessions, world.agent_a)
    order = []
    for _ in range(3):
        with unit_of_work(sessions) as s:
            view = queue.claim_next(s, agent, lease=LEASE)
            assert view.item is not None
            assert view.status == "claimed"
            order.append(view.item.id)
    assert order == [urgent[0], later[0], later[1]]
    with unit_of_work(sessions) as s, pytest.raises(QueueEmpty):
        queue.claim_next(s, agent, lease=LEASE)


def test_claims_only_own_properties(sessions: sessionmaker[Session], world: World) -> None:
    add_items(sessions, 1, property_id="hotel-b")
    agent_a = principal(sessions, world.agent_a)
    with unit_of_work(sessions) as s, pytest.raises(QueueEmpty):
        queue.claim_next(s, agent_a, lease=LEASE)
    with unit_of_work(sessions) as s, pytest.raises(NotFound):
        queue.claim_next(s, agent_a, lease=LEASE, property_id="hotel-b")


def test_api_keys_cannot_work_the_queue(sessions: sessionmaker[Session], world: World) -> None:
    system = principal(sessions, world.key_a)
    with unit_of_work(sessions) as s, pytest.raises(Forbidden):
        queue.claim_next(s, system, lease=LEASE)


def test_expired_lease_returns_item(sessions: sessionmaker[Session], world: World) -> None:
    (item_id,) = add_items(sessions, 1)
    first = principal(sessions, world.agent_a)
    second = principal(sessions, world.trainer_a)
    with unit_of_work(sessions) as s:
        queue.claim_next(s, first, lease=timedelta(milliseconds=50))
    with unit_of_work(sessions) as s, pytest.raises(QueueEmpty):
        queue.claim_next(s, second, lease=LEASE)
    time.sleep(0.1)
    with unit_of_work(sessions) as s:
        view = queue.claim_next(s, second, lease=LEASE)
        assert view.item is not None and view.item.id == item_id
        assert view.item.claimed_by == second.id
    # The first holder's lease is gone: resolving now is someone else's item.
    with unit_of_work(sessions) as s, pytest.raises(Conflict, match="held by someone else"):
        queue.resolve(s, first, item_id, queue.Verdict("negative", "replied"))


def test_resolve_records_a_label_with_provenance(
    sessions: sessionmaker[Session], world: World
) -> None:
    (item_id,) = add_items(sessions, 1)
    agent = principal(sessions, world.agent_a)
    other = principal(sessions, world.trainer_a)
    with unit_of_work(sessions) as s:
        queue.claim_next(s, agent, lease=LEASE)
    with unit_of_work(sessions) as s, pytest.raises(Conflict, match="held by someone else"):
        queue.resolve(s, other, item_id, queue.Verdict("positive", "no_action"))
    with unit_of_work(sessions) as s:
        view = queue.resolve(s, agent, item_id, queue.Verdict("neutral", "replied", "called"))
        assert view.status == "resolved"
    with unit_of_work(sessions) as s, pytest.raises(Conflict, match="resolved already"):
        queue.resolve(s, agent, item_id, queue.Verdict("neutral", "replied"))
    with unit_of_work(sessions) as s:
        item = s.get(QueueItem, item_id)
        assert item is not None
        assert (item.state, item.resolved_by, item.action, item.note) == (
            "resolved",
            agent.id,
            "replied",
            "called",
        )
        (label,) = s.scalars(select(Label)).all()
        assert (label.review_id, label.label, label.kind, label.user_id, label.role) == (
            item.review_id,
            "neutral",
            "queue_verdict",
            agent.id,
            "agent",
        )
        assert label.model_version == "m-1"
        assert label.predicted_label == "negative"
        assert label.predicted_probabilities == {"negative": 0.8, "neutral": 0.1, "positive": 0.1}


def test_release_only_by_holder(sessions: sessionmaker[Session], world: World) -> None:
    (item_id,) = add_items(sessions, 1)
    agent = principal(sessions, world.agent_a)
    other = principal(sessions, world.trainer_a)
    with unit_of_work(sessions) as s:
        queue.claim_next(s, agent, lease=LEASE)
    with unit_of_work(sessions) as s, pytest.raises(Conflict):
        queue.release(s, other, item_id)
    with unit_of_work(sessions) as s:
        assert queue.release(s, agent, item_id).status == "queued"
    with unit_of_work(sessions) as s:
        view = queue.claim_next(s, other, lease=LEASE)
        assert view.item is not None and view.item.id == item_id


def _claim_all(url: str, secret: str, barrier: threading.Barrier | None) -> list[int]:
    """Claim until the queue is empty, pausing briefly between claims as a person would."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    who = principal(sessions, secret)
    claimed: list[int] = []
    if barrier is not None:
        barrier.wait()
    while True:
        try:
            with unit_of_work(sessions) as s:
                view = queue.claim_next(s, who, lease=LEASE)
                assert view.item is not None
                claimed.append(view.item.id)
        except QueueEmpty:
            break
        time.sleep(0.002)
    engine.dispose()
    return claimed


def test_two_concurrent_claimers_never_get_the_same_item(
    database_url: str, sessions: sessionmaker[Session], world: World
) -> None:
    items = add_items(sessions, 60)
    barrier = threading.Barrier(2)
    results: dict[str, list[int]] = {}

    def run(name: str, secret: str) -> None:
        results[name] = _claim_all(database_url, secret, barrier)

    threads = [
        threading.Thread(target=run, args=(n, s))
        for n, s in (("agent", world.agent_a), ("trainer", world.trainer_a))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    first, second = results["agent"], results["trainer"]
    assert not set(first) & set(second)
    assert sorted(first + second) == sorted(items)
    assert first and second, "both claimers should have got work"


def test_claimers_in_separate_processes(
    database_url: str, sessions: sessionmaker[Session], world: World
) -> None:
    items = add_items(sessions, 40)
    context = multiprocessing.get_context("spawn")
    with context.Pool(3) as pool:
        runs = pool.starmap(
            _claim_all,
            [
                (database_url, secret, None)
                for secret in (world.agent_a, world.trainer_a, world.admin_ab)
            ],
        )
    claimed = [item for run in runs for item in run]
    assert len(claimed) == len(set(claimed)) == len(items)
    with unit_of_work(sessions) as s:
        open_unclaimed = s.scalar(
            select(func.count()).select_from(QueueItem).where(QueueItem.claimed_by.is_(None))
        )
        assert open_unclaimed == 0


def test_list_queue_filters_and_counts(sessions: sessionmaker[Session], world: World) -> None:
    add_items(sessions, 3)
    add_items(sessions, 2, property_id="hotel-b")
    agent = principal(sessions, world.agent_a)
    admin = principal(sessions, world.admin_ab)
    with unit_of_work(sessions) as s:
        queue.claim_next(s, agent, lease=LEASE)
    with unit_of_work(sessions) as s:
        found, total = queue.list_queue(s, agent, queue.QueueFilter(), limit=50)
        assert total == 3 and len(found) == 3
        assert {v.review.property_id for v in found} == {"hotel-a"}
        _, claimed = queue.list_queue(s, agent, queue.QueueFilter(claimed=True), limit=50)
        _, free = queue.list_queue(s, agent, queue.QueueFilter(claimed=False), limit=50)
        assert (claimed, free) == (1, 2)
        _, everything = queue.list_queue(s, admin, queue.QueueFilter(), limit=50)
        assert everything == 5
        _, only_b = queue.list_queue(s, admin, queue.QueueFilter(property_id="hotel-b"), limit=50)
        assert only_b == 2
        _, overdue = queue.list_queue(s, admin, queue.QueueFilter(overdue=True), limit=50)
        assert overdue == 0


def _work_until_empty(
    url: str, secret: str, abandon_every: int, start: Any
) -> tuple[list[int], list[int]]:
    """Claim and resolve until no open item is left. A worker with `abandon_every` > 0
    walks away from its first claim and every `abandon_every`-th one after it, as a crashed
    worker would: the lease must run out and someone else must finish the item. The
    careful workers start only once the careless one has walked away from its first item
    (`start`, an event), so there is always an abandoned lease to recover."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    who = principal(sessions, secret)
    resolved: list[int] = []
    abandoned: list[int] = []
    claims = 0
    if not abandon_every:
        start.wait(timeout=60)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with unit_of_work(sessions) as s:
                view = queue.claim_next(s, who, lease=timedelta(seconds=1))
                assert view.item is not None
                item_id = view.item.id
        except QueueEmpty:
            with sessions() as s:
                still_open = s.scalar(
                    select(func.count()).select_from(QueueItem).where(QueueItem.state == "open")
                )
            if not still_open:
                break
            time.sleep(0.1)  # someone holds the rest: wait for them or for their leases
            continue
        claims += 1
        if abandon_every and (claims - 1) % abandon_every == 0 and item_id not in abandoned:
            abandoned.append(item_id)
            start.set()
            continue
        with unit_of_work(sessions) as s:
            queue.resolve(s, who, item_id, queue.Verdict("negative", "replied"))
        resolved.append(item_id)
    engine.dispose()
    return resolved, abandoned


def test_processes_resolve_every_item_exactly_once_and_recover_abandoned_leases(
    database_url: str, sessions: sessionmaker[Session], world: World
) -> None:
    items = add_items(sessions, 45)
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(3) as pool:
        start = manager.Event()
        runs = pool.starmap(
            _work_until_empty,
            [
                (database_url, world.agent_a, 4, start),  # walks away from every 4th claim
                (database_url, world.trainer_a, 0, start),
                (database_url, world.admin_ab, 0, start),
            ],
        )
    resolved = [item for done, _ in runs for item in done]
    abandoned = runs[0][1]
    assert abandoned, "the careless worker should have walked away from some items"
    assert sorted(resolved) == sorted(items)  # each resolved by exactly one worker
    with sessions() as s:
        rows = s.execute(select(QueueItem.id, QueueItem.state, QueueItem.resolved_by)).all()
        assert {state for _, state, _ in rows} == {"resolved"}
        labels = s.execute(select(Label.review_id, func.count()).group_by(Label.review_id)).all()
        assert len(labels) == len(items) and {n for _, n in labels} == {1}
        reviews = s.scalars(select(Review.status)).all()
        assert set(reviews) == {"resolved"}
