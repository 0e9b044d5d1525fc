"""Reviews in: store first, then read with the model, then route.

A review is committed before the model sees it, so a model that fails or a
process that dies never loses an accepted review. A synchronous request stores it with a
short routing lease (`TRIAGE_ROUTE_LEASE_SECONDS`) and routes it itself; an asynchronous
one (`Prefer: respond-async`) stores it with none and wakes the background router
(`route_backlog`), which claims what is waiting in batches (the model reads a batch at a
time) and routes it. A review whose lease ran out (its process died) is claimed again;
the decision is written once, only while the review is still `received`, so a review is
routed exactly once however many processes try.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from models import Prediction, SentimentClassifier
from triage.access.accounts import Principal
from triage.casework.queue import enqueue
from triage.core.errors import InvalidInput, NotFound, TriageError
from triage.core.metrics import Metrics
from triage.decisions.policy import policy_for
from triage.decisions.routing import Decision, ReviewFacts, decide
from triage.decisions.threshold_store import stored_for
from triage.events import outbox
from triage.intake.language import decide_language
from triage.journeys import journey, journey_stats
from triage.storage.db import reading, unit_of_work, utcnow
from triage.storage.tables import Property, Review
from triage.storage.upsert import insert_or_ignore

log = logging.getLogger(__name__)

KNOWN_SOURCES = frozenset(
    {
        "tripadvisor",
        "google",
        "booking",
        "expedia",
        "holidaycheck",
        "trustyou",
        "survey",
        "email",
        "website",
        "event_organiser",
        "other",
    }
)


@dataclass(frozen=True, slots=True)
class NewReview:
    """A review as a hotel system sends it (types already checked by the caller)."""

    property_id: str
    source: str
    external_id: str
    text: str
    rating_value: float | None = None
    rating_scale: int | None = None
    language_hint: str | None = None
    submitted_at: datetime | None = None
    stay_from: date | None = None
    stay_to: date | None = None
    room: str | None = None
    segment: str | None = None
    booking_reference: str | None = None
    guest_email: str | None = None
    metadata: dict[str, Any] | None = field(default=None)


@dataclass(frozen=True, slots=True)
class Accepted:
    review_id: int
    created: bool


@dataclass(frozen=True, slots=True)
class Rejected:
    error: TriageError


ClassifierSource = Callable[[], SentimentClassifier | None]
#: Decisions written in one transaction.
WRITE_CHUNK = 8


class Ingestor:
    """Stores, classifies and routes reviews. Stateless apart from its collaborators."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        classifier: ClassifierSource,
        metrics: Metrics,
        *,
        route_lease: timedelta = timedelta(seconds=30),
    ) -> None:
        self._sessions = sessions
        self._classifier = classifier
        self._metrics = metrics
        self._route_lease = route_lease
        #: called after reviews were stored for the background router (set by the app)
        self.on_backlog: Callable[[], None] = lambda: None

    def ingest(
        self, principal: Principal, items: Sequence[NewReview], *, wait: bool = True
    ) -> list[Accepted | Rejected]:
        """Store each item, and route it in this call (`wait`) or leave it to the background
        router; one result per item, in order."""
        results: list[Accepted | Rejected] = []
        lease_until = utcnow() + self._route_lease if wait else None
        with unit_of_work(self._sessions) as session:
            for item in items:
                problem = _check(principal, item)
                if problem is not None:
                    results.append(Rejected(problem))
                    continue
                results.append(_store(session, item, lease_until))
        created = [r.review_id for r in results if isinstance(r, Accepted) and r.created]
        for item, result in zip(items, results, strict=True):
            if isinstance(result, Accepted) and result.created:
                source = item.source if item.source in KNOWN_SOURCES else "other"
                self._metrics.reviews_ingested.labels(source=source).inc()
        if not wait:
            if created:
                self.on_backlog()
            return results
        self.route(created)
        # A known review still `received` was stored by a request that is routing it now,
        # or that died before it could: route it here too (the decision is stored once).
        self.route([r.review_id for r in results if isinstance(r, Accepted) and not r.created])
        return results

    def route(self, review_ids: Sequence[int]) -> None:
        """Classify and route reviews still in status `received`. Safe to repeat."""
        if not review_ids:
            return
        with reading(self._sessions) as session:
            reviews = list(
                session.scalars(
                    select(Review)
                    .where(Review.id.in_(review_ids), Review.status == "received")
                    .order_by(Review.id)
                )
            )
            properties = {
                p.id: p
                for p in session.scalars(
                    select(Property).where(Property.id.in_({r.property_id for r in reviews}))
                )
            }
            learned = stored_for(session, properties)
        if not reviews:
            return
        now = utcnow()
        languages = [decide_language(r.text or "", r.language_hint) for r in reviews]
        readable = [i for i, lang in enumerate(languages) if lang.problem is None]
        predictions = self._predict([reviews[i].text or "" for i in readable])
        by_index: dict[int, Prediction | None] = dict(zip(readable, predictions, strict=True))
        classifier = self._classifier()
        decisions: list[tuple[Review, Decision, Prediction | None, str | None]] = []
        for i, review in enumerate(reviews):
            facts = ReviewFacts(
                text=review.text or "",
                received_at=review.received_at,
                language=languages[i].language,
                language_problem=languages[i].problem,
                rating_value=review.rating_value,
                rating_scale=review.rating_scale,
            )
            prediction = by_index.get(i)
            language = languages[i].language
            policy = policy_for(
                properties[review.property_id].policy,
                classifier,
                language,
                learned.get((review.property_id, language or ""), {}),
            )
            decisions.append(
                (review, decide(prediction, facts, policy), prediction, languages[i].language)
            )
        # In short transactions: on SQLite a write holds the one write lock, which requests
        # taking reviews in wait for (64 decisions at once made their p99 jump).
        for start in range(0, len(decisions), WRITE_CHUNK):
            with unit_of_work(self._sessions) as session:
                for review, decision, prediction, language in decisions[
                    start : start + WRITE_CHUNK
                ]:
                    overrides = properties[review.property_id].policy
                    if _store_decision(
                        session, review, decision, prediction, language, now, overrides
                    ):
                        for reason in decision.reasons:
                            self._metrics.reviews_routed.labels(
                                route=decision.route, reason=reason.code
                            ).inc()

    def _predict(self, texts: list[str]) -> list[Prediction | None]:
        """Predictions for texts; None where the model is missing or failed."""
        if not texts:
            return []
        classifier = self._classifier()
        if classifier is None:
            return [None] * len(texts)
        started = time.perf_counter()
        try:
            predictions: list[Prediction | None] = list(classifier.predict(texts))
        except Exception:
            if len(texts) == 1:
                self._metrics.inference_failures.inc()
                log.exception("classifier failed on one review (length %d)", len(texts[0]))
                return [None]
            log.exception("classifier failed on a batch of %d; retrying one by one", len(texts))
            predictions = [self._predict_one(classifier, text) for text in texts]
        finally:
            self._metrics.inference_seconds.observe(time.perf_counter() - started)
        if len(predictions) != len(texts):
            log.error(
                "classifier returned %d predictions for %d texts", len(predictions), len(texts)
            )
            return [None] * len(texts)
        return predictions

    def _predict_one(self, classifier: SentimentClassifier, text: str) -> Prediction | None:
        try:
            return classifier.predict([text])[0]
        except Exception:
            self._metrics.inference_failures.inc()
            log.exception("classifier failed on one review (length %d)", len(text))
            return None

    def route_backlog(self, limit: int = 64) -> int:
        """Claim up to `limit` reviews waiting to be routed (accepted asynchronously, or
        left by a process that died: its lease ran out), oldest first, and route them as
        one model batch. Returns how many were claimed."""
        now = utcnow()
        with unit_of_work(self._sessions) as session:
            waiting = (
                select(Review.id)
                .where(
                    Review.status == "received",
                    or_(Review.route_lease_until.is_(None), Review.route_lease_until < now),
                )
                .order_by(Review.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            ids = list(
                session.scalars(
                    update(Review)
                    .where(Review.id.in_(waiting.scalar_subquery()))
                    .values(route_lease_until=now + self._route_lease)
                    .returning(Review.id)
                    .execution_options(synchronize_session=False)
                )
            )
        self.route(sorted(ids))
        return len(ids)


@dataclass(frozen=True, slots=True)
class Backlog:
    """Reviews stored but not routed yet, and how long the oldest has waited."""

    reviews: int
    oldest_seconds: float


def backlog(session: Session, property_id: str | None = None) -> Backlog:
    """What waits to be routed (of one property, or of all)."""
    query = select(func.count(), func.min(Review.received_at)).where(Review.status == "received")
    if property_id is not None:
        query = query.where(Review.property_id == property_id)
    count, oldest = session.execute(query).one()
    age = 0.0
    if oldest is not None:
        if oldest.tzinfo is None:  # SQLite's MIN() bypasses the column type
            oldest = datetime.fromisoformat(str(oldest)).replace(tzinfo=UTC)
        age = max(0.0, (utcnow() - oldest).total_seconds())
    return Backlog(int(count or 0), age)


def _check(principal: Principal, item: NewReview) -> TriageError | None:
    # A principal's properties exist: they are read with it, and their links to keys and
    # people go with a deleted property.
    if not principal.can_see(item.property_id):
        return NotFound(f"property {item.property_id!r} not found")
    if not item.text.strip():
        return InvalidInput("text is empty")
    return None


def _store(session: Session, item: NewReview, lease_until: datetime | None) -> Accepted:
    values = {
        "property_id": item.property_id,
        "source": item.source,
        "external_id": item.external_id,
        "text": item.text,
        "rating_value": item.rating_value,
        "rating_scale": item.rating_scale,
        "language_hint": item.language_hint,
        "submitted_at": item.submitted_at,
        "received_at": utcnow(),
        "stay_from": item.stay_from,
        "stay_to": item.stay_to,
        "room": item.room,
        "segment": item.segment,
        "booking_reference": item.booking_reference,
        "guest_email": item.guest_email,
        "metadata": item.metadata,
        "status": "received",
        "route_lease_until": lease_until,
    }
    statement = insert_or_ignore(
        session,
        Review.__table__,
        values,
        index_elements=["property_id", "source", "external_id"],
    ).returning(Review.__table__.c.id)
    new_id = session.execute(statement).scalar()
    if new_id is not None:
        return Accepted(int(new_id), created=True)
    existing = session.scalar(
        select(Review.id).where(
            Review.property_id == item.property_id,
            Review.source == item.source,
            Review.external_id == item.external_id,
        )
    )
    if existing is None:  # pragma: no cover - the conflicting row must exist
        raise RuntimeError("conflicting review vanished")
    return Accepted(int(existing), created=False)


def _store_decision(
    session: Session,
    review: Review,
    decision: Decision,
    prediction: Prediction | None,
    language: str | None,
    now: datetime,
    overrides: Mapping[str, Any] | None = None,
) -> bool:
    """Write the decision once: only a review still `received` is updated.

    With the decision go the sentences' scores and touchpoints (the model's, plus the
    property's own terms), the departments of the negative touchpoints, and one
    `review_touchpoints` row per touchpoint for the journey statistics."""
    due_at = decision.due_at
    values: dict[str, Any] = {
        "status": "auto_handled" if decision.route == "auto" else "queued",
        "language": language,
        "route": decision.route,
        "reasons": [r.as_dict() for r in decision.reasons],
        "priority": decision.priority,
        "due_at": due_at,
        "routed_at": now,
        "auto_score": decision.auto_score,
        "threshold_group": decision.threshold_group,
    }
    summaries: list[journey.TouchpointSummary] = []
    if prediction is not None:
        sentences = [
            {
                "start": s.start,
                "end": s.end,
                "label": s.label,
                "probabilities": {k: round(float(v), 6) for k, v in s.probabilities.items()},
                "touchpoints": list(s.touchpoints),
            }
            for s in prediction.sentences
        ]
        for sentence, codes in zip(
            sentences,
            journey.with_property_terms(
                review.text or "", sentences, journey.extra_terms(overrides)
            ),
            strict=True,
        ):
            sentence["touchpoints"] = codes
        summaries = journey.summarise(sentences)
        values.update(
            sentiment_label=prediction.label,
            sentiment_probabilities={
                k: round(float(v), 6) for k, v in prediction.probabilities.items()
            },
            sentences=sentences,
            model_version=prediction.model_version,
            departments=journey.departments_for(summaries, journey.department_map(overrides)),
        )
    result = session.execute(
        update(Review)
        .where(Review.id == review.id, Review.status == "received")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    journey_stats.record_touchpoints(session, review, summaries, decision.route)
    if decision.route == "human" and decision.priority is not None and due_at is not None:
        enqueue(session, review, priority=decision.priority, due_at=due_at, now=now)
    outbox.emit(
        session,
        "review.routed",
        property_id=review.property_id,
        review=review,
        at=now,
        data={
            "review": {
                "status": values["status"],
                "route": decision.route,
                "priority": decision.priority,
                "due_at": due_at.isoformat().replace("+00:00", "Z") if due_at else None,
                "language": language,
                "sentiment": prediction.label if prediction is not None else None,
                "departments": values.get("departments") or [],
                "model_version": prediction.model_version if prediction is not None else None,
            },
            "reasons": [{"code": r.code, "explanation": r.explanation} for r in decision.reasons],
        },
    )
    session.flush()
    return True
