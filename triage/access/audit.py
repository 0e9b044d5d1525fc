"""The audit log: who did what, when. Rows are only ever added.

`actor` names the person (their e-mail), the API key (`key:<prefix>`) or the command
line (`cli:<os user>`). Details never hold a guest's text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from triage.access import permissions
from triage.access.principals import Principal
from triage.storage.db import utcnow
from triage.storage.tables import AuditEvent


def actor_name(principal: Principal) -> str:
    if principal.kind == "user":
        return principal.email or f"user:{principal.id}"
    return f"key:{principal.id}"


def record(
    session: Session,
    actor: Principal | str,
    action: str,
    *,
    property_id: str | None = None,
    subject: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        at=utcnow(),
        actor=actor if isinstance(actor, str) else actor_name(actor),
        user_id=actor.id if isinstance(actor, Principal) and actor.kind == "user" else None,
        action=action,
        property_id=property_id,
        subject=subject,
        details=dict(details) if details else None,
    )
    session.add(event)
    session.flush()
    return event


def recent(
    session: Session, *, limit: int = 100, action: str | None = None, before_id: int | None = None
) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEvent.action == action)
    if before_id:
        query = query.where(AuditEvent.id < before_id)
    return list(session.scalars(query))


def page_for(
    session: Session,
    principal: Principal,
    *,
    limit: int = 100,
    before_id: int | None = None,
    action: str | None = None,
) -> list[AuditEvent]:
    """The newest events an admin may see (their properties' and those of no property),
    newest first, `limit` at a time; page on with the last id as `before_id`."""
    permissions.read_audit_log(principal)
    query = (
        select(AuditEvent)
        .where(
            or_(
                AuditEvent.property_id.is_(None),
                AuditEvent.property_id.in_(sorted(principal.property_ids)),
            )
        )
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    if action:
        query = query.where(AuditEvent.action == action)
    if before_id:
        query = query.where(AuditEvent.id < before_id)
    return list(session.scalars(query))
