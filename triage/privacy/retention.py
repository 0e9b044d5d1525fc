"""Data protection: retention and erasure of a guest's personal data.

Anonymising a review removes what could identify or quote the guest: the text, the
guest's e-mail, booking reference and room, the free metadata, and the free-text
notes people wrote about it (on its queue item, labels and `review.resolved` events).
Retention may keep the text instead with its personal data replaced
(TRIAGE_RETENTION_TEXT=redact, `triage.privacy.redaction`, staff names too); an erasure
request always removes it.
What stays is what the statistics and the model's history need: property, source,
external id (so a retry of the same review is still recognised and not stored again),
dates, rating, the routing decision with its reasons, the sentiment scores and sentence offsets, and
the labels (label, who, when, the model's prediction).

- `apply_retention`: every review received more than `days` ago (run by the app's
  background loop and by `triage retention run`).
- `erase_guest`: on a guest's request, every review of one property with their
  booking reference or e-mail, whatever its age. The audit log records who asked
  for it and which review ids were anonymised, never the reference or address.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from triage.access import audit, permissions
from triage.access.accounts import Principal
from triage.core.errors import FieldProblem, InvalidInput, NotFound
from triage.events import outbox
from triage.privacy.redaction import NameReader, redact_many
from triage.storage.db import utcnow
from triage.storage.tables import Label, Property, QueueItem, Review

log = logging.getLogger(__name__)

#: Anonymised in one transaction at most; the loop comes back for the rest.
BATCH = 1_000


def anonymise(
    session: Session,
    review_ids: Sequence[int],
    now: datetime | None = None,
    *,
    redact_text: bool = False,
    names: NameReader | None = None,
) -> int:
    """Remove the personal data of these reviews (those not anonymised yet); with
    `redact_text`, keep each text with its personal data replaced (staff names too; names
    also where the name reader `names` reads them)."""
    if not review_ids:
        return 0
    now = now or utcnow()
    ids = list(review_ids)
    if redact_text:
        rows = session.execute(
            select(Review.id, Review.text).where(
                Review.id.in_(ids), Review.anonymised_at.is_(None), Review.text.is_not(None)
            )
        ).all()
        redacted = redact_many([text or "" for _, text in rows], staff=True, reader=names)
        for (review_id, _), kept in zip(rows, redacted, strict=True):
            session.execute(
                update(Review)
                .where(Review.id == review_id)
                .values(text=kept.text)
                .execution_options(synchronize_session=False)
            )
    done = session.execute(
        update(Review)
        .where(Review.id.in_(ids), Review.anonymised_at.is_(None))
        .values(
            **({} if redact_text else {"text": None}),
            guest_email=None,
            booking_reference=None,
            room=None,
            extra=None,
            anonymised_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(QueueItem)
        .where(QueueItem.review_id.in_(ids), QueueItem.note.is_not(None))
        .values(note=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Label)
        .where(Label.review_id.in_(ids), Label.note.is_not(None))
        .values(note=None)
        .execution_options(synchronize_session=False)
    )
    outbox.forget_notes(session, ids)
    return int(done.rowcount or 0)  # type: ignore[attr-defined]


def apply_retention(
    session: Session,
    days: int,
    *,
    limit: int = BATCH,
    redact_text: bool = False,
    names: NameReader | None = None,
) -> int:
    """Anonymise up to `limit` reviews received more than `days` days ago (`redact_text`:
    keep their texts redacted, TRIAGE_RETENTION_TEXT=redact)."""
    if days < 1:
        raise InvalidInput("retention needs at least one day")
    now = utcnow()
    cutoff = now - timedelta(days=days)
    total = 0
    for property_id in list(session.scalars(select(Property.id).order_by(Property.id))):
        if total >= limit:
            break
        ids = list(
            session.scalars(
                select(Review.id)
                .where(
                    Review.property_id == property_id,
                    Review.received_at < cutoff,
                    Review.anonymised_at.is_(None),
                )
                .order_by(Review.id)
                .limit(limit - total)
            )
        )
        count = anonymise(session, ids, now, redact_text=redact_text, names=names)
        if count:
            audit.record(
                session,
                "retention",
                "retention.anonymise",
                property_id=property_id,
                details={
                    "reviews": count,
                    "days": days,
                    "received_before": cutoff.isoformat(),
                    "text": "redacted" if redact_text else "removed",
                },
            )
            log.info("retention anonymised %d reviews of %s", count, property_id)
        total += count
    return total


def erase_guest(
    session: Session,
    actor: Principal | str,
    property_id: str,
    *,
    booking_reference: str | None = None,
    email: str | None = None,
) -> list[int]:
    """Anonymise every review of `property_id` with this booking reference or e-mail.

    `actor` is an admin (API) or a command-line operator (`cli:<user>`). Returns the
    ids anonymised now (an empty list when nothing matched or all were done before).
    """
    permissions.erase_guests(actor)
    if isinstance(actor, Principal) and not actor.can_see(property_id):
        raise NotFound(f"property {property_id!r} not found")
    if session.get(Property, property_id) is None:
        raise NotFound(f"property {property_id!r} not found")
    given = [(n, v) for n, v in (("booking_reference", booking_reference), ("email", email)) if v]
    if len(given) != 1 or not given[0][1].strip():
        raise InvalidInput(
            "name the guest by exactly one of booking reference or e-mail",
            [FieldProblem("booking_reference|email", "one_of", "exactly one of the two")],
        )
    by, value = given[0]
    where = (
        Review.booking_reference == value.strip()
        if by == "booking_reference"
        else func.lower(Review.guest_email) == value.strip().lower()
    )
    ids = list(
        session.scalars(
            select(Review.id)
            .where(Review.property_id == property_id, Review.anonymised_at.is_(None), where)
            .order_by(Review.id)
        )
    )
    anonymise(session, ids)
    audit.record(
        session,
        actor,
        "guest.erase",
        property_id=property_id,
        subject=f"{len(ids)} reviews",
        details={"by": by, "review_ids": ids},
    )
    return ids
