"""Ingest and read reviews: the API hotel systems use."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import select

from api.deps import PrincipalDep, ServicesDep, SessionDep
from api.errors import domain_problem, problem, validation_errors
from api.presenters import review_read
from api.schemas import (
    BatchCreate,
    BatchItemResult,
    BatchResult,
    ProblemRead,
    ReviewAccepted,
    ReviewCreate,
    ReviewPage,
    ReviewRead,
    UtcDatetime,
    to_new_review,
)
from triage.access import permissions
from triage.casework.reviews import MAX_ID, ReviewFilter, get_review, list_reviews, views
from triage.core.errors import FieldProblem, InvalidInput
from triage.intake.ingest import Accepted, NewReview
from triage.storage.db import unit_of_work
from triage.storage.tables import Review

router = APIRouter(prefix="/v1/reviews", tags=["reviews"])
#: Query filters are compared in the database, which refuses odd text (NUL) with an error.
LANGUAGE = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$"
SOURCE = r"^[a-z0-9][a-z0-9_.-]*$"

_ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ProblemRead, "content": {"application/problem+json": {}}}
    for code in (400, 401, 403, 404, 413, 422, 429)
}


PreferHeader = Annotated[
    str | None,
    Header(
        max_length=200,
        description="`respond-async`: store the review, answer 202 at once and route it in "
        "the background (its URL, webhooks and GET /v1/events tell the outcome)",
    ),
]


def wants_async(prefer: str | None) -> bool:
    """Whether the Prefer header (RFC 7240) asks for `respond-async`."""
    if not prefer:
        return False
    tokens = (p.split(";")[0].split("=")[0].strip().lower() for p in prefer.split(","))
    return "respond-async" in tokens


def _accepted(svc: ServicesDep, results: list[Accepted]) -> dict[int, ReviewAccepted]:
    """What an asynchronous ingest answers: a new review is `received`; a known one has the
    status it has now (it may be routed already)."""
    known = [r.review_id for r in results if not r.created]
    status: dict[int, str] = {}
    if known:
        with unit_of_work(svc.sessions) as s:
            rows = s.execute(select(Review.id, Review.status).where(Review.id.in_(known)))
            status = {review_id: state for review_id, state in rows}
    return {
        r.review_id: ReviewAccepted.model_validate(
            {
                "id": r.review_id,
                "url": f"/v1/reviews/{r.review_id}",
                "status": status.get(r.review_id, "received"),
                "created": r.created,
            }
        )
        for r in results
    }


def _read(svc: ServicesDep, ids: list[int]) -> dict[int, ReviewRead]:
    with unit_of_work(svc.sessions) as s:
        rows = list(s.scalars(select(Review).where(Review.id.in_(ids)))) if ids else []
        return {v.review.id: review_read(v) for v in views(s, rows)}


@router.post(
    "",
    status_code=201,
    response_model=ReviewRead | ReviewAccepted,
    responses={
        200: {"model": ReviewRead, "description": "Known already: nothing created"},
        202: {
            "model": ReviewAccepted,
            "description": "With Prefer: respond-async: stored, to be routed in the background",
        },
        **_ERRORS,
    },
    summary="Ingest one review; idempotent on (property_id, source, external_id)",
)
def create_review(
    body: ReviewCreate,
    principal: PrincipalDep,
    svc: ServicesDep,
    response: Response,
    prefer: PreferHeader = None,
) -> ReviewRead | ReviewAccepted:
    permissions.ingest_reviews(principal)
    asynchronous = wants_async(prefer)
    (result,) = svc.ingestor.ingest(principal, [to_new_review(body)], wait=not asynchronous)
    if not isinstance(result, Accepted):
        raise result.error
    response.headers["Location"] = f"/v1/reviews/{result.review_id}"
    if asynchronous:
        accepted = _accepted(svc, [result])[result.review_id]
        # Answered as it is: the hot path of a spike skips validating the answer again.
        return JSONResponse(  # type: ignore[return-value]
            accepted.model_dump(),
            status_code=202 if accepted.status == "received" else 200,
            headers={**response.headers, "Preference-Applied": "respond-async"},
        )
    if not result.created:
        response.status_code = 200
    return _read(svc, [result.review_id])[result.review_id]


@router.post(
    "/batch",
    response_model=BatchResult,
    responses={
        202: {
            "model": BatchResult,
            "description": "With Prefer: respond-async: stored, routed in the background",
        },
        **_ERRORS,
    },
    summary="Ingest up to TRIAGE_MAX_BATCH reviews, with a result per item",
)
def create_reviews(
    body: BatchCreate,
    principal: PrincipalDep,
    svc: ServicesDep,
    response: Response,
    prefer: PreferHeader = None,
) -> BatchResult:
    permissions.ingest_reviews(principal)
    asynchronous = wants_async(prefer)
    if len(body.reviews) > svc.settings.max_batch:
        raise InvalidInput(
            "batch too large",
            [
                FieldProblem(
                    "reviews", "max_length", f"at most {svc.settings.max_batch} reviews per batch"
                )
            ],
        )
    results: list[BatchItemResult] = []
    valid: list[tuple[int, NewReview]] = []
    for index, raw in enumerate(body.reviews):
        try:
            valid.append((index, to_new_review(ReviewCreate.model_validate(raw))))
        except ValidationError as error:
            errors = validation_errors(list(error.errors()))
            results.append(
                BatchItemResult(
                    index=index,
                    status=422,
                    error=ProblemRead(**problem(422, "validation", "invalid review", errors)),
                )
            )
    outcomes = svc.ingestor.ingest(principal, [new for _, new in valid], wait=not asynchronous)
    stored = [o for o in outcomes if isinstance(o, Accepted)]
    read = {} if asynchronous else _read(svc, [o.review_id for o in stored])
    accepted = _accepted(svc, stored) if asynchronous else {}
    for (index, _), outcome in zip(valid, outcomes, strict=True):
        if isinstance(outcome, Accepted) and asynchronous:
            results.append(
                BatchItemResult(
                    index=index,
                    status=202 if outcome.created else 200,
                    accepted=accepted[outcome.review_id],
                )
            )
        elif isinstance(outcome, Accepted):
            results.append(
                BatchItemResult(
                    index=index,
                    status=201 if outcome.created else 200,
                    review=read[outcome.review_id],
                )
            )
        else:
            status, body_problem = domain_problem(outcome.error)
            results.append(
                BatchItemResult(index=index, status=status, error=ProblemRead(**body_problem))
            )
    results.sort(key=lambda r: r.index)
    if asynchronous:
        response.headers["Preference-Applied"] = "respond-async"
        response.status_code = 202
    return BatchResult(
        created=sum(r.status in (201, 202) for r in results),
        existing=sum(r.status == 200 for r in results),
        failed=sum(r.status >= 400 for r in results),
        results=results,
        status="received" if asynchronous else "routed",
    )


@router.get("/{review_id}", response_model=ReviewRead, responses=_ERRORS)
def read_review(
    review_id: Annotated[int, Path(ge=1, le=MAX_ID)], principal: PrincipalDep, session: SessionDep
) -> ReviewRead:
    return review_read(get_review(session, principal, review_id))


@router.get("", response_model=ReviewPage, responses=_ERRORS, summary="Reviews, newest first")
def read_reviews(
    principal: PrincipalDep,
    session: SessionDep,
    property_id: Annotated[str | None, Query(max_length=64)] = None,
    route: Literal["auto", "human"] | None = None,
    status: Literal["received", "auto_handled", "queued", "claimed", "resolved"] | None = None,
    language: Annotated[str | None, Query(max_length=16, pattern=LANGUAGE)] = None,
    sentiment: Literal["negative", "neutral", "positive"] | None = None,
    received_from: UtcDatetime | None = None,
    received_to: UtcDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> ReviewPage:
    page = list_reviews(
        session,
        principal,
        ReviewFilter(property_id, route, status, language, sentiment, received_from, received_to),
        limit=limit,
        cursor=cursor,
    )
    return ReviewPage(items=[review_read(v) for v in page.items], next_cursor=page.next_cursor)
