"""Reading reviews back: one review, or a filtered page, scoped to the caller's properties."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from triage.access.accounts import Principal
from triage.core.errors import FieldProblem, InvalidInput, NotFound
from triage.storage.db import utcnow
from triage.storage.tables import QueueItem, Review

MAX_PAGE = 200
#: Ids are 32-bit integers on PostgreSQL; a larger one can name nothing.
MAX_ID = 2**31 - 1


@dataclass(frozen=True, slots=True)
class ReviewView:
    """A review with its open or last queue item, as callers see it."""

    review: Review
    item: QueueItem | None

    @property
    def status(self) -> str:
        item = self.item
        if item is not None and item.state == "open" and item.claimed_by is not None:
            lease = item.lease_expires_at
            if lease is not None and lease > utcnow():
                return "claimed"
        return self.review.status


@dataclass(frozen=True, slots=True)
class ReviewFilter:
    property_id: str | None = None
    route: str | None = None
    status: str | None = None
    language: str | None = None
    sentiment: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class Page:
    items: list[ReviewView]
    next_cursor: str | None


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"r:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = raw.partition(":")
        if kind != "r":
            raise ValueError(kind)
        last_id = int(value)
        if not 0 < last_id <= MAX_ID:
            raise ValueError(value)
        return last_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(
            "invalid cursor", [FieldProblem("cursor", "format", "pass next_cursor back unchanged")]
        ) from None


def _latest_items(session: Session, review_ids: Sequence[int]) -> dict[int, QueueItem]:
    if not review_ids:
        return {}
    items = session.scalars(
        select(QueueItem).where(QueueItem.review_id.in_(review_ids)).order_by(QueueItem.id)
    )
    return {item.review_id: item for item in items}


def views(session: Session, reviews: Sequence[Review]) -> list[ReviewView]:
    items = _latest_items(session, [r.id for r in reviews])
    return [ReviewView(r, items.get(r.id)) for r in reviews]


def get_review(session: Session, principal: Principal, review_id: int) -> ReviewView:
    review = session.get(Review, review_id)
    if review is None or not principal.can_see(review.property_id):
        raise NotFound(f"review {review_id} not found")
    return views(session, [review])[0]


def _filtered(principal: Principal, f: ReviewFilter) -> Select[Review]:
    if f.property_id is not None and not principal.can_see(f.property_id):
        raise NotFound(f"property {f.property_id!r} not found")
    scope = [f.property_id] if f.property_id else sorted(principal.property_ids)
    query = select(Review).where(Review.property_id.in_(scope))
    conditions = []
    if f.route:
        conditions.append(Review.route == f.route)
    if f.status == "claimed":
        conditions.append(Review.status == "queued")
        claimed = select(QueueItem.review_id).where(
            QueueItem.state == "open",
            QueueItem.claimed_by.is_not(None),
            QueueItem.lease_expires_at > utcnow(),
        )
        conditions.append(Review.id.in_(claimed))
    elif f.status:
        conditions.append(Review.status == f.status)
    if f.language:
        conditions.append(Review.language == f.language)
    if f.sentiment:
        conditions.append(Review.sentiment_label == f.sentiment)
    if f.received_from:
        conditions.append(Review.received_at >= f.received_from)
    if f.received_to:
        conditions.append(Review.received_at < f.received_to)
    return query.where(and_(*conditions)) if conditions else query


def list_reviews(
    session: Session, principal: Principal, f: ReviewFilter, *, limit: int, cursor: str | None
) -> Page:
    """Newest first; `next_cursor` continues where this page ended."""
    limit = max(1, min(limit, MAX_PAGE))
    query = _filtered(principal, f)
    if cursor:
        query = query.where(Review.id < decode_cursor(cursor))
    rows = list(session.scalars(query.order_by(Review.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(views(session, rows), encode_cursor(rows[-1].id) if more and rows else None)


def count_reviews(session: Session, principal: Principal, f: ReviewFilter) -> int:
    subquery = _filtered(principal, f).subquery()
    return int(session.scalar(select(func.count()).select_from(subquery)) or 0)


__all__ = [
    "MAX_ID",
    "Page",
    "ReviewFilter",
    "ReviewView",
    "count_reviews",
    "get_review",
    "list_reviews",
]
