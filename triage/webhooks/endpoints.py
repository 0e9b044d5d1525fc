"""Webhook endpoints: registered, changed and removed by admins of the property, every
change audited. The secret is shown once, when it is made (at creation and rotation)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.access import audit, permissions
from triage.access.principals import Principal
from triage.core.errors import FieldProblem, InvalidInput, NotFound
from triage.events.outbox import EVENT_TYPES
from triage.storage.db import utcnow
from triage.storage.tables import Property, WebhookEndpoint
from triage.webhooks import addresses, signing


@dataclass(frozen=True, slots=True)
class EndpointChange:
    """What an admin sets; None leaves a field as it is (on update)."""

    url: str | None = None
    events: Sequence[str] | None = None
    description: str | None = None
    enabled: bool | None = None
    allow_private: bool | None = None
    #: the people's notes in its deliveries are redacted (`deliveries.body_of`)
    redact_notes: bool | None = None


def _check_events(events: Sequence[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown or not events:
        raise InvalidInput(
            "invalid webhook events",
            [
                FieldProblem(
                    "events",
                    "enum",
                    f"one or more of {', '.join(EVENT_TYPES)}"
                    + (f"; unknown: {', '.join(unknown)}" if unknown else ""),
                )
            ],
        )
    return [e for e in EVENT_TYPES if e in set(events)]  # the documented order, no repeats


def _scope(actor: Principal | str, property_id: str) -> None:
    if isinstance(actor, Principal) and not actor.can_see(property_id):
        raise NotFound(f"property {property_id!r} not found")


def create(
    session: Session,
    actor: Principal | str,
    property_id: str,
    change: EndpointChange,
    *,
    show_later: bool = False,
) -> WebhookEndpoint:
    """Register an endpoint; its secret is in the returned row (show it once), or kept for
    the next `secret_to_show` (`show_later`: a page that redirects first)."""
    permissions.manage_webhooks(actor)
    _scope(actor, property_id)
    if session.get(Property, property_id) is None:
        raise NotFound(f"property {property_id!r} not found")
    if change.url is None:
        raise InvalidInput("invalid webhook", [FieldProblem("url", "missing", "required")])
    allow_private = bool(change.allow_private)
    addresses.check_for_saving(change.url, allow_private)
    now = utcnow()
    endpoint = WebhookEndpoint(
        property_id=property_id,
        url=change.url.strip(),
        description=change.description,
        events=_check_events(change.events or list(EVENT_TYPES)),
        secret=signing.new_secret(),
        secret_unseen=show_later,
        enabled=True if change.enabled is None else change.enabled,
        allow_private=allow_private,
        redact_notes=bool(change.redact_notes),
        created_by=audit.actor_name(actor) if isinstance(actor, Principal) else actor,
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    session.flush()
    audit.record(
        session,
        actor,
        "webhook.create",
        property_id=property_id,
        subject=f"webhook:{endpoint.id}",
        details=_described(endpoint),
    )
    return endpoint


def _described(endpoint: WebhookEndpoint) -> dict[str, object]:
    """What the audit log keeps of an endpoint (never its secret)."""
    return {
        "url": endpoint.url,
        "events": list(endpoint.events),
        "enabled": endpoint.enabled,
        "allow_private": endpoint.allow_private,
        "redact_notes": endpoint.redact_notes,
    }


def get(session: Session, actor: Principal | str, endpoint_id: int) -> WebhookEndpoint:
    permissions.manage_webhooks(actor)
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or (
        isinstance(actor, Principal) and not actor.can_see(endpoint.property_id)
    ):
        raise NotFound(f"webhook {endpoint_id} not found")
    return endpoint


def list_for(
    session: Session, actor: Principal | str, property_id: str | None = None
) -> list[WebhookEndpoint]:
    """The endpoints of the actor's properties (an operator's: all), or of one of them."""
    permissions.manage_webhooks(actor)
    query = select(WebhookEndpoint).order_by(WebhookEndpoint.property_id, WebhookEndpoint.id)
    if property_id is not None:
        _scope(actor, property_id)
        query = query.where(WebhookEndpoint.property_id == property_id)
    elif isinstance(actor, Principal):
        query = query.where(WebhookEndpoint.property_id.in_(sorted(actor.property_ids)))
    return list(session.scalars(query))


def update(
    session: Session, actor: Principal | str, endpoint_id: int, change: EndpointChange
) -> WebhookEndpoint:
    endpoint = get(session, actor, endpoint_id)
    allow_private = endpoint.allow_private if change.allow_private is None else change.allow_private
    url = endpoint.url if change.url is None else change.url.strip()
    if change.url is not None or change.allow_private is not None:
        addresses.check_for_saving(url, allow_private)
    endpoint.url = url
    endpoint.allow_private = allow_private
    if change.events is not None:
        endpoint.events = _check_events(change.events)
    if change.description is not None:
        endpoint.description = change.description or None
    if change.enabled is not None:
        endpoint.enabled = change.enabled
    if change.redact_notes is not None:
        endpoint.redact_notes = change.redact_notes
    endpoint.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "webhook.update",
        property_id=endpoint.property_id,
        subject=f"webhook:{endpoint.id}",
        details=_described(endpoint),
    )
    return endpoint


def rotate_secret(
    session: Session, actor: Principal | str, endpoint_id: int, *, show_later: bool = False
) -> WebhookEndpoint:
    """A new secret; deliveries sign with it from now on (show it once, as `create`)."""
    endpoint = get(session, actor, endpoint_id)
    endpoint.secret = signing.new_secret()
    endpoint.secret_unseen = show_later
    endpoint.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "webhook.rotate_secret",
        property_id=endpoint.property_id,
        subject=f"webhook:{endpoint.id}",
    )
    return endpoint


def secret_to_show(session: Session, actor: Principal | str, endpoint_id: int) -> str | None:
    """The secret made with `show_later`, this once (None when it has been shown)."""
    endpoint = get(session, actor, endpoint_id)
    if not endpoint.secret_unseen:
        return None
    endpoint.secret_unseen = False
    session.flush()
    return endpoint.secret


def delete(session: Session, actor: Principal | str, endpoint_id: int) -> None:
    """Remove the endpoint with its deliveries and their attempts."""
    endpoint = get(session, actor, endpoint_id)
    audit.record(
        session,
        actor,
        "webhook.delete",
        property_id=endpoint.property_id,
        subject=f"webhook:{endpoint.id}",
        details=_described(endpoint),
    )
    session.delete(endpoint)
    session.flush()
