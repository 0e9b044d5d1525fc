"""The human review queue: open an item, list, claim with a lease, release, resolve with a
verdict.

A claim is one UPDATE of the next free item, chosen by a subquery. On
PostgreSQL the subquery takes the row with `FOR UPDATE SKIP LOCKED`, so
concurrent claimers pass each other by; on SQLite every transaction begins
IMMEDIATE (see `triage.storage.db`), so claims are serialised. Either way two people
never hold the same item. An item whose lease ran out is free again. Claims
and pages read only the head of the queue, property by property
(`triage.casework.queue_head.in_head`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    and_,
    func,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from models import LABELS
from triage.access import audit, permissions
from triage.access.accounts import Principal
from triage.casework.queue_head import (
    department_matches,
    free,
    in_head,
    open_in,
    reason_matches,
)
from triage.casework.reviews import ReviewView
from triage.core.errors import Conflict, FieldProblem, InvalidInput, NotFound, QueueEmpty
from triage.events import outbox
from triage.storage.db import utcnow
from triage.storage.tables import QueueItem, Review
from triage.verdicts import labels

ACTIONS = ("replied", "compensated", "forwarded", "no_action")
MAX_PAGE = 200
#: How many of the most urgent free items a claim chooses from (see `claim_next`).
CLAIM_CANDIDATES = 16


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


def scope(principal: Principal, property_id: str | None) -> list[str]:
    """The properties a listing covers: the one asked for (404 if not the caller's), or all."""
    if property_id is not None:
        if not principal.can_see(property_id):
            raise NotFound(f"property {property_id!r} not found")
        return [property_id]
    return sorted(principal.property_ids)


def list_queue(
    session: Session, principal: Principal, f: QueueFilter, *, limit: int, offset: int = 0
) -> tuple[list[ReviewView], int]:
    """Open items by priority, then due time; and how many match in all.

    Without a filter on the review, the page is the head of the queue (`in_head`). A
    filter on the review is applied in one join of all matching items instead: read in
    queue order property by property, a selective one would walk most of the queue. The
    total is counted only when the page does not tell it (a page not full ends the queue).
    """
    permissions.work_the_queue(principal)
    now = utcnow()
    properties = scope(principal, f.property_id)
    limit, offset = max(1, min(limit, MAX_PAGE)), max(0, offset)
    conditions, needs_review = filter_conditions(f, now)
    page = select(QueueItem, Review).join(Review, Review.id == QueueItem.review_id)
    if needs_review:
        page = page.where(open_in(properties), *conditions).offset(offset).limit(limit)
    else:
        page = page.where(in_head(session, properties, conditions, limit=limit, offset=offset))
    rows = session.execute(page.order_by(QueueItem.priority, QueueItem.due_at, QueueItem.id)).all()
    if 0 < len(rows) < limit or (not rows and offset == 0):
        total = offset + len(rows)
    else:
        count = select(func.count()).select_from(QueueItem)
        if needs_review:
            count = count.join(Review, Review.id == QueueItem.review_id)
        total = int(session.scalar(count.where(open_in(properties), *conditions)) or 0)
    return [ReviewView(review, item) for item, review in rows], total


def open_items_where(
    principal: Principal, f: QueueFilter, now: datetime
) -> tuple[ColumnElement[bool], bool]:
    """The condition for open items matching `f`, and whether it needs the review joined."""
    conditions, needs_review = filter_conditions(f, now)
    return and_(open_in(scope(principal, f.property_id)), *conditions), needs_review


def filter_conditions(f: QueueFilter, now: datetime) -> tuple[list[ColumnElement[bool]], bool]:
    """`f` apart from its property (the scope), and whether it needs the review joined."""
    conditions: list[ColumnElement[bool]] = []
    if f.claimed is True:
        conditions.append(and_(QueueItem.claimed_by.is_not(None), QueueItem.lease_expires_at > now))
    elif f.claimed is False:
        conditions.append(free(now))
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
    return conditions, needs_review


def claim_next(
    session: Session,
    principal: Principal,
    *,
    lease: timedelta,
    property_id: str | None = None,
) -> ReviewView:
    """Lease the most urgent free item to the caller.

    The claim looks at the `CLAIM_CANDIDATES` most urgent free items (`in_head`) and
    leases the first of them that nobody is claiming at this moment. Only if concurrent
    claimers hold all of them (or there is none) does it look at the whole queue, so the
    queue is never reported empty while it has a free item.
    """
    permissions.work_the_queue(principal)
    now = utcnow()
    properties = scope(principal, property_id)
    head = in_head(session, properties, [free(now)], limit=CLAIM_CANDIDATES)
    claimed_id = _lease_first(session, principal, now, lease, properties, head)
    if claimed_id is None:
        claimed_id = _lease_first(session, principal, now, lease, properties, true())
    if claimed_id is None:
        raise QueueEmpty("no open item to claim")
    view = _view(session, principal, claimed_id)
    assert view.item is not None
    outbox.emit(
        session,
        "review.claimed",
        property_id=view.item.property_id,
        review=view.review,
        at=now,
        data={
            "item_id": claimed_id,
            "agent": agent(principal),
            "lease_expires_at": _iso(now + lease),
        },
    )
    return view


def agent(principal: Principal) -> dict[str, object]:
    """Who did it, as events name a person."""
    return {"id": principal.id, "email": principal.email}


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _lease_first(
    session: Session,
    principal: Principal,
    now: datetime,
    lease: timedelta,
    properties: Sequence[str],
    among: ColumnElement[bool],
) -> int | None:
    """Lease the most urgent free open item of `properties` `among` those named: one
    UPDATE, returning its id, or None.

    On PostgreSQL the item is taken with FOR UPDATE SKIP LOCKED: items other claimers are
    locking are passed by, and the lock re-checks that the item is still open, free and
    in scope, so two claimers never both get it.
    """
    next_free = (
        select(QueueItem.id)
        .where(among, open_in(properties), free(now))
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
    return None if claimed_id is None else int(claimed_id)


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
    permissions.work_the_queue(principal)
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
    permissions.work_the_queue(principal)
    _view(session, principal, item_id)  # 404 before 409
    done = session.execute(
        update(QueueItem)
        .where(
            QueueItem.id == item_id,
            QueueItem.state == "open",
            permissions.items_to_release(principal),
        )
        .values(claimed_by=None, claimed_at=None, lease_expires_at=None)
        .returning(QueueItem.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if done is None:
        raise _refuse(session, principal, item_id)
    return _view(session, principal, item_id)


def resolve(session: Session, principal: Principal, item_id: int, verdict: Verdict) -> ReviewView:
    """Close an item with a verdict; the verdict is stored as a label with its provenance
    (`triage.verdicts.labels.record`), the resolution audited as `queue.resolve`."""
    permissions.work_the_queue(principal)
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
            permissions.items_to_resolve(principal, free(now)),
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
    labels.record(session, principal, review, verdict.label, "queue_verdict", at=now)
    audit.record(
        session,
        principal,
        "queue.resolve",
        property_id=review.property_id,
        subject=f"item:{item_id}",
        details={"label": verdict.label, "action": verdict.action},
    )
    outbox.emit(
        session,
        "review.resolved",
        property_id=review.property_id,
        review=review,
        at=now,
        data={
            "item_id": item_id,
            "label": verdict.label,
            "action": verdict.action,
            "note": verdict.note,
            "agent": agent(principal),
        },
    )
    return _view(session, principal, item_id)


def enqueue(
    session: Session,
    review: Review,
    *,
    priority: int,
    due_at: datetime,
    now: datetime,
    origin: str | None = None,
    created_by: int | None = None,
) -> QueueItem:
    """Open a queue item for a review: the one place queue items are made (by routing, and
    by a person pulling an auto-handled review back, `origin` "pulled_back")."""
    item = QueueItem(
        review_id=review.id,
        property_id=review.property_id,
        state="open",
        priority=priority,
        due_at=due_at,
        created_at=now,
        origin=origin,
        created_by=created_by,
    )
    session.add(item)
    session.flush()
    return item


def queue_depth(session: Session) -> int:
    return int(
        session.scalar(select(func.count()).select_from(QueueItem).where(QueueItem.state == "open"))
        or 0
    )
