"""The queue page, taking the next item, and the actions on a queue item."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from review_ui.pages import PREFIX, ActorDep, IdentityDep, UIRoute, render
from service.web import Services, ServicesDep, SessionDep
from triage.access.web_sessions import WebIdentity
from triage.casework import escalation, queue
from triage.casework.queue_board import FACETS, REASON_CODES, queue_board
from triage.casework.review_context import ReviewContext, item_context
from triage.casework.reviews import MAX_ID
from triage.core.errors import QueueEmpty
from triage.decisions import threshold_store, threshold_views
from triage.journeys.journey import DEPARTMENTS
from triage.journeys.review_journey import review_journey
from triage.learning import workspace

router = APIRouter(prefix=PREFIX, route_class=UIRoute, include_in_schema=False)
ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]
Word = Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9_-]*$")]
MESSAGES = (
    "empty",
    "resolved",
    "resolved_empty",
    "released",
    "escalated",
    "pulled_back",
    "labelled",
    "adjudicated",
    "touchpoints",
)
Message = Annotated[Literal[MESSAGES] | None, Query()]  # type: ignore[valid-type]
Department = Annotated[Literal[("", *DEPARTMENTS)] | None, Query()]  # type: ignore[valid-type]
PAGE = 50


def _lease(svc: ServicesDep) -> timedelta:
    return timedelta(seconds=svc.settings.lease_seconds)


@router.get("/queue")
def queue_page(
    request: Request,
    who: IdentityDep,
    session: SessionDep,
    property: Word = None,
    language: Word = None,
    reason: Word = None,
    department: Department = None,
    sentiment: Annotated[Literal["", "negative", "neutral", "positive"] | None, Query()] = None,
    source: Word = None,
    overdue: Annotated[Literal["", "true", "false"] | None, Query()] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    msg: Message = None,
) -> Response:
    chosen = {
        "property_id": property or None,
        "language": language or None,
        "reason": reason or None,
        "department": department or None,
        "sentiment": sentiment or None,
        "source": source or None,
        "overdue": overdue or None,
    }
    f = queue.QueueFilter(
        property_id=chosen["property_id"],
        language=chosen["language"],
        reason=chosen["reason"],
        department=chosen["department"],
        sentiment=chosen["sentiment"],
        source=chosen["source"],
        overdue=None if not overdue else overdue == "true",
    )
    board = queue_board(session, who.principal, f, limit=PAGE, offset=offset)
    query_names = {"property_id": "property"}
    return render(
        request,
        "queue.html",
        identity=who,
        board=board,
        chosen=chosen,
        facets=FACETS,
        query_names=query_names,
        reason_codes=REASON_CODES,
        offset=offset,
        page=PAGE,
        msg=msg,
    )


@router.post("/queue/next")
def take_next(
    session: SessionDep,
    svc: ServicesDep,
    who: ActorDep,
    property: Annotated[str | None, Form(max_length=64)] = None,
) -> Response:
    try:
        view = queue.claim_next(
            session, who.principal, lease=_lease(svc), property_id=property or None
        )
    except QueueEmpty:
        return RedirectResponse(f"{PREFIX}/queue?msg=empty", status_code=303)
    assert view.item is not None
    return RedirectResponse(f"{PREFIX}/items/{view.item.id}", status_code=303)


def render_review(
    request: Request,
    session: Session,
    who: WebIdentity,
    svc: Services,
    ctx: ReviewContext,
    msg: str | None,
) -> Response:
    """The review page (`review.html`) of a queue item or an auto-handled review: the text,
    reasons, labels, journey and the threshold now in force for reviews like it."""
    return render(
        request,
        "review.html",
        identity=who,
        ctx=ctx,
        labels=workspace.review_labels(session, ctx.view.review),
        tp=review_journey(session, ctx.view.review),
        msg=msg,
        threshold=threshold_views.view_for_review(session, ctx.view.review, svc.model.current),
    )


@router.get("/items/{item_id}")
def item_page(
    request: Request,
    item_id: ItemId,
    who: IdentityDep,
    session: SessionDep,
    svc: ServicesDep,
    msg: Message = None,
) -> Response:
    return render_review(
        request, session, who, svc, item_context(session, who.principal, item_id), msg
    )


@router.post("/items/{item_id}/resolve")
def resolve(
    item_id: ItemId,
    session: SessionDep,
    svc: ServicesDep,
    who: ActorDep,
    label: Annotated[str, Form(max_length=16)],
    action: Annotated[str, Form(max_length=32)],
    note: Annotated[str | None, Form(max_length=4000)] = None,
) -> Response:
    """Resolve with the verdict, then open the next item (or the queue when it is empty)."""
    verdict = queue.Verdict(label=label, action=action, note=(note or "").strip() or None)
    view = queue.resolve(session, who.principal, item_id, verdict)
    threshold_store.after_verdict(
        session, view.review.id, svc.model.current, threshold_store.rule_from(svc.settings)
    )
    try:
        view = queue.claim_next(session, who.principal, lease=_lease(svc))
    except QueueEmpty:
        return RedirectResponse(f"{PREFIX}/queue?msg=resolved_empty", status_code=303)
    assert view.item is not None
    return RedirectResponse(f"{PREFIX}/items/{view.item.id}?msg=resolved", status_code=303)


@router.post("/items/{item_id}/release")
def release(item_id: ItemId, session: SessionDep, who: ActorDep) -> Response:
    queue.release(session, who.principal, item_id)
    return RedirectResponse(f"{PREFIX}/queue?msg=released", status_code=303)


@router.post("/items/{item_id}/escalate")
def escalate(
    item_id: ItemId,
    session: SessionDep,
    who: ActorDep,
    target: Annotated[str, Form(max_length=96)],
) -> Response:
    escalation.escalate(session, who.principal, item_id, target)
    return RedirectResponse(f"{PREFIX}/queue?msg=escalated", status_code=303)
