"""The changes feed and webhook endpoints: how hotel systems learn what happened."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api.deps import PrincipalDep, ServicesDep, SessionDep
from api.routes.reviews import _ERRORS
from api.schemas import (
    AttemptRead,
    DeliveryPage,
    DeliveryRead,
    EventPage,
    EventRead,
    EventType,
    WebhookCreate,
    WebhookList,
    WebhookRead,
    WebhookUpdate,
)
from triage.access import permissions
from triage.casework.reviews import MAX_ID
from triage.core.errors import FieldProblem, InvalidInput
from triage.events import outbox
from triage.storage.tables import WebhookEndpoint
from triage.webhooks import deliveries, endpoints
from triage.webhooks.endpoints import EndpointChange

router = APIRouter(prefix="/v1", tags=["events and webhooks"])

Id = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get(
    "/events",
    response_model=EventPage,
    responses=_ERRORS,
    summary="The changes feed: your properties' events after a cursor, in order",
)
def read_events(
    principal: PrincipalDep,
    session: SessionDep,
    after: Annotated[str, Query(max_length=20, pattern=r"^[0-9]+$")] = "0",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    type: Annotated[list[EventType] | None, Query()] = None,
) -> EventPage:
    """Poll with the `next_cursor` of the last answer as `after`. Every event is listed
    once, in publication order; an event committed late is published after the ones
    listed already, never before them, so a poller misses nothing."""
    permissions.read_events(principal)
    cursor = int(after)
    if cursor > MAX_ID:
        raise InvalidInput("invalid cursor", [FieldProblem("after", "range", "a cursor we gave")])
    page = outbox.feed(
        session, sorted(principal.property_ids), after=cursor, limit=limit, types=type or ()
    )
    return EventPage(
        events=[EventRead.model_validate(outbox.envelope(e)) for e in page.events],
        next_cursor=str(page.cursor),
    )


def _webhook(
    session: SessionDep, endpoint: WebhookEndpoint, *, secret: bool = False
) -> WebhookRead:
    return WebhookRead(
        id=endpoint.id,
        property_id=endpoint.property_id,
        url=endpoint.url,
        description=endpoint.description,
        events=list(endpoint.events),
        enabled=endpoint.enabled,
        allow_private=endpoint.allow_private,
        redact_notes=endpoint.redact_notes,
        created_by=endpoint.created_by,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
        deliveries=deliveries.counts(session, [endpoint.id]),
        secret=endpoint.secret if secret else None,
    )


@router.post(
    "/webhooks",
    status_code=201,
    response_model=WebhookRead,
    responses=_ERRORS,
    summary="Register a webhook endpoint for a property (admins); the answer shows its secret",
)
def create_webhook(
    body: WebhookCreate, principal: PrincipalDep, session: SessionDep
) -> WebhookRead:
    endpoint = endpoints.create(
        session,
        principal,
        body.property_id,
        EndpointChange(
            url=body.url,
            events=body.events,
            description=body.description,
            enabled=body.enabled,
            allow_private=body.allow_private,
            redact_notes=body.redact_notes,
        ),
    )
    return _webhook(session, endpoint, secret=True)


@router.get("/webhooks", response_model=WebhookList, responses=_ERRORS, summary="Your webhooks")
def list_webhooks(
    principal: PrincipalDep,
    session: SessionDep,
    property_id: Annotated[str | None, Query(max_length=64)] = None,
) -> WebhookList:
    found = endpoints.list_for(session, principal, property_id)
    return WebhookList(items=[_webhook(session, e) for e in found])


@router.get("/webhooks/{webhook_id}", response_model=WebhookRead, responses=_ERRORS)
def read_webhook(webhook_id: Id, principal: PrincipalDep, session: SessionDep) -> WebhookRead:
    return _webhook(session, endpoints.get(session, principal, webhook_id))


@router.patch(
    "/webhooks/{webhook_id}",
    response_model=WebhookRead,
    responses=_ERRORS,
    summary="Change a webhook's URL, events, description, or whether it is enabled",
)
def update_webhook(
    webhook_id: Id, body: WebhookUpdate, principal: PrincipalDep, session: SessionDep
) -> WebhookRead:
    change = EndpointChange(
        url=body.url,
        events=body.events,
        description=body.description,
        enabled=body.enabled,
        allow_private=body.allow_private,
        redact_notes=body.redact_notes,
    )
    return _webhook(session, endpoints.update(session, principal, webhook_id, change))


@router.post(
    "/webhooks/{webhook_id}/rotate-secret",
    response_model=WebhookRead,
    responses=_ERRORS,
    summary="Give a webhook a new secret (shown in this answer only)",
)
def rotate_secret(webhook_id: Id, principal: PrincipalDep, session: SessionDep) -> WebhookRead:
    return _webhook(session, endpoints.rotate_secret(session, principal, webhook_id), secret=True)


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=204,
    responses=_ERRORS,
    summary="Remove a webhook with its deliveries",
)
def delete_webhook(webhook_id: Id, principal: PrincipalDep, session: SessionDep) -> Response:
    endpoints.delete(session, principal, webhook_id)
    return Response(status_code=204)


def _delivery(view: deliveries.DeliveryView) -> DeliveryRead:
    d = view.delivery
    return DeliveryRead(
        id=d.id,
        endpoint_id=d.endpoint_id,
        event_id=view.event.public_id,
        event_type=view.event.type,
        review_id=d.review_id,
        status=d.status,
        attempts=[AttemptRead.model_validate(a, from_attributes=True) for a in view.attempts],
        next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
        give_up_at=d.give_up_at,
        delivered_at=d.delivered_at,
        last_status_code=d.last_status_code,
        last_error=d.last_error,
        created_at=d.created_at,
    )


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response_model=DeliveryPage,
    responses=_ERRORS,
    summary="A webhook's deliveries, newest first, each with every attempt",
)
def list_deliveries(
    webhook_id: Id,
    principal: PrincipalDep,
    session: SessionDep,
    status: Annotated[str | None, Query(pattern=r"^(pending|sending|delivered|failed)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> DeliveryPage:
    found = deliveries.list_for(
        session, principal, webhook_id, status=status, limit=limit, before=before
    )
    return DeliveryPage(
        items=[_delivery(v) for v in found],
        next_cursor=str(found[-1].delivery.id) if len(found) == limit else None,
    )


@router.post(
    "/webhooks/deliveries/{delivery_id}/resend",
    response_model=DeliveryRead,
    responses=_ERRORS,
    summary="Send a failed (or delivered) delivery again, now, with a fresh retry window",
)
def resend_delivery(
    delivery_id: Id, principal: PrincipalDep, session: SessionDep, svc: ServicesDep
) -> DeliveryRead:
    deliveries.resend(session, principal, delivery_id, deliveries.policy_for(svc.settings))
    return _delivery(deliveries.view_of(session, principal, delivery_id))
