"""Engine, sessions and the column types every table shares."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every engine.

    SQLite has no time zones: values are stored as naive UTC there and come
    back aware. Naive datetimes are refused on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every timestamp must carry a time zone")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _configure_sqlite(engine: Engine, wait_seconds: float = 30.0) -> None:
    """WAL, a busy timeout, foreign keys, and write-ready transactions.

    Every transaction starts with BEGIN IMMEDIATE: it takes SQLite's write lock
    up front, so two transactions never both read and then fail to upgrade
    (the source of "database is locked" errors under concurrency). That also
    makes a claim (read the next item, lease it) atomic across processes.

    Within a process, threads take turns through a lock of their own before BEGIN
    IMMEDIATE, held until the connection goes back to the pool: a waiting thread is woken
    the moment the lock is free. SQLite's busy handler alone polls, sleeping up to 100 ms
    between tries, so under 32 concurrent requests an unlucky one lost the race for
    seconds (p99 2.7 s); other processes still meet the busy handler.
    """
    writer = threading.Lock()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(_READ_ONLY):
            connection.exec_driver_sql("BEGIN")  # a reader: WAL lets it run beside the writer
            return
        if not connection.info.get(_HOLDS_WRITER):
            if not writer.acquire(timeout=wait_seconds):
                raise OperationalError(
                    "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
                )
            connection.info[_HOLDS_WRITER] = True
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None and record.info.pop(_HOLDS_WRITER, False):
            writer.release()


#: Marks a pooled SQLite connection whose thread holds the process's writer lock.
_HOLDS_WRITER = "triage_holds_writer"
#: The execution option of `reading` sessions.
_READ_ONLY = "triage_read_only"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Build an engine for SQLite or PostgreSQL with the settings each needs."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=8,
            max_overflow=16,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


@contextmanager
def statements(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose every statement commits on its own, on PostgreSQL (autocommit): for
    a request's authentication and rate count, so the counter row is locked only while
    PostgreSQL runs the statement, never while Python waits for its turn (32 concurrent
    requests of one key queued on that row). On SQLite, one unit of work."""
    bind = factory.kw["bind"]
    if bind.dialect.name != "postgresql":
        with unit_of_work(factory) as session:
            yield session
        return
    with bind.connect() as connection:
        session = Session(
            bind=connection.execution_options(isolation_level="AUTOCOMMIT"),
            expire_on_commit=False,
            autoflush=False,
        )
        try:
            yield session
        finally:
            session.close()


@contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A transaction that only reads. On SQLite it neither waits for nor holds the write
    lock (a plain BEGIN: WAL gives it a snapshot beside the writer); a write in it fails
    there. On PostgreSQL, a unit of work."""
    bind = factory.kw["bind"]
    if bind.dialect.name != "sqlite":
        with unit_of_work(factory) as session:
            yield session
        return
    with bind.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert raw is not None
        raw.execute("PRAGMA query_only = ON")  # outside SQLAlchemy's transaction handling
        session = Session(
            bind=connection.execution_options(**{_READ_ONLY: True}),
            expire_on_commit=False,
            autoflush=False,
        )
        try:
            yield session
            session.commit()
        finally:
            session.close()
            raw.execute("PRAGMA query_only = OFF")


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
