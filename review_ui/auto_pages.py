"""Auto-handled reviews: search, open one, pull it back into the queue."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from review_ui.pages import PREFIX, ActorDep, IdentityDep, UIRoute, render
from review_ui.queue_pages import Message, Word, render_review
from service.web import ServicesDep, SessionDep
from triage.casework.review_context import review_context
from triage.casework.reviews import MAX_ID
from triage.casework.spot_checks import AutoFilter, pull_back, search_auto_handled
from triage.decisions import threshold_store

router = APIRouter(prefix=PREFIX, route_class=UIRoute, include_in_schema=False)
ReviewId = Annotated[int, Path(ge=1, le=MAX_ID)]
Day = Annotated[str | None, Query(max_length=10, pattern=r"^(\d{4}-\d{2}-\d{2})?$")]


def _day(value: str | None, *, end: bool = False) -> datetime | None:
    if not value:
        return None
    start = datetime.combine(date.fromisoformat(value), time(0), tzinfo=UTC)
    return start + timedelta(days=1) if end else start


@router.get("/auto")
def auto_page(
    request: Request,
    who: IdentityDep,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    language: Word = None,
    property: Word = None,
    from_: Annotated[Day, Query(alias="from")] = None,
    to: Day = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    f = AutoFilter(
        property_id=property or None,
        text=(q or "").strip() or None,
        language=language or None,
        received_from=_day(from_),
        received_to=_day(to, end=True),
    )
    found = search_auto_handled(session, who.principal, f, page=page)
    params = {
        "q": q or "",
        "language": language or "",
        "property": property or "",
        "from": from_ or "",
        "to": to or "",
    }
    return render(request, "auto.html", identity=who, found=found, params=params)


@router.get("/reviews/{review_id}")
def review_page(
    request: Request,
    review_id: ReviewId,
    who: IdentityDep,
    session: SessionDep,
    svc: ServicesDep,
    msg: Message = None,
) -> Response:
    ctx = review_context(session, who.principal, review_id)
    return render_review(request, session, who, svc, ctx, msg)


@router.post("/reviews/{review_id}/pull-back")
def pull_back_review(
    review_id: ReviewId,
    session: SessionDep,
    svc: ServicesDep,
    who: ActorDep,
    label: Annotated[str, Form(max_length=16)],
) -> Response:
    """A spot-check verdict; a must-see label tightens the learned threshold at once."""
    item = pull_back(session, who.principal, review_id, label)
    threshold_store.after_verdict(
        session, review_id, svc.model.current, threshold_store.rule_from(svc.settings)
    )
    return RedirectResponse(f"{PREFIX}/items/{item.id}?msg=pulled_back", status_code=303)
