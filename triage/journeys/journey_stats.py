"""Journey data for a property and period: sentiment per touchpoint over time, the
touchpoints that drive negative routing, and the praise each department earned.

Counts come from `touchpoint_days` (mentions per property, day, touchpoint, sentiment
and route, kept up to date at routing), so a 90-day view reads at most a few thousand
rows however many reviews came in; kudos passages are read from the newest positive
`review_touchpoints` rows and their reviews' scored sentences, a page at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.touchpoint_lexicon import TOUCHPOINTS
from triage.access.accounts import Principal
from triage.core.errors import FieldProblem, InvalidInput, NotFound
from triage.journeys.journey import (
    DEPARTMENTS,
    Kudos,
    TouchpointSummary,
    department_map,
    kudos,
)
from triage.storage.db import utcnow
from triage.storage.tables import Property, Review, ReviewTouchpoint, TouchpointDay
from triage.storage.upsert import insert_or_update

SENTIMENTS = ("negative", "neutral", "positive")


def record_touchpoints(
    session: Session, review: Review, summaries: Sequence[TouchpointSummary], route: str
) -> None:
    """At routing: one `review_touchpoints` row per touchpoint of the review, and one more
    mention in the journey's daily counts (`touchpoint_days`) for each."""
    for summary in summaries:
        session.add(
            ReviewTouchpoint(
                review_id=review.id,
                property_id=review.property_id,
                touchpoint=summary.touchpoint,
                sentiment=summary.sentiment,
                received_at=review.received_at,
                route=route,
            )
        )
        _count_day(session, review, summary, route)


def _count_day(session: Session, review: Review, summary: TouchpointSummary, route: str) -> None:
    """One more mention in the journey's daily counts (an upsert: safe across processes)."""
    key = {
        "property_id": review.property_id,
        "day": review.received_at.astimezone(UTC).date(),
        "touchpoint": summary.touchpoint,
        "sentiment": summary.sentiment,
        "route": route,
    }
    session.execute(
        insert_or_update(
            session,
            TouchpointDay,
            {**key, "count": 1},
            index_elements=list(key),
            set_={"count": TouchpointDay.count + 1},
        )
    )


def _property(session: Session, principal: Principal, property_id: str) -> Property:
    found = session.get(Property, property_id)
    if found is None or not principal.can_see(property_id):
        raise NotFound(f"property {property_id!r} not found")
    return found


@dataclass
class JourneyData:
    property_id: str
    since: datetime
    days: int
    #: touchpoint -> sentiment -> count over the period
    totals: dict[str, dict[str, int]] = field(default_factory=dict)
    #: touchpoint -> [(day "YYYY-MM-DD", negative, neutral, positive)]
    trend: dict[str, list[tuple[str, int, int, int]]] = field(default_factory=dict)
    #: touchpoints of reviews routed to people with a negative sentiment there, most first
    negative_drivers: list[tuple[str, int]] = field(default_factory=list)
    #: department -> positive touchpoint mentions in the period
    kudos_by_department: dict[str, int] = field(default_factory=dict)

    def share_negative(self, touchpoint: str) -> float | None:
        counts = self.totals.get(touchpoint, {})
        total = sum(counts.values())
        return counts.get("negative", 0) / total if total else None


PERIODS = (7, 30, 90)  # what the pages offer; any 1-366 days is accepted


def _check_period(days: int) -> None:
    if not 1 <= days <= 366:
        raise InvalidInput("invalid period", [FieldProblem("days", "range", "from 1 to 366 days")])


def _since(days: int, now: datetime | None) -> tuple[datetime, date]:
    since = (now or utcnow()) - timedelta(days=days)
    return since, since.astimezone(UTC).date()


