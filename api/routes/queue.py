"""The human review queue for agents: list, claim, release, resolve."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from api.deps import PrincipalDep, ServicesDep, SessionDep
from api.presenters import review_read
from api.routes.reviews import _ERRORS, LANGUAGE, SOURCE
from api.schemas import ClaimRequest, QueuePage, ReviewRead, VerdictCreate
from triage.casework import queue
from triage.casework.reviews import MAX_ID
from triage.core.errors import QueueEmpty
from triage.decisions import threshold_store

router = APIRouter(prefix="/v1/queue", tags=["queue"])
ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get(
    "", response_model=QueuePage, responses=_ERRORS, summary="Open human items, most urgent first"
)
def list_items(
    principal: PrincipalDep,
    session: SessionDep,
    property_id: Annotated[str | None, Query(max_length=64)] = None,
    language: Annotated[str | None, Query(max_length=16, pattern=LANGUAGE)] = None,
    reason: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_]+$")] = None,
    sentiment: Literal["negative", "neutral", "positive"] | None = None,
    source: Annotated[str | None, Query(max_length=64, pattern=SOURCE)] = None,
    department: Literal[
        "housekeeping", "front_office", "food_and_beverage", "events", "maintenance", "management"
    ]
    | None = None,
    claimed: bool | None = None,
    overdue: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> QueuePage:
    found, total = queue.list_queue(
        session,
        principal,
        queue.QueueFilter(
            property_id, language, reason, sentiment, claimed, overdue, source, department
        ),
        limit=limit,
        offset=offset,
    )
    return QueuePage(items=[review_read(v) for v in found], total=total)


@router.post(
    "/claim",
    response_model=ReviewRead,
    responses={204: {"description": "Nothing to claim"}, **_ERRORS},
    summary="Lease the most urgent free item to the caller",
)
def claim(
    principal: PrincipalDep,
    session: SessionDep,
    svc: ServicesDep,
    body: ClaimRequest | None = None,
) -> ReviewRead | Response:
    lease = timedelta(seconds=svc.settings.lease_seconds)
    timer = svc.metrics.claim_seconds.time()
    with timer:
        try:
            view = queue.claim_next(
                session, principal, lease=lease, property_id=body.property_id if body else None
            )
        except QueueEmpty:
            return Response(status_code=204)
    return review_read(view)


@router.get("/{item_id}", response_model=ReviewRead, responses=_ERRORS)
def read_item(item_id: ItemId, principal: PrincipalDep, session: SessionDep) -> ReviewRead:
    return review_read(queue.get_item(session, principal, item_id))


@router.post("/{item_id}/release", response_model=ReviewRead, responses=_ERRORS)
def release(item_id: ItemId, principal: PrincipalDep, session: SessionDep) -> ReviewRead:
    return review_read(queue.release(session, principal, item_id))


@router.post("/{item_id}/resolve", response_model=ReviewRead, responses=_ERRORS)
def resolve(
    item_id: ItemId,
    body: VerdictCreate,
    principal: PrincipalDep,
    session: SessionDep,
    svc: ServicesDep,
) -> ReviewRead:
    verdict = queue.Verdict(label=body.label, action=body.action, note=body.note)
    view = queue.resolve(session, principal, item_id, verdict)
    threshold_store.after_verdict(
        session, view.review.id, svc.model.current, threshold_store.rule_from(svc.settings)
    )
    return review_read(view)
