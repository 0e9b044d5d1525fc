"""Migrations: upgrade, downgrade, upgrade again; the models and migrations never drift."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from triage.storage import migrate
from triage.storage.db import Base, make_engine


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    url: str = request.getfixturevalue("postgres_server")
    name = make_url(url).database + "_m"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    names = set(inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    return names


def test_upgrade_downgrade_upgrade(empty_database: str) -> None:
    engine = make_engine(empty_database)
    migrate.upgrade(engine)
    assert tables(empty_database) == set(Base.metadata.tables)
    migrate.downgrade(engine)
    assert tables(empty_database) == set()
    migrate.upgrade(engine)
    migrate.upgrade(engine)  # a second upgrade is a no-op
    assert tables(empty_database) == set(Base.metadata.tables)
    engine.dispose()


def test_models_match_migrations(empty_database: str) -> None:
    engine = make_engine(empty_database)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_endpoints_made_before_0009_keep_their_notes_as_written(empty_database: str) -> None:
    """0009 adds `redact_notes`, off for the endpoints already there; its downgrade drops it."""
    engine = make_engine(empty_database)
    migrate.upgrade(engine, "0008")
    at = "'2026-12-05 09:00:00'"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO properties (id, name, policy, created_at)"
                f" VALUES ('h', 'H', '{{}}', {at})"
            )
        )
        conn.execute(
            text(
                "INSERT INTO webhook_endpoints (property_id, url, events, secret, secret_unseen,"
                " enabled, allow_private, created_by, created_at, updated_at) VALUES ('h',"
                " 'https://pms.example/hook', '[]', 'whsec_x', false, true, false, 'cli',"
                f" {at}, {at})"
            )
        )
    migrate.upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT url, allow_private, redact_notes FROM webhook_endpoints"))
        assert [tuple(r) for r in rows] == [("https://pms.example/hook", False, False)]
    migrate.downgrade(engine, "0008")
    columns = {c["name"] for c in inspect(engine).get_columns("webhook_endpoints")}
    assert "redact_notes" not in columns and "allow_private" in columns
    migrate.upgrade(engine)
    columns = {c["name"] for c in inspect(engine).get_columns("webhook_endpoints")}
    assert "redact_notes" in columns
    engine.dispose()
