"""Pinned thresholds: an admin fixes a threshold for a property, language and group;
learning goes on beside it (`threshold_store`) but routing uses the pin. Both are audited.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from triage.access import audit, permissions
from triage.access.accounts import Principal
from triage.core.errors import FieldProblem, InvalidInput, NotFound
from triage.decisions.threshold_store import ensure_row
from triage.decisions.thresholds import GROUPS, pct, what
from triage.storage.db import utcnow
from triage.storage.tables import LearnedThreshold, Property


def _require_admin(principal: Principal, property_id: str) -> None:
    permissions.pin_thresholds(principal)
    if not principal.can_see(property_id):
        raise NotFound(f"property {property_id!r} not found")


def _check_key(session: Session, property_id: str, language: str, group: str) -> None:
    problems = []
    if not (2 <= len(language) <= 8 and language.isascii() and language.isalpha()):
        problems.append(FieldProblem("language", "pattern", "a language code such as de or en"))
    if group not in GROUPS:
        problems.append(FieldProblem("group", "enum", f"one of {', '.join(GROUPS)}"))
    if problems:
        raise InvalidInput("invalid threshold", problems)
    if session.get(Property, property_id) is None:
        raise NotFound(f"property {property_id!r} not found")


def pin(
    session: Session,
    principal: Principal,
    property_id: str,
    language: str,
    group: str,
    value: float,
) -> LearnedThreshold:
    """An admin fixes a threshold; learning goes on beside it but routing uses the pin."""
    _require_admin(principal, property_id)
    _check_key(session, property_id, language, group)
    if not 0.0 <= value <= 1.0:
        raise InvalidInput(
            "invalid threshold", [FieldProblem("value", "range", "a number from 0 to 1")]
        )
    row = ensure_row(session, property_id, language, group)
    before = row.pinned_value
    now = utcnow()
    row.pinned_value = value
    row.pinned_by = audit.actor_name(principal)
    row.pinned_at = now
    row.updated_at = now
    row.revision += 1
    session.flush()
    audit.record(
        session,
        principal,
        "threshold.pin",
        property_id=property_id,
        subject=f"{language}/{group}",
        details={
            "language": language,
            "group": group,
            "pinned_before": before,
            "pinned": value,
            "learned": row.value,
            "explanation": f"Pinned at {pct(value)} for {what(property_id, language, group)}"
            f" by {row.pinned_by}.",
        },
    )
    return row


def unpin(
    session: Session, principal: Principal, property_id: str, language: str, group: str
) -> LearnedThreshold:
    """Back to the learned (or the model's) threshold."""
    _require_admin(principal, property_id)
    _check_key(session, property_id, language, group)
    row = session.get(LearnedThreshold, (property_id, language, group), populate_existing=True)
    if row is None or row.pinned_value is None:
        raise NotFound(f"no pinned threshold for {language}/{group} of {property_id!r}")
    before = row.pinned_value
    row.pinned_value = None
    row.pinned_by = None
    row.pinned_at = None
    row.updated_at = utcnow()
    row.revision += 1
    session.flush()
    audit.record(
        session,
        principal,
        "threshold.unpin",
        property_id=property_id,
        subject=f"{language}/{group}",
        details={
            "language": language,
            "group": group,
            "pinned_before": before,
            "learned": row.value,
            "explanation": f"Unpinned {what(property_id, language, group)} (was "
            f"{pct(before)}); the learned or the model's threshold applies again.",
        },
    )
    return row
