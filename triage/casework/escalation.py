"""Escalating a queue item: to another property the person can see, or to a department.

The item stays open, its claim is released and it moves one priority step up; the
target is recorded on the item. Escalating to a property moves the item into that
property's queue.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from triage.access import permissions
from triage.access.accounts import Principal
from triage.casework.queue import _refuse, _view, agent
from triage.casework.queue_head import free
from triage.casework.reviews import ReviewView
from triage.core.errors import FieldProblem, InvalidInput
from triage.decisions.routing import URGENT
from triage.events import outbox
from triage.storage.db import utcnow
from triage.storage.tables import QueueItem

DEPARTMENTS = (
    "housekeeping",
    "front_office",
    "food_and_beverage",
    "events",
    "maintenance",
    "management",
)


def targets(principal: Principal, current_property: str) -> list[str]:
    """Where this person may escalate an item of `current_property` to."""
    others = [f"property:{p}" for p in sorted(principal.property_ids) if p != current_property]
    return others + [f"department:{d}" for d in DEPARTMENTS]


def escalate(session: Session, principal: Principal, item_id: int, target: str) -> ReviewView:
    """Record the escalation, release the claim, keep the item open, raise its priority."""
    permissions.work_the_queue(principal)
    current = _view(session, principal, item_id)  # 404 before 409
    assert current.item is not None
    if target not in targets(principal, current.item.property_id):
        raise InvalidInput(
            "invalid escalation target",
            [FieldProblem("target", "enum", "another of your properties, or a department")],
        )
    kind, _, name = target.partition(":")
    now = utcnow()
    held = permissions.items_to_escalate(principal, free(now))
    values: dict[str, object] = {
        "escalated_to": target,
        "escalated_by": principal.id,
        "escalated_at": now,
        "claimed_by": None,
        "claimed_at": None,
        "lease_expires_at": None,
        "priority": max(URGENT, current.item.priority - 1),
    }
    if kind == "property":
        values["property_id"] = name
    done = session.execute(
        update(QueueItem)
        .where(QueueItem.id == item_id, QueueItem.state == "open", held)
        .values(**values)
        .returning(QueueItem.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if done is None:
        raise _refuse(session, principal, item_id)
    view = _view(session, principal, item_id)
    assert view.item is not None
    outbox.emit(
        session,
        "review.escalated",
        property_id=view.review.property_id,
        review=view.review,
        at=now,
        data={
            "item_id": item_id,
            "from_property_id": current.item.property_id,
            "target": target,
            "priority": view.item.priority,
            "agent": agent(principal),
        },
    )
    return view
