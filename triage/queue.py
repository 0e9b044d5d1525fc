"""The human review queue: list, claim with a lease, release, resolve with a verdict.

A claim is one UPDATE of the next free item, chosen by a subquery. On
PostgreSQL the subquery takes the row with `FOR UPDATE SKIP LOCKED`, so
concurrent claimers pass each other by; on SQLite every transaction begins
IMMEDIATE (see `triage.db`), so claims are serialised. Either way two people
never hold the same item. An item whose lease ran out is free again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Text, and_, cast, func, or_, select, update
from sqlalchemy.orm import Session

from models import LABELS
from triage.accounts import Principal
from triage.db import utcnow
from triage.errors import Conflict, FieldProblem, Forbidden, InvalidInput, NotFound, QueueEmpty
from triage.reviews import ReviewView
from triage.tables import Label, QueueItem, Review

ACTIONS = ("replied", "compensated", "forwarded", "no_action")
PEOPLE = ("agent", "trainer", "admin")


@dataclass(frozen=True, slots=True)
class QueueFilter:
    property_id: str | None = None
    language: str | None = None
    reason: str | None = None
    sentiment: str | None = None
    claimed: bool | None = None
    overdue: bool | None = None
    source: str | None = None
    department: str | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    label: str
    action: str
    note: str | None = None


def _require_person(principal: Principal) -> None:
    if principal.role not in PEOPLE:
        raise Forbidden("the review queue is for people: use a personal token")


def scope(principal: Principal, property_id: str | None) -> list[str]:
    """The properties a listing covers: the one asked for (404 if not the caller's), or all."""
    if property_id is not None:
        if not principal.can_see(property_id):
            raise NotFound(f"property {property_id!r} not found")
        return [property_id]
    return sorted(principal.property_ids)


def _free(now: datetime) -> ColumnElement[bool]:
    return or_(QueueItem.claimed_by.is_(None), QueueItem.lease_expires_at <= now)


def list_queue(
    session: Session, principal: Principal, f: QueueFilter, *, limit: int, offset: int = 0
) -> tuple[list[ReviewView], int]:
    """Open items by priority, then due time; and how many match in all."""
    _require_person(principal)
    where, needs_review = open_items_where(principal, f, utcnow())
    query = select(QueueItem, Review).join(Review, Review.id == QueueItem.review_id)
    count_query = select(func.count()).select_from(QueueItem)
    if needs_review:
        count_query = count_query.join(Review, Review.id == QueueItem.review_id)
    total = int(session.scalar(count_query.where(where)) or 0)
    rows = session.execute(
        query.where(where)
        .order_by(QueueItem.priority, QueueItem.due_at, QueueItem.id)
        .limit(max(1, min(limit, 200)))
        .offset(max(0, offset))
    ).all()
    return [ReviewView(review, item) for item, review in rows], total


def open_items_where(
    principal: Principal, f: QueueFilter, now: datetime
) -> tuple[ColumnElement[bool], bool]:
    """The condition for open items matching `f`, and whether it needs the review joined."""
    conditions = [
        QueueItem.state == "open",
        QueueItem.property_id.in_(scope(principal, f.property_id)),
    ]
    if f.claimed is True:
        conditions.append(and_(QueueItem.claimed_by.is_not(None), QueueItem.lease_expires_at > now))
    elif f.claimed is False:
        conditions.append(_free(now))
    if f.overdue is True:
        conditions.append(QueueItem.due_at < now)
    elif f.overdue is False:
        conditions.append(QueueItem.due_at >= now)
    needs_review = any((f.language, f.reason, f.sentiment, f.source, f.department))
    if f.language:
        conditions.append(Review.language == f.language)
    if f.sentiment:
        conditions.append(Review.sentiment_label == f.sentiment)
    if f.source:
        conditions.append(Review.source == f.source)
    if f.reason:
        conditions.append(reason_matches(f.reason))
    if f.department:
        conditions.append(department_matches(f.department))
    return and_(*conditions), needs_review


def department_matches(department: str) -> ColumnElement[bool]:
    """Items for a department: its negative touchpoints concern it, or it was escalated to it.

    `departments` is a small JSON list of fixed codes (`triage.journey.DEPARTMENTS`), so a
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


def claim_next(
    session: Session,
    principal: Principal,
    *,
    lease: timedelta,
    property_id: str | None = None,
) -> ReviewView:
    """Lease the most urgent free item to the caller."""
    _require_person(principal)
    now = utcnow()
    next_free = (
        select(QueueItem.id)
        .where(
            QueueItem.state == "open",
            QueueItem.property_id.in_(scope(principal, property_id)),
            _free(now),
        )
        .order_by(QueueItem.priority, QueueItem.due_at, QueueItem.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    claimed_id = session.execute(
        update(QueueItem)
        .where(QueueItem.id == next_free)
        .values(claimed_by=principal.id, claimed_at=now, lease_expires_at=now + lease)
        .returning(QueueItem.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if claimed_id is None:
        raise QueueEmpty("no open item to claim")
    return _view(session, principal, int(claimed_id))


def _view(session: Session, principal: Principal, item_id: int) -> ReviewView:
    row = session.execute(
        select(QueueItem, Review)
        .join(Review, Review.id == QueueItem.review_id)
        .where(QueueItem.id == item_id)
        .execution_options(populate_existing=True)
    ).first()
    if row is None or not principal.can_see(row[0].property_id):
        raise NotFound(f"queue item {item_id} not found")
    return ReviewView(row[1], row[0])


def get_item(session: Session, principal: Principal, item_id: int) -> ReviewView:
    _require_person(principal)
    return _view(session, principal, item_id)


def _refuse(session: Session, principal: Principal, item_id: int) -> Conflict:
    view = _view(session, principal, item_id)
    item = view.item
    assert item is not None
    if item.state == "resolved":
        return Conflict(f"queue item {item_id} is resolved already")
    if item.claimed_by is None:
        return Conflict(f"queue item {item_id} is not claimed")
    return Conflict(f"queue item {item_id} is held by someone else")


def release(session: Session, principal: Principal, item_id: int) -> ReviewView:
    """Give an item back to the queue. Only its holder (or an admin) can."""
    _require_person(principal)
    _view(session, principal, item_id)  # 404 before 409
    held = (
        QueueItem.claimed_by.is_not(None)
        if principal.role == "admin"
        else QueueItem.claimed_by == principal.id
    )
    done = session.execute(
        update(QueueItem)
        .where(QueueItem.id == item_id, QueueItem.state == "open", held)
        .values(claimed_by=None, claimed_at=None, lease_expires_at=None)
        .returning(QueueItem.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if done is None:
        raise _refuse(session, principal, item_id)
    return _view(session, principal, item_id)


def resolve(session: Session, principal: Principal, item_id: int, verdict: Verdict) -> ReviewView:
    """Close an item with a verdict; the verdict is stored as a label with its provenance."""
    _require_person(principal)
    problems = []
    if verdict.label not in LABELS:
        problems.append(FieldProblem("label", "enum", f"one of {', '.join(LABELS)}"))
    if verdict.action not in ACTIONS:
        problems.append(FieldProblem("action", "enum", f"one of {', '.join(ACTIONS)}"))
    if problems:
        raise InvalidInput("invalid verdict", problems)
    _view(session, principal, item_id)  # 404 before 409
    now = utcnow()
    done = session.execute(
        update(QueueItem)
        .where(
            QueueItem.id == item_id,
            QueueItem.state == "open",
            or_(QueueItem.claimed_by == principal.id, _free(now)),
        )
        .values(
            state="resolved",
            resolved_by=principal.id,
            resolved_at=now,
            action=verdict.action,
            note=verdict.note,
            lease_expires_at=None,
        )
        .returning(QueueItem.review_id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if done is None:
        raise _refuse(session, principal, item_id)
    review = session.get(Review, int(done), populate_existing=True)
    assert review is not None
    review.status = "resolved"
    session.add(
        Label(
            review_id=review.id,
            label=verdict.label,
            kind="queue_verdict",
            user_id=principal.id,
            role=principal.role,
            created_at=now,
            model_version=review.model_version,
            predicted_label=review.sentiment_label,
            predicted_probabilities=review.sentiment_probabilities,
        )
    )
    session.flush()
    return _view(session, principal, item_id)


def queue_depth(session: Session) -> int:
    return int(
        session.scalar(select(func.count()).select_from(QueueItem).where(QueueItem.state == "open"))
        or 0
    )
