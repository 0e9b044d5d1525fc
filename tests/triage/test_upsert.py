"""INSERT ... ON CONFLICT on both engines (`triage.storage.upsert`)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from triage.storage.db import unit_of_work
from triage.storage.tables import RateWindow
from triage.storage.upsert import insert_or_ignore, insert_or_update

START = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


def test_insert_or_update_adds_then_updates_and_returns_the_row(
    sessions: sessionmaker[Session],
) -> None:
    counts = []
    for _ in range(3):
        with unit_of_work(sessions) as s:
            statement = insert_or_update(
                s,
                RateWindow.__table__,
                {"caller": "key:1", "window_start": START, "count": 1},
                index_elements=["caller", "window_start"],
                set_={"count": RateWindow.__table__.c.count + 1},
            ).returning(RateWindow.__table__.c.count)
            counts.append(s.execute(statement).scalar_one())
    assert counts == [1, 2, 3]


def test_insert_or_ignore_keeps_the_first_row(sessions: sessionmaker[Session]) -> None:
    returned = []
    for count in (5, 9):
        with unit_of_work(sessions) as s:
            statement = insert_or_ignore(
                s, RateWindow, {"caller": "key:2", "window_start": START, "count": count}
            ).returning(RateWindow.__table__.c.count)
            returned.append(s.execute(statement).scalar())
    assert returned == [5, None]
    with unit_of_work(sessions) as s:
        rows = s.execute(select(RateWindow.caller, RateWindow.count)).all()
    assert [tuple(r) for r in rows] == [("key:2", 5)]
