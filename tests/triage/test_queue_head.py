"""The queue's head, read property by property, is the plain definition's, on both engines.

`list_queue` (without a filter on the review) and `claim_next` read only the head of the
queue, one ordered index range per property (`triage.casework.queue_head.in_head`). These
tests compare them with the straightforward definition (every open item matching the
filter, in scope, ordered by priority, due time and id) on a mixed queue: several
properties, ties in priority and due time, resolved items, live and expired leases,
escalations, and every filter.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import _truncate
from triage.access.accounts import Principal
from triage.casework import queue
from triage.core.errors import QueueEmpty
from triage.storage.db import make_engine, make_session_factory, unit_of_work, utcnow
from triage.storage.tables import Property, QueueItem, Review, User

PROPERTIES = ("hotel-1", "hotel-2", "hotel-3", "hotel-4")
AGENT_SCOPE = frozenset({"hotel-1", "hotel-2", "hotel-3"})  # hotel-4 is someone else's
LEASE = timedelta(minutes=15)


def build_queue(sessions: sessionmaker[Session], items: int = 160) -> tuple[Principal, Principal]:
    """A seeded, mixed queue; an agent of three properties and an admin of all four.

    Priorities and due times come from small sets, so many items tie on both and only
    the id orders them. Leases: none, someone else's still running, or run out.
    """
    rng = random.Random(20261124)
    now = utcnow()
    dues = [now + timedelta(hours=h) for h in (-30, -5, 2, 2, 7, 48)]
    with unit_of_work(sessions) as s:
        for pid in PROPERTIES:
            s.add(Property(id=pid, name=pid.title()))
        people = [
            User(email=f"{role}.{n}@example.com", password_hash="!", role=role)
            for n, role in enumerate(("agent", "admin", "agent"))
        ]
        s.add_all(people)
        s.flush()
        agent, admin, colleague = people
        for n in range(items):
            pid = rng.choice(PROPERTIES)
            due = rng.choice(dues)
            review = Review(
                property_id=pid,
                source=rng.choice(("survey", "booking", "google")),
                external_id=f"r-{n}",
                text=f"review {n}",
                status="queued",
                route="human",
                language=rng.choice(("en", "de", None)),
                sentiment_label=rng.choice(("negative", "neutral", "positive")),
                reasons=[
                    {"code": c, "explanation": c}
                    for c in rng.sample(("safety_term", "negative_sentiment", "low_confidence"), 2)
                ][: rng.randint(0, 2)],
                departments=rng.choice(([], ["housekeeping"], ["maintenance", "front_office"])),
                priority=1,
                due_at=due,
                received_at=now,
                model_version="m-1",
            )
            s.add(review)
            s.flush()
            lease = rng.choice(("none", "none", "live", "expired"))
            state = "resolved" if rng.random() < 0.2 else "open"
            s.add(
                QueueItem(
                    review_id=review.id,
                    property_id=pid,
                    state=state,
                    priority=rng.randint(1, 3),
                    due_at=due,
                    created_at=now,
                    claimed_by=None if lease == "none" else colleague.id,
                    claimed_at=None if lease == "none" else now - timedelta(hours=2),
                    lease_expires_at={
                        "none": None,
                        "live": now + timedelta(hours=1),
                        "expired": now - timedelta(hours=1),
                    }[lease],
                    escalated_to=rng.choice((None, None, "department:housekeeping")),
                )
            )
        ids = (agent.id, admin.id)
    return (
        Principal(kind="user", id=ids[0], role="agent", property_ids=AGENT_SCOPE),
        Principal(kind="user", id=ids[1], role="admin", property_ids=frozenset(PROPERTIES)),
    )


def plainly(session: Session, who: Principal, f: queue.QueueFilter, now: datetime) -> list[int]:
    """Every open item matching `f` in scope, in queue order: the definition."""
    where, needs_review = queue.open_items_where(who, f, now)
    query = select(QueueItem.id)
    if needs_review:
        query = query.join(Review, Review.id == QueueItem.review_id)
    return list(
        session.scalars(
            query.where(where).order_by(QueueItem.priority, QueueItem.due_at, QueueItem.id)
        )
    )


FILTERS = [
    queue.QueueFilter(),
    queue.QueueFilter(property_id="hotel-2"),
    queue.QueueFilter(language="de"),
    queue.QueueFilter(sentiment="negative"),
    queue.QueueFilter(source="booking"),
    queue.QueueFilter(reason="safety_term"),
    queue.QueueFilter(department="housekeeping"),
    queue.QueueFilter(claimed=True),
    queue.QueueFilter(claimed=False),
    queue.QueueFilter(overdue=True),
    queue.QueueFilter(overdue=False),
    queue.QueueFilter(language="en", claimed=False, overdue=True),
    queue.QueueFilter(property_id="hotel-1", reason="low_confidence", department="maintenance"),
    queue.QueueFilter(language="fr"),  # matches nothing
]
PAGES = [(50, 0), (7, 0), (7, 7), (7, 21), (1, 3), (200, 0), (5, 1000), (10, 30)]


@pytest.fixture
def people(sessions: sessionmaker[Session]) -> tuple[Principal, Principal]:
    return build_queue(sessions)


def test_pages_and_totals_are_the_plain_definitions(
    sessions: sessionmaker[Session], people: tuple[Principal, Principal]
) -> None:
    checked = 0
    for who in people:
        for f in FILTERS:
            with unit_of_work(sessions) as s:
                everything = plainly(s, who, f, utcnow())
                for limit, offset in PAGES:
                    views, total = queue.list_queue(s, who, f, limit=limit, offset=offset)
                    page = [v.item.id for v in views if v.item is not None]
                    assert page == everything[offset : offset + limit], (who.role, f, offset)
                    assert total == len(everything), (who.role, f, limit, offset)
                    assert all(v.review.id == v.item.review_id for v in views if v.item)
                    assert {v.review.property_id for v in views} <= who.property_ids
                    checked += bool(page)
    assert checked > 100  # most cases have items to compare, not just empty pages
    with unit_of_work(sessions) as s:
        agent = people[0]
        assert len(plainly(s, agent, queue.QueueFilter(), utcnow())) > 2 * queue.CLAIM_CANDIDATES
        assert plainly(s, agent, queue.QueueFilter(claimed=True), utcnow())
        hidden = s.scalars(select(QueueItem.id).where(QueueItem.property_id == "hotel-4")).all()
        assert hidden  # the scope is tested against items that exist


def test_claims_follow_the_plain_order_until_the_queue_is_empty(
    sessions: sessionmaker[Session], people: tuple[Principal, Principal]
) -> None:
    agent, _ = people
    with unit_of_work(sessions) as s:
        free = plainly(s, agent, queue.QueueFilter(claimed=False), utcnow())
        live = set(plainly(s, agent, queue.QueueFilter(claimed=True), utcnow()))
        expired = set(
            s.scalars(
                select(QueueItem.id).where(
                    QueueItem.id.in_(free), QueueItem.lease_expires_at < utcnow()
                )
            )
        )
    assert expired, "the data set should have run-out leases to hand out again"
    order = []
    while True:
        with unit_of_work(sessions) as s:
            expected = plainly(s, agent, queue.QueueFilter(claimed=False), utcnow())
        try:
            with unit_of_work(sessions) as s:
                view = queue.claim_next(s, agent, lease=LEASE)
        except QueueEmpty:
            assert expected == []
            break
        assert view.item is not None
        assert view.item.id == expected[0]
        assert (view.item.claimed_by, view.status) == (agent.id, "claimed")
        order.append(view.item.id)
    assert order == free  # the whole free queue, in the plain order, expired leases included
    assert expired <= set(order) and not live & set(order)
    with unit_of_work(sessions) as s:
        colleague = s.scalar(select(User.id).where(User.email == "agent.2@example.com"))
        held = s.scalars(select(QueueItem.claimed_by).where(QueueItem.id.in_(live)))
        assert set(held) == {colleague}  # the colleague's live leases are untouched


def test_claims_for_one_property(
    sessions: sessionmaker[Session], people: tuple[Principal, Principal]
) -> None:
    _, admin = people
    with unit_of_work(sessions) as s:
        expected = plainly(
            s, admin, queue.QueueFilter(property_id="hotel-4", claimed=False), utcnow()
        )
    claimed = []
    for _ in expected:
        with unit_of_work(sessions) as s:
            view = queue.claim_next(s, admin, lease=LEASE, property_id="hotel-4")
            assert view.item is not None
            claimed.append(view.item.id)
    assert claimed == expected
    with unit_of_work(sessions) as s, pytest.raises(QueueEmpty):
        queue.claim_next(s, admin, lease=LEASE, property_id="hotel-4")


def test_a_caller_without_properties_sees_an_empty_queue(
    sessions: sessionmaker[Session], people: tuple[Principal, Principal]
) -> None:
    agent, _ = people
    nobody = Principal(kind="user", id=agent.id, role="agent", property_ids=frozenset())
    with unit_of_work(sessions) as s:
        assert queue.list_queue(s, nobody, queue.QueueFilter(), limit=50) == ([], 0)
        with pytest.raises(QueueEmpty):
            queue.claim_next(s, nobody, lease=LEASE)


@pytest.fixture
def pg(postgres_server: str) -> Iterator[sessionmaker[Session]]:
    _truncate(postgres_server)
    engine = make_engine(postgres_server)
    yield make_session_factory(engine)
    engine.dispose()


def test_a_claim_passes_a_head_that_others_are_claiming(pg: sessionmaker[Session]) -> None:
    """PostgreSQL: while other transactions lock every candidate a claim reads, it still
    gets the next free item (from the whole queue), never an empty answer."""
    agent, _ = build_queue(pg)
    with unit_of_work(pg) as s:
        free = plainly(s, agent, queue.QueueFilter(claimed=False), utcnow())
    locked = free[: queue.CLAIM_CANDIDATES]
    assert len(free) > len(locked)
    with pg() as others:
        others.execute(select(QueueItem.id).where(QueueItem.id.in_(locked)).with_for_update())
        with unit_of_work(pg) as s:
            view = queue.claim_next(s, agent, lease=LEASE)
            assert view.item is not None and view.item.id == free[len(locked)]
        others.rollback()
    with unit_of_work(pg) as s:
        view = queue.claim_next(s, agent, lease=LEASE)
        assert view.item is not None and view.item.id == free[0]
