"""Everything a person needs beside a review: property, holder, the guest's other reviews."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from triage.access import permissions
from triage.access.accounts import Principal
from triage.casework import escalation, queue
from triage.casework.queue_board import holder_emails, property_names
from triage.casework.reviews import ReviewView, get_review
from triage.storage.tables import Review

MAX_EARLIER = 20


@dataclass(frozen=True, slots=True)
class ReviewContext:
    view: ReviewView
    property_names: dict[str, str]
    #: the same guest's other reviews in the same property (booking reference or e-mail)
    earlier: list[Review]
    holder: str | None
    mine: bool
    escalation_targets: list[str]
    escalated_by: str | None
    pulled_back_by: str | None

    @property
    def open_item(self) -> bool:
        return self.view.item is not None and self.view.item.state == "open"


def _earlier(session: Session, principal: Principal, review: Review) -> list[Review]:
    keys = []
    if review.booking_reference:
        keys.append(Review.booking_reference == review.booking_reference)
    if review.guest_email:
        keys.append(Review.guest_email == review.guest_email)
    if not keys or not principal.can_see(review.property_id):
        return []
    return list(
        session.scalars(
            select(Review)
            .where(Review.property_id == review.property_id, Review.id != review.id, or_(*keys))
            .order_by(Review.received_at.desc(), Review.id.desc())
            .limit(MAX_EARLIER)
        )
    )


def _context(session: Session, principal: Principal, view: ReviewView) -> ReviewContext:
    item = view.item
    people = holder_emails(
        session,
        [
            uid
            for uid in (
                item.claimed_by if item else None,
                item.escalated_by if item else None,
                item.created_by if item else None,
            )
            if uid is not None
        ],
    )
    held = view.status == "claimed" and item is not None and item.claimed_by is not None
    return ReviewContext(
        view=view,
        property_names=property_names(session, principal),
        earlier=_earlier(session, principal, view.review),
        holder=people.get(item.claimed_by or 0) if held and item else None,
        mine=held and item is not None and item.claimed_by == principal.id,
        escalation_targets=escalation.targets(principal, item.property_id) if item else [],
        escalated_by=people.get(item.escalated_by or 0) if item else None,
        pulled_back_by=people.get(item.created_by or 0) if item else None,
    )


def item_context(session: Session, principal: Principal, item_id: int) -> ReviewContext:
    """A queue item's review with its context; NotFound outside the person's properties."""
    return _context(session, principal, queue.get_item(session, principal, item_id))


def review_context(session: Session, principal: Principal, review_id: int) -> ReviewContext:
    """Any review the person may see (e.g. an auto-handled one), with its latest item."""
    permissions.work_the_queue(principal)
    return _context(session, principal, get_review(session, principal, review_id))
