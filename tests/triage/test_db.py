"""The storage layer's transactions: on SQLite, writers of one process take turns through
a lock (woken at once, not polling), readers run beside a writer, and an autocommit
session on PostgreSQL commits each statement on its own."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from triage.storage.db import make_engine, make_session_factory, reading, statements, unit_of_work
from triage.storage.tables import Property


def test_sqlite_writers_take_turns_and_the_next_starts_at_once(sqlite_url: str) -> None:
    sessions = make_session_factory(make_engine(sqlite_url))
    holding, order = threading.Event(), []

    def first() -> None:
        with unit_of_work(sessions) as s:
            s.add(Property(id="p1", name="One"))
            s.flush()
            holding.set()
            time.sleep(0.3)
            order.append("first done")

    def second() -> float:
        holding.wait()
        started = time.monotonic()
        with unit_of_work(sessions) as s:
            s.execute(text("SELECT 1"))  # the transaction begins here
            order.append("second in")
            s.add(Property(id="p2", name="Two"))
        return time.monotonic() - started

    waited: list[float] = []
    threads = [
        threading.Thread(target=first),
        threading.Thread(target=lambda: waited.append(second())),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert order == ["first done", "second in"]
    assert 0.2 < waited[0] < 0.3 + 0.08  # woken when the first let go, not at a poll
    with reading(sessions) as s:
        assert s.scalar(select(func.count()).select_from(Property)) == 2


def test_sqlite_readers_run_beside_a_writer_and_cannot_write(sqlite_url: str) -> None:
    sessions = make_session_factory(make_engine(sqlite_url))
    with unit_of_work(sessions) as writer:
        writer.add(Property(id="p1", name="One"))
        writer.flush()
        started = time.monotonic()
        with reading(sessions) as reader:  # the writer has not committed: not seen
            assert reader.scalar(select(func.count()).select_from(Property)) == 0
        assert time.monotonic() - started < 0.1
    with pytest.raises(OperationalError), reading(sessions) as reader:
        reader.add(Property(id="p2", name="Two"))
        reader.flush()


def test_a_second_writer_in_the_same_thread_is_refused_not_hung(
    tmp_path: Path, sqlite_template: Path
) -> None:
    """As SQLite's own lock does after its busy timeout (here the lock's own, shortened)."""
    import shutil

    from triage.storage import db

    path = tmp_path / "t.db"
    shutil.copy(sqlite_template, path)
    engine = db.create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})
    db._configure_sqlite(engine, wait_seconds=0.2)
    sessions = make_session_factory(engine)
    with unit_of_work(sessions) as outer:
        outer.execute(text("SELECT 1"))
        with (
            pytest.raises(OperationalError, match="database is locked"),
            unit_of_work(sessions) as inner,
        ):
            inner.execute(text("SELECT 1"))


def test_statements_commit_one_by_one_on_postgresql(postgres_server: str) -> None:
    from tests.conftest import _truncate

    _truncate(postgres_server)
    sessions: sessionmaker[Session] = make_session_factory(make_engine(postgres_server))
    with pytest.raises(RuntimeError), statements(sessions) as s:
        s.execute(
            text(
                "INSERT INTO properties (id, name, policy, created_at) VALUES "
                "('p1', 'One', '{}', now())"
            )
        )
        raise RuntimeError("after the statement")
    with reading(sessions) as s:  # committed on its own, before the error
        assert s.scalar(select(Property.id)) == "p1"
