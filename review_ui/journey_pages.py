"""The guest journey for people: sentiment per touchpoint over time, the touchpoints that
send reviews to people, praise per department (kudos), and the trainers' touchpoint
corrections on a review's sentences."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from models.touchpoint_lexicon import TOUCHPOINTS
from review_ui.i18n import translator
from review_ui.pages import PREFIX, ActorDep, IdentityDep, UIRoute, render
from review_ui.queue_pages import Department, Word
from service.web import SessionDep
from triage.casework.queue_board import property_names
from triage.casework.reviews import MAX_ID
from triage.casework.stats import PERIODS
from triage.core.errors import FieldProblem, InvalidInput
from triage.journeys.journey import DEPARTMENTS, label_touchpoints
from triage.journeys.journey_stats import SENTIMENTS, JourneyData, journey, kudos_for

router = APIRouter(prefix=PREFIX, route_class=UIRoute, include_in_schema=False)
ReviewId = Annotated[int, Path(ge=1, le=MAX_ID)]
Days = Annotated[int, Query(ge=1, le=366)]
Touchpoint = Literal[TOUCHPOINTS]  # type: ignore[valid-type]
#: Where the touchpoint form may send the person back to (never another site).
BACK = r"^/ui/(items|reviews)/\d+$"
KUDOS_PAGE = 50


def _period(days: int) -> int:
    if days not in PERIODS:
        raise InvalidInput(
            "invalid period", [FieldProblem("days", "enum", ", ".join(map(str, PERIODS)))]
        )
    return days


def _days(data: JourneyData) -> list[str]:
    """Every day of the period, oldest first, so the small charts share one time axis."""
    first = data.since.date()
    return [(first + timedelta(days=n)).isoformat() for n in range(data.days + 1)]


@router.get("/journey")
def journey_page(
    request: Request,
    who: IdentityDep,
    session: SessionDep,
    property: Word = None,
    days: Days = 30,
) -> Response:
    names = property_names(session, who.principal)
    data = journey(session, who.principal, property or next(iter(names), ""), days=_period(days))
    t = translator(who.locale)
    axis = _days(data)
    trend = []
    peak = 0
    for code in data.totals:
        by_day = {day: (n, u, p) for day, n, u, p in data.trend.get(code, [])}
        rows = [(day, *by_day.get(day, (0, 0, 0))) for day in axis]
        peak = max([peak, *(n + u + p for _, n, u, p in rows)])
        trend.append((code, rows))
    return render(
        request,
        "journey.html",
        identity=who,
        data=data,
        names=names,
        periods=PERIODS,
        trend=trend,
        peak=peak,
        sentiments=SENTIMENTS,
        driver_rows=[(t.touchpoint(code), n) for code, n in data.negative_drivers],
        kudos_rows=[(t(f"dept.{d}"), n) for d, n in data.kudos_by_department.items()],
    )


@router.get("/kudos")
def kudos_page(
    request: Request,
    who: IdentityDep,
    session: SessionDep,
    property: Word = None,
    department: Department = None,
    days: Days = 30,
) -> Response:
    names = property_names(session, who.principal)
    chosen = property or next(iter(names), "")
    data = journey(session, who.principal, chosen, days=_period(days))
    found = kudos_for(
        session,
        who.principal,
        chosen,
        department=department or None,
        days=days,
        limit=KUDOS_PAGE,
    )
    return render(
        request,
        "kudos.html",
        identity=who,
        property_id=chosen,
        names=names,
        periods=PERIODS,
        days=days,
        department=department or "",
        departments=DEPARTMENTS,
        counts=data.kudos_by_department,
        total=sum(c["positive"] for c in data.totals.values()),
        found=found,
    )


@router.post("/reviews/{review_id}/touchpoints")
def correct_touchpoints(
    review_id: ReviewId,
    session: SessionDep,
    who: ActorDep,
    start: Annotated[int, Form(ge=0, le=1_000_000)],
    end: Annotated[int, Form(ge=1, le=1_000_000)],
    back: Annotated[str, Form(max_length=40, pattern=BACK)],
    touchpoints: Annotated[list[Touchpoint] | None, Form(max_length=len(TOUCHPOINTS))] = None,
) -> Response:
    """A trainer's touchpoints for one sentence (the domain checks role and scope, and
    audits it)."""
    label_touchpoints(session, who.principal, review_id, start, end, touchpoints or [])
    return RedirectResponse(f"{back}?msg=touchpoints", status_code=303)
