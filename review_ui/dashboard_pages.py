"""The dashboard: one property, one period, figures and charts."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from review_ui.i18n import translator
from review_ui.pages import PREFIX, ActorDep, IdentityDep, UIRoute, render
from review_ui.queue_pages import Word
from service.web import ServicesDep, SessionDep
from triage.casework.queue_board import property_names
from triage.casework.stats import PERIODS, dashboard
from triage.decisions import threshold_pins, threshold_views
from triage.intake.ingest import backlog
from triage.journeys.journey_stats import kudos_counts, positive_mentions
from triage.learning.workspace import miss_estimates
from triage.webhooks import deliveries

router = APIRouter(prefix=PREFIX, route_class=UIRoute, include_in_schema=False)


@router.get("/dashboard")
def dashboard_page(
    request: Request,
    who: IdentityDep,
    session: SessionDep,
    svc: ServicesDep,
    property: Word = None,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> Response:
    names = property_names(session, who.principal)
    chosen = property or next(iter(names), "")
    board = dashboard(session, who.principal, chosen, days)
    t = translator(who.locale)
    kudos = kudos_counts(session, who.principal, board.property_id, days=board.days)
    s = svc.settings
    (miss,) = miss_estimates(
        session,
        [board.property_id],
        share=s.spot_check_share,
        target=s.miss_rate_target,
        min_checks=s.miss_rate_min_checks,
    )
    return render(
        request,
        "dashboard.html",
        identity=who,
        d=board,
        miss=miss,
        target=s.miss_rate_target,
        names=names,
        periods=PERIODS,
        timedelta=timedelta,
        daily_rows=[(d.day.isoformat(), d.auto, d.human) for d in board.daily],
        reason_rows=[(t(f"reason.{code}"), n) for code, n in board.by_reason],
        kudos=sorted(kudos.items(), key=lambda kv: (-kv[1], kv[0])),
        kudos_total=positive_mentions(session, who.principal, board.property_id, days=board.days),
        thresholds=threshold_views.views_for(
            session, who.principal, svc.model.current, board.property_id
        ),
        confidence=s.threshold_confidence,
        waiting=backlog(session, board.property_id),
        hooks=deliveries.counts_for_property(session, board.property_id),
    )


ThresholdLanguage = Annotated[str, Form(min_length=2, max_length=8, pattern=r"^[a-z]+$")]
ThresholdGroup = Annotated[Literal["default", "top_rating"], Form()]
PropertyField = Annotated[str, Form(min_length=1, max_length=64)]


def _back(property_id: str) -> RedirectResponse:
    return RedirectResponse(
        f"{PREFIX}/dashboard?property={quote(property_id)}#thresholds", status_code=303
    )


@router.post("/thresholds/pin")
def pin_threshold(
    session: SessionDep,
    who: ActorDep,
    property: PropertyField,
    language: ThresholdLanguage,
    group: ThresholdGroup,
    value: Annotated[float, Form(ge=0, le=1)],
) -> Response:
    """An admin pins a threshold (the domain checks the role and the property)."""
    threshold_pins.pin(session, who.principal, property, language, group, value)
    return _back(property)


@router.post("/thresholds/unpin")
def unpin_threshold(
    session: SessionDep,
    who: ActorDep,
    property: PropertyField,
    language: ThresholdLanguage,
    group: ThresholdGroup,
) -> Response:
    threshold_pins.unpin(session, who.principal, property, language, group)
    return _back(property)