def journey(
    session: Session,
    principal: Principal,
    property_id: str,
    *,
    days: int = 30,
    now: datetime | None = None,
) -> JourneyData:
    """The property's journey over the period, from the daily counts (whole days, UTC)."""
    _check_period(days)
    prop = _property(session, principal, property_id)
    since, first_day = _since(days, now)
    data = JourneyData(property_id, since, days)
    rows = session.execute(
        select(
            TouchpointDay.day,
            TouchpointDay.touchpoint,
            TouchpointDay.sentiment,
            TouchpointDay.route,
            TouchpointDay.count,
        ).where(TouchpointDay.property_id == property_id, TouchpointDay.day >= first_day)
    )
    per_day: dict[tuple[str, str], dict[str, int]] = {}
    drivers: dict[str, int] = {}
    for day, code, sentiment, route, count in rows:
        data.totals.setdefault(code, dict.fromkeys(SENTIMENTS, 0))[sentiment] += count
        per_day.setdefault((code, day.isoformat()), dict.fromkeys(SENTIMENTS, 0))[sentiment] += (
            count
        )
        if route == "human" and sentiment == "negative":
            drivers[code] = drivers.get(code, 0) + count
    for (code, bucket), counts in sorted(per_day.items(), key=lambda kv: kv[0][1]):
        data.trend.setdefault(code, []).append(
            (bucket, counts["negative"], counts["neutral"], counts["positive"])
        )
    data.totals = {code: data.totals[code] for code in TOUCHPOINTS if code in data.totals}
    data.negative_drivers = sorted(drivers.items(), key=lambda kv: (-kv[1], kv[0]))
    data.kudos_by_department = _by_department(
        {code: counts["positive"] for code, counts in data.totals.items()}, prop
    )
    return data


def _by_department(positive: dict[str, int], prop: Property) -> dict[str, int]:
    mapping = department_map(prop.policy)
    counts = dict.fromkeys(DEPARTMENTS, 0)
    for code, n in positive.items():
        for department in mapping.get(code, ()):
            counts[department] += n
    return counts


def kudos_counts(
    session: Session,
    principal: Principal,
    property_id: str,
    *,
    days: int = 30,
    now: datetime | None = None,
) -> dict[str, int]:
    """Positive touchpoint mentions per department over the period (the dashboard's tile)."""
    _check_period(days)
    prop = _property(session, principal, property_id)
    _, first_day = _since(days, now)
    rows = session.execute(
        select(TouchpointDay.touchpoint, func.sum(TouchpointDay.count))
        .where(
            TouchpointDay.property_id == property_id,
            TouchpointDay.day >= first_day,
            TouchpointDay.sentiment == "positive",
        )
        .group_by(TouchpointDay.touchpoint)
    )
    return _by_department({code: int(n or 0) for code, n in rows}, prop)


def positive_mentions(
    session: Session,
    principal: Principal,
    property_id: str,
    *,
    days: int = 30,
    now: datetime | None = None,
) -> int:
    """All positive touchpoint mentions over the period (a mention counts once, however
    many departments share its touchpoint)."""
    _check_period(days)
    _property(session, principal, property_id)
    _, first_day = _since(days, now)
    total = session.scalar(
        select(func.sum(TouchpointDay.count)).where(
            TouchpointDay.property_id == property_id,
            TouchpointDay.day >= first_day,
            TouchpointDay.sentiment == "positive",
        )
    )
    return int(total or 0)


@dataclass(frozen=True, slots=True)
class KudosItem:
    review_id: int
    received_at: datetime
    text: str  # the praising passage itself
    passage: Kudos


def kudos_for(
    session: Session,
    principal: Principal,
    property_id: str,
    *,
    department: str | None = None,
    days: int = 30,
    limit: int = 50,
    now: datetime | None = None,
) -> list[KudosItem]:
    """Praise for a department (or all), newest first: positive passages that name a
    touchpoint or a member of staff."""
    _check_period(days)
    prop = _property(session, principal, property_id)
    if department is not None and department not in DEPARTMENTS:
        raise NotFound(f"department {department!r} not found")
    mapping = department_map(prop.policy)
    since, _ = _since(days, now)
    wanted = [c for c in TOUCHPOINTS if department is None or department in mapping.get(c, ())]
    # newest positive mentions first, straight off the (property, sentiment, time) index
    review_ids = list(
        dict.fromkeys(
            session.scalars(
                select(ReviewTouchpoint.review_id)
                .where(
                    ReviewTouchpoint.property_id == property_id,
                    ReviewTouchpoint.sentiment == "positive",
                    ReviewTouchpoint.received_at >= since,
                    ReviewTouchpoint.touchpoint.in_(wanted),
                )
                .order_by(ReviewTouchpoint.received_at.desc(), ReviewTouchpoint.id.desc())
                .limit(limit * 4)
            )
        )
    )
    by_id = {
        r.id: r
        for r in session.scalars(
            select(Review).where(Review.id.in_(review_ids), Review.text.is_not(None))
        )
    }
    found: list[KudosItem] = []
    for review in (by_id[i] for i in review_ids if i in by_id):
        text = review.text or ""
        for passage in kudos(text, review.sentences or [], mapping):
            if department is None or department in passage.departments:
                found.append(
                    KudosItem(
                        review.id, review.received_at, text[passage.start : passage.end], passage
                    )
                )
        if len(found) >= limit:
            break
    return found[:limit]
