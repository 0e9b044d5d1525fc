"""Webhooks, for admins: their properties' endpoints with delivery counts, adding one,
changing, rotating the secret, removing, and an endpoint's deliveries with every attempt
and a re-send. Who may do what and which URL is allowed is the domain's
(`triage.webhooks`); these pages parse forms and show the outcome.

The secret is shown once: on the page the form that made it (adding an endpoint, rotating
its secret) redirects to, and never on a later view of a page (a reload included; the
domain marks it seen, `endpoints.secret_to_show`). A refusal of the domain
(`InvalidInput`: a private address, no event) is shown on the form with what was typed.
The change runs in a savepoint: rolling it back undoes what the domain had set before it
refused (and expires those rows), so the request's unit of work commits nothing of it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from review_ui.pages import PREFIX, ActorDep, IdentityDep, UIRoute, render
from service.web import ServicesDep, SessionDep
from triage.access.web_sessions import WebIdentity
from triage.casework.queue_board import property_names
from triage.casework.reviews import MAX_ID
from triage.core.errors import FieldProblem, InvalidInput
from triage.events.outbox import EVENT_TYPES
from triage.storage.tables import WebhookEndpoint
from triage.webhooks import deliveries, endpoints, signing
from triage.webhooks.endpoints import EndpointChange

router = APIRouter(prefix=PREFIX, route_class=UIRoute, include_in_schema=False)
EndpointId = Annotated[int, Path(ge=1, le=MAX_ID)]
DeliveryId = Annotated[int, Path(ge=1, le=MAX_ID)]
WebhookMessage = Annotated[
    Literal["webhook_saved", "webhook_deleted", "delivery_resent"] | None, Query()
]
StatusFilter = Annotated[str | None, Query(pattern=f"^({'|'.join(deliveries.STATUSES)})?$")]
Before = Annotated[int | None, Query(ge=1, le=MAX_ID)]
PropertyField = Annotated[str, Form(min_length=1, max_length=64)]
UrlField = Annotated[str, Form(min_length=1, max_length=2000)]
EventsField = Annotated[list[str] | None, Form()]
DescriptionField = Annotated[str | None, Form(max_length=200)]
Checkbox = Annotated[Literal["1"] | None, Form()]
#: Deliveries on one page of an endpoint.
PAGE = 50
#: Deliveries an admin may send again (pending and sending ones are on their way).
RESENDABLE = ("delivered", "failed")


@dataclass(frozen=True, slots=True)
class Draft:
    """What an endpoint form shows: the endpoint's fields, or what was typed when the
    domain refused it."""

    property_id: str = ""
    url: str = ""
    events: tuple[str, ...] = tuple(EVENT_TYPES)
    description: str = ""
    enabled: bool = True
    allow_private: bool = False
    redact_notes: bool = False

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> Draft:
        return cls(
            property_id=endpoint.property_id,
            url=endpoint.url,
            events=tuple(endpoint.events),
            description=endpoint.description or "",
            enabled=endpoint.enabled,
            allow_private=endpoint.allow_private,
            redact_notes=endpoint.redact_notes,
        )

    def change(self) -> EndpointChange:
        return EndpointChange(
            url=self.url,
            events=list(self.events),
            description=self.description,
            enabled=self.enabled,
            allow_private=self.allow_private,
            redact_notes=self.redact_notes,
        )


def _draft(
    url: str,
    events: list[str] | None,
    description: str | None,
    enabled: str | None,
    allow_private: str | None,
    redact_notes: str | None,
    property_id: str = "",
) -> Draft:
    return Draft(
        property_id=property_id,
        url=url.strip(),
        events=tuple(events or ()),
        description=(description or "").strip(),
        enabled=enabled == "1",
        allow_private=allow_private == "1",
        redact_notes=redact_notes == "1",
    )


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a form was not saved: the domain's problems by field (its words), or one
    message when it named no field."""

    problems: list[FieldProblem] = field(default_factory=list)
    message: str | None = None

    @classmethod
    def of(cls, error: InvalidInput) -> Refusal:
        return cls(list(error.problems), None if error.problems else error.message)


def _list_page(
    request: Request,
    session: Session,
    who: WebIdentity,
    *,
    draft: Draft | None = None,
    refusal: Refusal | None = None,
    status: int = 200,
    msg: str | None = None,
) -> Response:
    found = endpoints.list_for(session, who.principal)
    counts = deliveries.counts_by_endpoint(session, [e.id for e in found])
    names = property_names(session, who.principal)
    return render(
        request,
        "webhooks.html",
        status=status,
        identity=who,
        rows=[(e, counts[e.id]) for e in found],
        names=names,
        draft=draft or Draft(property_id=next(iter(names), "")),
        refusal=refusal,
        event_types=EVENT_TYPES,
        statuses=deliveries.STATUSES,
        msg=msg,
    )


