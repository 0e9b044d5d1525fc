"""Dashboard figures on a seeded dataset, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import World
from triage.access.accounts import authenticate_bearer
from triage.casework.stats import dashboard, percentile
from triage.core.errors import InvalidInput, NotFound
from triage.storage.db import unit_of_work, utcnow
from triage.storage.tables import Label, QueueItem, Review


def seed(sessions: sessionmaker[Session]) -> None:
    now = utcnow()
    with unit_of_work(sessions) as s:
        n = 0

        def review(route: str, age_days: float, reasons: list[str], label: str) -> Review:
            nonlocal n
            n += 1
            r = Review(
                property_id="hotel-a",
                source="google",
                external_id=f"s{n}",
                text="x",
                received_at=now - timedelta(days=age_days),
                status="auto_handled" if route == "auto" else "queued",
                route=route,
                reasons=[{"code": c, "explanation": c} for c in reasons],
                sentiment_label=label,
            )
            s.add(r)
            s.flush()
            return r

        for age in (1, 2, 3, 40):  # three auto in the last 7 days, one older
            review("auto", age, ["confident_positive"], "positive")
        # four to people in the last 7 days; resolved after 1, 2, 3 and 10 hours
        for i, (hours, human_label) in enumerate(
            [(1, "negative"), (2, "negative"), (3, "neutral"), (10, "negative")]
        ):
            codes = ["negative_sentiment", "mixed_signals"] if i == 0 else ["negative_sentiment"]
            r = review("human", 2, codes, "negative")
            created = now - timedelta(days=2)
            s.add(
                QueueItem(
                    review_id=r.id,
                    property_id="hotel-a",
                    state="resolved",
                    priority=2,
                    created_at=created,
                    due_at=created + timedelta(hours=4),  # the 10-hour one breaches
                    resolved_at=created + timedelta(hours=hours),
                )
            )
            s.add(
                Label(
                    review_id=r.id,
                    label=human_label,
                    kind="queue_verdict",
                    created_at=created + timedelta(hours=hours),
                    predicted_label="negative",
                )
            )
        # one still open and overdue, one open and on time, one in hotel-b (not counted)
        for due in (-1, 5):
            r = review("human", 1, ["safety_term"], "negative")
            s.add(
                QueueItem(
                    review_id=r.id,
                    property_id="hotel-a",
                    state="open",
                    priority=1,
                    created_at=now - timedelta(days=1),
                    due_at=now + timedelta(hours=due),
                )
            )
        s.add(
            Review(
                property_id="hotel-b",
                source="google",
                external_id="b1",
                text="x",
                received_at=now - timedelta(days=1),
                status="auto_handled",
                route="auto",
            )
        )


def test_dashboard_figures(sessions: sessionmaker[Session], world: World) -> None:
    seed(sessions)
    with unit_of_work(sessions) as s:
        admin = authenticate_bearer(s, world.admin_ab)
        d = dashboard(s, admin, "hotel-a", 7)
        d90 = dashboard(s, admin, "hotel-a", 90)
    assert (d.volume, d.auto, d.human) == (9, 3, 6)
    assert d.auto_share == pytest.approx(3 / 9)
    assert d.by_reason == [("negative_sentiment", 4), ("safety_term", 2), ("mixed_signals", 1)]
    assert d.resolved == 4
    assert d.median_resolve_seconds == pytest.approx(2.5 * 3600)
    assert d.p90_resolve_seconds == pytest.approx(percentile([1, 2, 3, 10], 0.9) * 3600)
    assert d.p90_resolve_seconds == pytest.approx(7.9 * 3600)
    assert (d.sla_items, d.sla_breaches) == (6, 2)
    assert (d.verdicts, d.agreements) == (4, 3)
    assert d.agreement == pytest.approx(0.75)
    assert sum(day.auto + day.human for day in d.daily) == 9
    assert len(d.daily) == 8
    assert (d90.volume, d90.auto) == (10, 4)


def test_dashboard_scope_and_period(sessions: sessionmaker[Session], world: World) -> None:
    with unit_of_work(sessions) as s:
        agent_b = authenticate_bearer(s, world.agent_b)
        with pytest.raises(NotFound):
            dashboard(s, agent_b, "hotel-a", 7)
        with pytest.raises(InvalidInput):
            dashboard(s, agent_b, "hotel-b", 12)
        empty = dashboard(s, agent_b, "hotel-b", 30)
    assert empty.volume == 0 and empty.auto_share is None and empty.agreement is None
    assert empty.median_resolve_seconds is None


def test_pulled_back_and_unrouted_reviews_count_like_routed_ones(
    sessions: sessionmaker[Session], world: World
) -> None:
    """The reasons count over every review that reached people (routed to them, pulled
    back after auto-handling, or not routed yet), never over auto-handled ones."""
    now = utcnow()
    with unit_of_work(sessions) as s:
        rows = [
            ("auto", "auto_handled", ["confident_positive", "negative_sentiment"]),
            ("auto", "queued", ["confident_positive", "pulled_back"]),
            (None, "received", ["low_confidence"]),
            ("human", "resolved", ["negative_sentiment"]),
        ]
        for n, (route, status, codes) in enumerate(rows):
            r = Review(
                property_id="hotel-a",
                source="google",
                external_id=f"p{n}",
                text="x",
                received_at=now - timedelta(days=1),
                status=status,
                route=route,
                reasons=[{"code": c, "explanation": c} for c in codes],
            )
            s.add(r)
            s.flush()
            if status == "queued":
                s.add(
                    QueueItem(
                        review_id=r.id,
                        property_id="hotel-a",
                        state="open",
                        priority=2,
                        created_at=now,
                        due_at=now + timedelta(hours=4),
                        origin="pulled_back",
                    )
                )
    with unit_of_work(sessions) as s:
        d = dashboard(s, authenticate_bearer(s, world.admin_ab), "hotel-a", 7)
    assert (d.volume, d.auto, d.human) == (4, 2, 1)
    assert d.by_reason == [
        ("low_confidence", 1),
        ("negative_sentiment", 1),
        ("pulled_back", 1),
    ]
    assert sum(day.auto for day in d.daily) == 2 and sum(day.human for day in d.daily) == 1
