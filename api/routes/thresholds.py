"""Auto-handling thresholds over HTTP (admins): what is in force and why; pin and unpin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import PrincipalDep, ServicesDep, SessionDep
from api.routes.reviews import _ERRORS
from api.schemas import ThresholdKey, ThresholdList, ThresholdPinCreate, ThresholdRead
from triage.decisions import threshold_pins, threshold_views

router = APIRouter(prefix="/v1/thresholds", tags=["administration"])


def _listing(svc: ServicesDep, views: list[threshold_views.ThresholdView]) -> ThresholdList:
    return ThresholdList(
        items=[ThresholdRead.model_validate(v, from_attributes=True) for v in views],
        target=svc.settings.miss_rate_target,
        confidence=svc.settings.threshold_confidence,
    )


@router.get(
    "",
    response_model=ThresholdList,
    responses=_ERRORS,
    summary="Auto-handling thresholds per property, language and group (admins)",
)
def read_thresholds(
    principal: PrincipalDep,
    session: SessionDep,
    svc: ServicesDep,
    property_id: Annotated[str | None, Query(max_length=64)] = None,
) -> ThresholdList:
    views = threshold_views.views_for(
        session, principal, svc.model.current, property_id, admins_only=True
    )
    return _listing(svc, views)


@router.post(
    "/pin",
    response_model=ThresholdList,
    responses=_ERRORS,
    summary="Pin a threshold (admins); learning goes on beside it, routing uses the pin",
)
def pin_threshold(
    body: ThresholdPinCreate, principal: PrincipalDep, session: SessionDep, svc: ServicesDep
) -> ThresholdList:
    threshold_pins.pin(session, principal, body.property_id, body.language, body.group, body.value)
    views = threshold_views.views_for(session, principal, svc.model.current, body.property_id)
    return _listing(svc, views)


@router.post(
    "/unpin",
    response_model=ThresholdList,
    responses=_ERRORS,
    summary="Unpin a threshold (admins): the learned or the model's threshold applies again",
)
def unpin_threshold(
    body: ThresholdKey, principal: PrincipalDep, session: SessionDep, svc: ServicesDep
) -> ThresholdList:
    threshold_pins.unpin(session, principal, body.property_id, body.language, body.group)
    views = threshold_views.views_for(session, principal, svc.model.current, body.property_id)
    return _listing(svc, views)
