"""Which queue items: the conditions that pick them, and the head of the queue.

`in_head` reads the first open items of each property in queue order (priority, due
time, id) from the `ix_queue_items_open` index and merges them, so a page or a claim costs
what the page costs, however long the queue is. The filters on the review (`reason_matches`,
`department_matches`) are plain conditions for a join.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Select,
    String,
    Text,
    and_,
    any_,
    bindparam,
    cast,
    false,
    func,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session

from triage.storage.tables import QueueItem, Review


def free(now: datetime) -> ColumnElement[bool]:
    return or_(QueueItem.claimed_by.is_(None), QueueItem.lease_expires_at <= now)


def open_in(properties: Sequence[str]) -> ColumnElement[bool]:
    return and_(QueueItem.state == "open", QueueItem.property_id.in_(properties))


def in_head(
    session: Session,
    properties: Sequence[str],
    conditions: Sequence[ColumnElement[bool]],
    *,
    limit: int,
    offset: int = 0,
) -> ColumnElement[bool]:
    """The queue item is one of the open items of `properties` that meet `conditions` (on
    the queue item alone), taken in queue order with `offset` and `limit`.

    Each property's items are read in the order of `ix_queue_items_open` (property_id,
    priority, due_at, id), at most `offset + limit` of them, and the reads are merged: the
    same items as ordering every matching one, at a cost that follows the page and the
    number of properties, not the length of the queue. (With `property_id IN (...)` the
    index cannot be read in queue order: every open item of those properties is sorted.)
    PostgreSQL reads the properties in a LATERAL join over an array parameter and looks
    the items up by primary key in the array of their ids (`IN (subquery)` can be planned
    as a hash join over the whole table); SQLite, which has no LATERAL, reads them in a
    UNION ALL of one subquery per property.
    """
    if not properties:
        return false()

    def read() -> Select[int, int, datetime]:
        return (
            select(QueueItem.id, QueueItem.priority, QueueItem.due_at)
            .where(QueueItem.state == "open", *conditions)
            .order_by(QueueItem.priority, QueueItem.due_at, QueueItem.id)
        )

    n = offset + limit
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        scope_ids = (
            func.unnest(bindparam("scope", list(properties), type_=ARRAY(String), unique=True))
            .table_valued("property_id")
            .render_derived(name="scope")
        )
        one = read().where(QueueItem.property_id == scope_ids.c.property_id).limit(n).lateral()
        merged = (
            select(one.c.id, one.c.priority, one.c.due_at)
            .select_from(scope_ids.join(one, true()))
            .subquery("head")
        )
    else:
        # Each read is its own subquery: SQLite refuses ORDER BY/LIMIT inside a UNION.
        branches = [
            select(one.c.id, one.c.priority, one.c.due_at)
            for one in (
                read().where(QueueItem.property_id == property_id).limit(n).subquery()
                for property_id in properties
            )
        ]
        merged = union_all(*branches).subquery("head")
    head = (
        select(merged.c.id)
        .order_by(merged.c.priority, merged.c.due_at, merged.c.id)
        .offset(offset)
        .limit(limit)
    )
    if postgres:
        return QueueItem.id == any_(func.array(head.scalar_subquery()))
    return QueueItem.id.in_(head)


def department_matches(department: str) -> ColumnElement[bool]:
    """Items for a department: its negative touchpoints concern it, or it was escalated to it.

    `departments` is a small JSON list of fixed codes (`triage.journeys.journey.DEPARTMENTS`), so a
    text match on the quoted code is exact."""
    return or_(
        cast(Review.departments, Text).contains(f'"{department}"'),
        QueueItem.escalated_to == f"department:{department}",
    )


def reason_matches(code: str) -> ColumnElement[bool]:
    """Reviews whose reasons include `code`.

    Reasons are a small JSON list; a text match on the code is portable and exact
    enough because codes are quoted identifiers.
    """
    return cast(Review.reasons, Text).contains(f'"{code}"')
