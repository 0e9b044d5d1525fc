"""The dashboard: one property, one period, figures and charts."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.deps import ServicesDep, SessionDep
from review_ui.i18n import translator
from review_ui.queue_pages import Word
from review_ui.web import PREFIX, IdentityDep, UIRoute, render
from triage.journey_stats import kudos_counts, positive_mentions
from triage.queue_board import property_names
from triage.stats import PERIODS, dashboard
from triage.workspace import miss_estimates

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
    )
