"""Dashboard figures for one property and period: volume, routing, speed, SLA, agreement.

Counts are SQL aggregates. Percentiles of the time to resolve are computed here
over the period's resolved items, bounded by `MAX_DURATIONS`.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Date, and_, case, cast, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from triage.access import permissions
from triage.access.accounts import Principal
from triage.casework.queue_board import REASON_CODES
from triage.casework.queue_head import reason_matches
from triage.core.errors import FieldProblem, InvalidInput, NotFound
from triage.storage.db import utcnow
from triage.storage.tables import Label, QueueItem, Review

PERIODS = (7, 30, 90)
ROUTES = ("auto", "human")
MAX_DURATIONS = 200_000


@dataclass(frozen=True, slots=True)
class DayVolume:
    day: date
    auto: int
    human: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    property_id: str
    days: int
    since: datetime
    volume: int
    auto: int
    human: int
    #: reason code -> reviews routed to people that carry it (one review may carry several)
    by_reason: list[tuple[str, int]]
    resolved: int
    median_resolve_seconds: float | None
    p90_resolve_seconds: float | None
    sla_items: int
    sla_breaches: int
    verdicts: int
    agreements: int
    daily: list[DayVolume]

    @property
    def auto_share(self) -> float | None:
        routed = self.auto + self.human
        return self.auto / routed if routed else None

    @property
    def agreement(self) -> float | None:
        return self.agreements / self.verdicts if self.verdicts else None


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    position = q * (len(sorted_values) - 1)
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def _day(session: Session, column: InstrumentedAttribute[datetime]) -> ColumnElement[object]:
    """The UTC day of a timestamp as YYYY-MM-DD. SQLite stores naive UTC text
    ("YYYY-MM-DD HH:MM:SS..."), so its first ten characters are the day (and far
    cheaper than strftime)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone("UTC", column), Date)  # str(date) is YYYY-MM-DD
    return func.substr(column, 1, 10)


def dashboard(
    session: Session,
    principal: Principal,
    property_id: str,
    days: int,
    *,
    now: datetime | None = None,
) -> Dashboard:
    permissions.work_the_queue(principal)
    if not principal.can_see(property_id):
        raise NotFound(f"property {property_id!r} not found")
    if days not in PERIODS:
        raise InvalidInput(
            "invalid period", [FieldProblem("days", "enum", ", ".join(map(str, PERIODS)))]
        )
    now = now or utcnow()
    since = now - timedelta(days=days)
    in_period = and_(
        Review.property_id == property_id, Review.received_at >= since, Review.received_at < now
    )

    # Reviews per day and route: one pass over the covering index
    # (property_id, route, received_at); reviews not routed yet only add to the volume.
    day = _day(session, Review.received_at)
    per_day: dict[str, dict[str, int]] = {}
    auto = human = 0
    for key, route, count in session.execute(
        select(day, Review.route, func.count())
        .where(in_period, Review.route.in_(ROUTES))
        .group_by(day, Review.route)
    ):
        per_day.setdefault(str(key), {})[str(route)] = int(count)
        if route == "auto":
            auto += int(count)
        else:
            human += int(count)
    unrouted = session.scalar(select(func.count()).where(in_period, Review.route.is_(None)))
    volume = auto + human + int(unrouted or 0)

    # Reasons only over the reviews that reached people: routed to them, not routed yet,
    # or handled automatically and pulled back (the only way an auto review leaves
    # `auto_handled`). Each part can use an index; an OR of them could not.
    pulled_back = select(QueueItem.review_id).where(
        QueueItem.property_id == property_id, QueueItem.origin == "pulled_back"
    )
    reason_sums = [func.sum(case((reason_matches(code), 1), else_=0)) for code in REASON_CODES]
    totals = [0] * len(REASON_CODES)
    for reached_people in (
        Review.route == "human",
        Review.route.is_(None),
        and_(
            Review.route == "auto",
            Review.status != "auto_handled",
            Review.id.in_(pulled_back),
        ),
    ):
        sums = session.execute(select(*reason_sums).where(in_period, reached_people)).one()
        totals = [total + int(n or 0) for total, n in zip(totals, sums, strict=True)]
    by_reason = sorted(
        ((code, n) for code, n in zip(REASON_CODES, totals, strict=True) if n),
        key=lambda pair: (-pair[1], pair[0]),
    )

    resolved_rows = session.execute(
        select(QueueItem.created_at, QueueItem.resolved_at)
        .where(
            QueueItem.property_id == property_id,
            QueueItem.state == "resolved",
            QueueItem.resolved_at >= since,
            QueueItem.resolved_at < now,
        )
        .limit(MAX_DURATIONS)
    ).all()
    durations = sorted(
        (resolved - created).total_seconds()
        for created, resolved in resolved_rows
        if resolved is not None
    )

    breached = or_(
        and_(QueueItem.resolved_at.is_not(None), QueueItem.resolved_at > QueueItem.due_at),
        and_(QueueItem.state == "open", QueueItem.due_at < now),
    )
    sla_items, sla_breaches = session.execute(
        select(func.count(), func.sum(case((breached, 1), else_=0))).where(
            QueueItem.property_id == property_id,
            QueueItem.created_at >= since,
            QueueItem.created_at < now,
        )
    ).one()

    verdicts, agreements = session.execute(
        select(func.count(), func.sum(case((Label.label == Label.predicted_label, 1), else_=0)))
        .select_from(Label)
        .join(Review, Review.id == Label.review_id)
        .where(
            Review.property_id == property_id,
            Label.kind == "queue_verdict",
            Label.predicted_label.is_not(None),
            Label.created_at >= since,
            Label.created_at < now,
        )
    ).one()

    first = since.date()
    daily = []
    for offset in range((now.date() - first).days + 1):
        d = first + timedelta(days=offset)
        counts = per_day.get(d.isoformat(), {})
        daily.append(DayVolume(d, counts.get("auto", 0), counts.get("human", 0)))

    return Dashboard(
        property_id=property_id,
        days=days,
        since=since,
        volume=volume,
        auto=auto,
        human=human,
        by_reason=by_reason,
        resolved=len(durations),
        median_resolve_seconds=statistics.median(durations) if durations else None,
        p90_resolve_seconds=percentile(durations, 0.9) if durations else None,
        sla_items=int(sla_items or 0),
        sla_breaches=int(sla_breaches or 0),
        verdicts=int(verdicts or 0),
        agreements=int(agreements or 0),
        daily=daily,
    )
