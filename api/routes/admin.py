"""Administration over HTTP: the audit log and guests' erasure requests (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import PrincipalDep, SessionDep
from api.routes.reviews import _ERRORS
from api.schemas import AuditEventRead, AuditPage, ErasureCreate, ErasureRead
from triage.access import audit
from triage.casework.reviews import MAX_ID
from triage.privacy import retention

router = APIRouter(prefix="/v1", tags=["administration"])


@router.get(
    "/audit",
    response_model=AuditPage,
    responses=_ERRORS,
    summary="The audit log, newest first (admins; their properties' events and global ones)",
)
def read_audit(
    principal: PrincipalDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    action: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_.]+$")] = None,
) -> AuditPage:
    events = audit.page_for(session, principal, limit=limit, before_id=before_id, action=action)
    return AuditPage(
        items=[AuditEventRead.model_validate(e, from_attributes=True) for e in events],
        next_before_id=events[-1].id if len(events) == limit else None,
    )


@router.post(
    "/erasures",
    response_model=ErasureRead,
    responses=_ERRORS,
    summary="Anonymise a guest's reviews of one property (by booking reference or e-mail)",
)
def erase(body: ErasureCreate, principal: PrincipalDep, session: SessionDep) -> ErasureRead:
    ids = retention.erase_guest(
        session,
        principal,
        body.property_id,
        booking_reference=body.booking_reference,
        email=body.email,
    )
    return ErasureRead(property_id=body.property_id, anonymised_review_ids=ids)
