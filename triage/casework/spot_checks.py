"""Auto-handled reviews: search them, and pull one back into the human queue.

Pulling back is a spot-check verdict ("this should have gone to a person"): it
opens a queue item (origin `pulled_back`, who pulled it) and stores the label the
person gives as a `spot_check` label with its provenance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from models import LABELS
from triage.access import permissions
from triage.access.accounts import Principal
from triage.casework.queue import enqueue
from triage.core.errors import Conflict, FieldProblem, InvalidInput, NotFound
from triage.decisions.routing import DEFAULT_SLA_HOURS, HIGH
from triage.storage.db import utcnow
from triage.storage.tables import QueueItem, Review
from triage.verdicts import labels

PER_PAGE = 25
MAX_PAGE = 400


@dataclass(frozen=True, slots=True)
class AutoFilter:
    property_id: str | None = None
    text: str | None = None
    language: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class AutoPage:
    reviews: list[Review]
    total: int
    page: int
    pages: int


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _query(principal: Principal, f: AutoFilter) -> Select[Review]:
    if f.property_id is not None and not principal.can_see(f.property_id):
        raise NotFound(f"property {f.property_id!r} not found")
    scope = [f.property_id] if f.property_id else sorted(principal.property_ids)
    query = select(Review).where(Review.property_id.in_(scope), Review.route == "auto")
    if f.text:
        pattern = f"%{_escape_like(f.text.strip())}%"
        query = query.where(Review.text.ilike(pattern, escape="\\"))
    if f.language:
        query = query.where(Review.language == f.language)
    if f.received_from:
        query = query.where(Review.received_at >= f.received_from)
    if f.received_to:
        query = query.where(Review.received_at < f.received_to)
    return query


def search_auto_handled(
    session: Session, principal: Principal, f: AutoFilter, *, page: int = 1
) -> AutoPage:
    """Reviews the system handled alone, newest first, one page of `PER_PAGE`."""
    permissions.work_the_queue(principal)
    query = _query(principal, f)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    pages = max(1, -(-total // PER_PAGE))
    page = max(1, min(page, pages, MAX_PAGE))
    rows = session.scalars(
        query.order_by(Review.received_at.desc(), Review.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    )
    return AutoPage(list(rows), total, page, pages)


def pull_back(session: Session, principal: Principal, review_id: int, label: str) -> QueueItem:
    """Put an auto-handled review in front of a person, with the caller's label."""
    permissions.work_the_queue(principal)
    if label not in LABELS:
        raise InvalidInput(
            "invalid label", [FieldProblem("label", "enum", f"one of {', '.join(LABELS)}")]
        )
    review = session.get(Review, review_id, populate_existing=True)
    if review is None or not principal.can_see(review.property_id):
        raise NotFound(f"review {review_id} not found")
    if review.route != "auto":
        raise Conflict(f"review {review_id} was not handled automatically")
    open_item = session.scalar(
        select(QueueItem.id).where(QueueItem.review_id == review.id, QueueItem.state == "open")
    )
    if open_item is not None:
        raise Conflict(f"review {review_id} is in the queue already")
    now = utcnow()
    item = enqueue(
        session,
        review,
        priority=HIGH,
        due_at=now + timedelta(hours=DEFAULT_SLA_HOURS[HIGH]),
        now=now,
        origin="pulled_back",
        created_by=principal.id,
    )
    review.status = "queued"
    review.reasons = [
        *(review.reasons or []),
        {
            "code": "pulled_back",
            "explanation": "Handled automatically, then pulled back into the queue by a person.",
            "evidence": {"user_id": principal.id, "label": label},
        },
    ]
    labels.record(session, principal, review, label, "spot_check", at=now)
    return item
