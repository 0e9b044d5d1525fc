"""The queue as a board for people: open items, who holds what, and counts per filter value."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from triage.accounts import Principal
from triage.db import utcnow
from triage.journey import DEPARTMENTS
from triage.queue import (
    QueueFilter,
    department_matches,
    list_queue,
    open_items_where,
    reason_matches,
)
from triage.reviews import ReviewView
from triage.tables import Property, QueueItem, Review, User

#: Every reason that sends a review to a person (see triage.routing and triage.spot_checks).
REASON_CODES = (
    "safety_term",
    "negative_sentiment",
    "mixed_signals",
    "low_confidence",
    "neutral_sentiment",
    "unsupported_language",
    "model_unavailable",
    "pulled_back",
)
FACETS = ("property_id", "language", "reason", "department", "sentiment", "source", "overdue")


@dataclass(frozen=True, slots=True)
class BoardRow:
    view: ReviewView
    holder: str | None
    lease_expires_at: datetime | None
    overdue: bool


@dataclass(frozen=True, slots=True)
class Board:
    rows: list[BoardRow]
    total: int
    #: facet -> (value, count of open items with that value, given the other filters)
    facets: dict[str, list[tuple[str, int]]]
    property_names: dict[str, str]
    now: datetime


def property_names(session: Session, principal: Principal) -> dict[str, str]:
    rows = session.execute(
        select(Property.id, Property.name)
        .where(Property.id.in_(sorted(principal.property_ids)))
        .order_by(Property.name)
    )
    return {pid: name for pid, name in rows}


def holder_emails(session: Session, user_ids: Sequence[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.email).where(User.id.in_(sorted(set(user_ids)))))
    return {uid: email for uid, email in rows}


def _grouped(
    session: Session,
    column: InstrumentedAttribute[str] | InstrumentedAttribute[str | None],
    where: ColumnElement[bool],
) -> list[tuple[str, int]]:
    rows = session.execute(
        select(column, func.count())
        .select_from(QueueItem)
        .join(Review, Review.id == QueueItem.review_id)
        .where(where, column.is_not(None))
        .group_by(column)
        .order_by(func.count().desc(), column)
    )
    return [(str(value), int(count)) for value, count in rows]


def facet_counts(
    session: Session, principal: Principal, f: QueueFilter, now: datetime
) -> dict[str, list[tuple[str, int]]]:
    """For each filter, how many open items each value would show (the other filters kept)."""
    out: dict[str, list[tuple[str, int]]] = {}
    columns = {
        "property_id": QueueItem.property_id,
        "language": Review.language,
        "sentiment": Review.sentiment_label,
        "source": Review.source,
    }
    for name, column in columns.items():
        where, _ = open_items_where(principal, replace(f, **{name: None}), now)
        out[name] = _grouped(session, column, where)
    where, _ = open_items_where(principal, replace(f, reason=None), now)
    sums = session.execute(
        select(*[func.sum(case((reason_matches(code), 1), else_=0)) for code in REASON_CODES])
        .select_from(QueueItem)
        .join(Review, Review.id == QueueItem.review_id)
        .where(where)
    ).one()
    out["reason"] = [(code, int(n or 0)) for code, n in zip(REASON_CODES, sums, strict=True) if n]
    out["department"] = _departments(session, principal, f, now)
    where, _ = open_items_where(principal, replace(f, overdue=None), now)
    overdue, total = session.execute(
        select(func.sum(case((QueueItem.due_at < now, 1), else_=0)), func.count())
        .select_from(QueueItem)
        .join(Review, Review.id == QueueItem.review_id)
        .where(where)
    ).one()
    overdue = int(overdue or 0)
    out["overdue"] = [("true", overdue), ("false", int(total) - overdue)]
    return out


def _departments(
    session: Session, principal: Principal, f: QueueFilter, now: datetime
) -> list[tuple[str, int]]:
    """Open items per department (its negative touchpoints, or escalated to it)."""
    where, _ = open_items_where(principal, replace(f, department=None), now)
    sums = session.execute(
        select(*[func.sum(case((department_matches(d), 1), else_=0)) for d in DEPARTMENTS])
        .select_from(QueueItem)
        .join(Review, Review.id == QueueItem.review_id)
        .where(where)
    ).one()
    return [(d, int(n or 0)) for d, n in zip(DEPARTMENTS, sums, strict=True) if n]


def queue_board(
    session: Session, principal: Principal, f: QueueFilter, *, limit: int = 50, offset: int = 0
) -> Board:
    """One page of the open queue with holders, lease ends and filter counts."""
    views, total = list_queue(session, principal, f, limit=limit, offset=offset)
    now = utcnow()
    emails = holder_emails(
        session, [v.item.claimed_by for v in views if v.item and v.item.claimed_by]
    )
    rows = []
    for view in views:
        item = view.item
        assert item is not None
        held = view.status == "claimed" and item.claimed_by is not None
        rows.append(
            BoardRow(
                view=view,
                holder=emails.get(item.claimed_by or 0) if held else None,
                lease_expires_at=item.lease_expires_at if held else None,
                overdue=item.due_at < now,
            )
        )
    return Board(
        rows,
        total,
        facet_counts(session, principal, f, now),
        property_names(session, principal),
        now,
    )