def _endpoint_page(
    request: Request,
    session: Session,
    who: WebIdentity,
    endpoint_id: int,
    *,
    status_filter: str | None = None,
    before: int | None = None,
    draft: Draft | None = None,
    refusal: Refusal | None = None,
    unconfirmed: bool = False,
    secret: Literal["created", "rotated"] | None = None,
    status: int = 200,
    msg: str | None = None,
) -> Response:
    endpoint = endpoints.get(session, who.principal, endpoint_id)
    found = deliveries.list_for(
        session, who.principal, endpoint_id, status=status_filter, limit=PAGE, before=before
    )
    return render(
        request,
        "webhook.html",
        status=status,
        identity=who,
        endpoint=endpoint,
        property_name=property_names(session, who.principal).get(endpoint.property_id, ""),
        counts=deliveries.counts(session, [endpoint.id]),
        found=found,
        older=found[-1].delivery.id if len(found) == PAGE else None,
        status_filter=status_filter,
        before=before,
        draft=draft or Draft.of(endpoint),
        refusal=refusal,
        unconfirmed=unconfirmed,
        secret=secret,
        signature_header=signing.HEADER,
        tolerance_minutes=signing.TOLERANCE_SECONDS // 60,
        event_types=EVENT_TYPES,
        statuses=deliveries.STATUSES,
        resendable=RESENDABLE,
        msg=msg,
    )


@router.get("/webhooks")
def webhooks_page(
    request: Request, who: IdentityDep, session: SessionDep, msg: WebhookMessage = None
) -> Response:
    return _list_page(request, session, who, msg=msg)


@router.post("/webhooks")
def add_webhook(
    request: Request,
    session: SessionDep,
    who: ActorDep,
    property: PropertyField,
    url: UrlField,
    events: EventsField = None,
    description: DescriptionField = None,
    allow_private: Checkbox = None,
    redact_notes: Checkbox = None,
) -> Response:
    """Register an endpoint and answer with its page, the secret on it this once."""
    draft = _draft(url, events, description, "1", allow_private, redact_notes, property)
    try:
        with session.begin_nested():  # a refusal leaves nothing behind (see the module)
            change = replace(draft.change(), description=draft.description or None)
            endpoint = endpoints.create(session, who.principal, property, change, show_later=True)
    except InvalidInput as error:
        refusal = Refusal.of(error)
        return _list_page(request, session, who, draft=draft, refusal=refusal, status=422)
    return RedirectResponse(f"{PREFIX}/webhooks/{endpoint.id}?made=created", status_code=303)


@router.get("/webhooks/{endpoint_id}")
def webhook_page(
    request: Request,
    endpoint_id: EndpointId,
    who: IdentityDep,
    session: SessionDep,
    status: StatusFilter = None,
    before: Before = None,
    msg: WebhookMessage = None,
    made: Annotated[Literal["created", "rotated"] | None, Query()] = None,
) -> Response:
    """The endpoint; a secret just made (`made`) is shown on the first view only."""
    shown = endpoints.secret_to_show(session, who.principal, endpoint_id)
    return _endpoint_page(
        request,
        session,
        who,
        endpoint_id,
        status_filter=status or None,
        before=before,
        msg=msg,
        secret=(made or "created") if shown is not None else None,
    )


@router.post("/webhooks/{endpoint_id}")
def change_webhook(
    request: Request,
    endpoint_id: EndpointId,
    session: SessionDep,
    who: ActorDep,
    url: UrlField,
    events: EventsField = None,
    description: DescriptionField = None,
    enabled: Checkbox = None,
    allow_private: Checkbox = None,
    redact_notes: Checkbox = None,
) -> Response:
    draft = _draft(url, events, description, enabled, allow_private, redact_notes)
    try:
        with session.begin_nested():  # a refusal leaves nothing behind (see the module)
            endpoints.update(session, who.principal, endpoint_id, draft.change())
    except InvalidInput as error:
        refusal = Refusal.of(error)
        return _endpoint_page(
            request, session, who, endpoint_id, draft=draft, refusal=refusal, status=422
        )
    return RedirectResponse(f"{PREFIX}/webhooks/{endpoint_id}?msg=webhook_saved", status_code=303)


@router.post("/webhooks/{endpoint_id}/rotate-secret")
def rotate_webhook_secret(
    request: Request, endpoint_id: EndpointId, session: SessionDep, who: ActorDep
) -> Response:
    """A new secret, shown on the page this redirects to (and never again)."""
    endpoints.rotate_secret(session, who.principal, endpoint_id, show_later=True)
    return RedirectResponse(f"{PREFIX}/webhooks/{endpoint_id}?made=rotated", status_code=303)


@router.post("/webhooks/{endpoint_id}/delete")
def delete_webhook(
    request: Request,
    endpoint_id: EndpointId,
    session: SessionDep,
    who: ActorDep,
    confirm: Annotated[Literal["yes"] | None, Form()] = None,
) -> Response:
    if confirm != "yes":  # the page (its endpoint read first) asks to tick the box
        return _endpoint_page(request, session, who, endpoint_id, unconfirmed=True, status=422)
    endpoints.delete(session, who.principal, endpoint_id)
    return RedirectResponse(f"{PREFIX}/webhooks?msg=webhook_deleted", status_code=303)


@router.post("/webhooks/deliveries/{delivery_id}/resend")
def resend_delivery(
    delivery_id: DeliveryId, session: SessionDep, svc: ServicesDep, who: ActorDep
) -> Response:
    delivery = deliveries.resend(
        session, who.principal, delivery_id, deliveries.policy_for(svc.settings)
    )
    return RedirectResponse(
        f"{PREFIX}/webhooks/{delivery.endpoint_id}?msg=delivery_resent#delivery-{delivery_id}",
        status_code=303,
    )
