"""INSERT ... ON CONFLICT on both engines: PostgreSQL and SQLite spell it the same, but
SQLAlchemy builds it from each dialect's own `insert`. The one place that chooses it.

Both return the statement, so a caller can add `.returning(...)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert


def _insert(session: Session, table: Any, values: Mapping[str, Any]) -> Any:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).values(**values)


def insert_or_ignore(
    session: Session,
    table: Any,
    values: Mapping[str, Any],
    *,
    index_elements: Sequence[str] | None = None,
) -> Insert:
    """Insert the row unless it conflicts (on `index_elements`, or on any unique key)."""
    statement: Insert = _insert(session, table, values).on_conflict_do_nothing(
        index_elements=index_elements
    )
    return statement


def insert_or_update(
    session: Session,
    table: Any,
    values: Mapping[str, Any],
    *,
    index_elements: Sequence[str],
    set_: Mapping[str, Any],
) -> Insert:
    """Insert the row, or on a conflict on `index_elements` update the existing one with
    `set_` (e.g. a counter plus one): one statement, safe across processes."""
    statement: Insert = _insert(session, table, values).on_conflict_do_update(
        index_elements=index_elements, set_=dict(set_)
    )
    return statement
