"""Learned thresholds in the database: recompute them from people's labels, pin and unpin
them, and say which threshold is in force where. The rule itself is `triage.decisions.thresholds`.

Every process is stateless: the `learned_thresholds` rows hold the state. A computation
reads the evidence, then changes a row only if its `revision` is still the one it read,
so when several processes (or a verdict and the background loop) compute the same
threshold at once, the change is written and audited once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, select, update
from sqlalchemy.orm import Session

from models import SentimentClassifier
from triage.access import audit, permissions
from triage.access.accounts import Principal
from triage.core.errors import FieldProblem, InvalidInput, NotFound
from triage.core.settings import Settings
from triage.decisions.routing import ThresholdGroup
from triage.decisions.thresholds import (
    GROUPS,
    MUST_SEE,
    Source,
    Stored,
    ThresholdChoice,
    ThresholdRule,
    explain,
    in_force,
    learn_threshold,
    pct,
    what,
)
from triage.storage.db import utcnow
from triage.storage.tables import Label, LearnedThreshold, Property, Review
from triage.storage.upsert import insert_or_ignore
from triage.verdicts.labels import current_label, labels_by_review

log = logging.getLogger(__name__)

#: The actor the audit log names for a threshold the labels moved.
LEARNER = "system:threshold-learning"
#: No model loaded: nothing is auto-handled (as `triage.decisions.policy.NO_MODEL_THRESHOLD`).
_NO_MODEL = 1.0


def rule_from(settings: Settings) -> ThresholdRule:
    return ThresholdRule(
        target=settings.miss_rate_target,
        confidence=settings.threshold_confidence,
        floor=settings.threshold_floor,
        min_checks=settings.miss_rate_min_checks,
    )


def _stored(row: LearnedThreshold) -> Stored:
    source: Source = "learned" if row.source == "learned" else "model"
    return Stored(row.value, source, row.model_version, row.pinned_value)


def stored_for(
    session: Session, property_ids: Iterable[str]
) -> dict[tuple[str, str], dict[ThresholdGroup, Stored]]:
    """(property, language) -> group -> the stored threshold, for routing."""
    found: dict[tuple[str, str], dict[ThresholdGroup, Stored]] = {}
    ids = sorted(set(property_ids))
    if not ids:
        return found
    for row in session.scalars(
        select(LearnedThreshold).where(LearnedThreshold.property_id.in_(ids))
    ):
        group: ThresholdGroup = "top_rating" if row.group == "top_rating" else "default"
        found.setdefault((row.property_id, row.language), {})[group] = _stored(row)
    return found


# --- Recomputing ------------------------------------------------------------------------------


def _key(property_id: str, language: str, group: str) -> list[ColumnElement[bool]]:
    return [
        Review.property_id == property_id,
        Review.language == language,
        Review.threshold_group == group,
    ]


def _newest_label(
    session: Session, property_id: str, language: str, group: str, version: str
) -> int:
    newest = session.scalar(
        select(func.max(Label.id))
        .join(Review, Review.id == Label.review_id)
        .where(
            *_key(property_id, language, group),
            Review.model_version == version,
            Review.auto_score.is_not(None),
        )
    )
    return int(newest or 0)


def evidence(
    session: Session, property_id: str, language: str, group: str, version: str
) -> tuple[list[float], list[bool]]:
    """The labelled reviews' scores and whether each one's current label is must-see."""
    rows = session.execute(
        select(Review.id, Review.auto_score)
        .where(
            *_key(property_id, language, group),
            Review.model_version == version,
            Review.auto_score.is_not(None),
            exists().where(Label.review_id == Review.id),
        )
        .order_by(Review.id)
    ).all()
    scores: list[float] = []
    misses: list[bool] = []
    for i in range(0, len(rows), 500):
        chunk = rows[i : i + 500]
        by_review = labels_by_review(session, [r[0] for r in chunk])
        for review_id, score in chunk:
            label = current_label(by_review[review_id])
            if label is None or score is None:
                continue
            scores.append(float(score))
            misses.append(label.label in MUST_SEE)
    return scores, misses


def _ensure_row(session: Session, property_id: str, language: str, group: str) -> LearnedThreshold:
    session.execute(
        insert_or_ignore(
            session,
            LearnedThreshold,
            {
                "property_id": property_id,
                "language": language,
                "threshold_group": group,
                "source": "model",
                "n": 0,
                "misses": 0,
                "labelled": 0,
                "last_label_id": 0,
                "revision": 0,
                "updated_at": utcnow(),
            },
        )
    )
    row = session.get(LearnedThreshold, (property_id, language, group), populate_existing=True)
    assert row is not None
    return row


def _start(
    session: Session,
    property_id: str,
    language: str,
    group: str,
    version: str,
    model_default: float,
) -> float:
    """The model's threshold; for the top-rating group, the default group's learned value."""
    if group == "default":
        return model_default
    default = session.get(LearnedThreshold, (property_id, language, "default"))
    if default is not None and default.value is not None and default.model_version == version:
        return default.value
    return model_default


@dataclass(frozen=True, slots=True)
class Change:
    """A learned threshold that moved (audited as `threshold.learned`)."""

    property_id: str
    language: str
    group: str
    old: float
    new: float
    explanation: str


def recompute(
    session: Session,
    property_id: str,
    language: str,
    group: ThresholdGroup,
    *,
    model_version: str,
    model_default: float,
    rule: ThresholdRule,
    force: bool = False,
) -> Change | None:
    """Recompute one learned threshold from the labels; returns the change, if any.

    Skipped (unless `force`) when no label was added since the last computation for the
    same model version and start."""
    row = _ensure_row(session, property_id, language, group)
    start = _start(session, property_id, language, group, model_version, model_default)
    newest = _newest_label(session, property_id, language, group, model_version)
    same_model = row.model_version == model_version and row.value is not None
    if same_model and not force and row.last_label_id == newest and row.start == start:
        return None
    scores, misses = evidence(session, property_id, language, group, model_version)
    choice = learn_threshold(scores, misses, start=start, rule=rule)
    old = row.value
    before = old if old is not None else start
    moved = round(before, 9) != round(choice.value, 9)
    now = utcnow()
    values: dict[str, object] = {
        "value": choice.value,
        "source": choice.source,
        "model_version": model_version,
        "start": start,
        "n": choice.n,
        "misses": choice.misses,
        "upper": choice.upper,
        "labelled": choice.labelled,
        "last_label_id": newest,
        "updated_at": now,
    }
    sentence = _sentence(
        old, choice, property_id, language, group, rule, None if same_model else model_version
    )
    if moved or not same_model or row.explanation is None or row.source != choice.source:
        values.update(explanation=sentence, revision=row.revision + 1)
        if moved or row.changed_at is None:
            values["changed_at"] = now
    done = session.execute(
        update(LearnedThreshold)
        .where(
            LearnedThreshold.property_id == property_id,
            LearnedThreshold.language == language,
            LearnedThreshold.group == group,
            LearnedThreshold.revision == row.revision,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    # The top-rating group without evidence of its own only follows the default group,
    # whose change is audited already.
    follows = group == "top_rating" and choice.basis == "start" and row.source != "learned"
    if done.rowcount != 1 or not moved or follows:  # type: ignore[attr-defined]
        return None  # another computation got there first, or nothing of its own moved
    change = Change(property_id, language, group, before, choice.value, sentence)
    audit.record(
        session,
        LEARNER,
        "threshold.learned",
        property_id=property_id,
        subject=f"{language}/{group}",
        details={
            "language": language,
            "group": group,
            "old": before,
            "new": choice.value,
            "basis": choice.basis,
            "n": choice.n,
            "misses": choice.misses,
            "upper": choice.upper,
            "labelled": choice.labelled,
            "target": rule.target,
            "confidence": rule.confidence,
            "model_version": model_version,
            "explanation": sentence,
        },
    )
    log.info(
        "threshold of %s %s/%s moved from %.4f to %.4f (n=%d, misses=%d)",
        property_id,
        language,
        group,
        before,
        choice.value,
        choice.n,
        choice.misses,
    )
    return change


def _sentence(
    old: float | None,
    choice: ThresholdChoice,
    property_id: str,
    language: str,
    group: ThresholdGroup,
    rule: ThresholdRule,
    new_model: str | None,
) -> str:
    sentence = explain(
        old, choice, property_id=property_id, language=language, group=group, rule=rule
    )
    if new_model is not None and old is not None:
        sentence = f"Model {new_model} is in use, its labels start afresh. {sentence}"
    return sentence


def recompute_key(
    session: Session,
    property_id: str,
    language: str,
    group: ThresholdGroup,
    classifier: SentimentClassifier,
    rule: ThresholdRule,
    *,
    force: bool = False,
) -> list[Change]:
    """One group, and for the default group the top-rating one after it (it starts there)."""
    groups: tuple[ThresholdGroup, ...] = (
        ("default", "top_rating") if group == "default" else (group,)
    )
    changes = []
    for g in groups:
        change = recompute(
            session,
            property_id,
            language,
            g,
            model_version=classifier.info.version,
            model_default=classifier.info.threshold_for(language),
            rule=rule,
            force=force,
        )
        if change is not None:
            changes.append(change)
    return changes


def recompute_all(
    session: Session, classifier: SentimentClassifier | None, rule: ThresholdRule
) -> list[Change]:
    """Every threshold with labels or a row (the background loop; safe in every process)."""
    if classifier is None:
        return []
    keys: set[tuple[str, str, str]] = {
        (p, lang, g)
        for p, lang, g in session.execute(
            select(Review.property_id, Review.language, Review.threshold_group)
            .join(Label, Label.review_id == Review.id)
            .where(Review.auto_score.is_not(None), Review.language.is_not(None))
            .distinct()
        )
        if lang is not None and g in GROUPS
    }
    keys |= {
        (p, lang, g)
        for p, lang, g in session.execute(
            select(LearnedThreshold.property_id, LearnedThreshold.language, LearnedThreshold.group)
        )
    }
    changes: list[Change] = []
    for property_id, language in sorted({(p, lang) for p, lang, _ in keys}):
        changes += recompute_key(session, property_id, language, "default", classifier, rule)
    return changes


def after_verdict(
    session: Session,
    review_id: int,
    classifier: SentimentClassifier | None,
    rule: ThresholdRule,
) -> list[Change]:
    """A found miss tightens at once: called in the request that stored a label. Only a
    must-see label on a review the threshold alone kept from (or let into) automatic
    handling, scored by the model in use, can move a threshold up."""
    if classifier is None:
        return []
    review = session.get(Review, review_id)
    if (
        review is None
        or review.auto_score is None
        or review.language is None
        or review.model_version != classifier.info.version
        or review.threshold_group not in GROUPS
    ):
        return []
    label = current_label(labels_by_review(session, [review_id])[review_id])
    if label is None or label.label not in MUST_SEE:
        return []
    group: ThresholdGroup = "top_rating" if review.threshold_group == "top_rating" else "default"
    return recompute_key(session, review.property_id, review.language, group, classifier, rule)


# --- Pins -------------------------------------------------------------------------------------


def _require_admin(principal: Principal, property_id: str) -> None:
    permissions.pin_thresholds(principal)
    if not principal.can_see(property_id):
        raise NotFound(f"property {property_id!r} not found")


def _check_key(session: Session, property_id: str, language: str, group: str) -> None:
    problems = []
    if not (2 <= len(language) <= 8 and language.isascii() and language.isalpha()):
        problems.append(FieldProblem("language", "pattern", "a language code such as de or en"))
    if group not in GROUPS:
        problems.append(FieldProblem("group", "enum", f"one of {', '.join(GROUPS)}"))
    if problems:
        raise InvalidInput("invalid threshold", problems)
    if session.get(Property, property_id) is None:
        raise NotFound(f"property {property_id!r} not found")


def pin(
    session: Session,
    principal: Principal,
    property_id: str,
    language: str,
    group: str,
    value: float,
) -> LearnedThreshold:
    """An admin fixes a threshold; learning goes on beside it but routing uses the pin."""
    _require_admin(principal, property_id)
    _check_key(session, property_id, language, group)
    if not 0.0 <= value <= 1.0:
        raise InvalidInput(
            "invalid threshold", [FieldProblem("value", "range", "a number from 0 to 1")]
        )
    row = _ensure_row(session, property_id, language, group)
    before = row.pinned_value
    now = utcnow()
    row.pinned_value = value
    row.pinned_by = audit.actor_name(principal)
    row.pinned_at = now
    row.updated_at = now
    row.revision += 1
    session.flush()
    audit.record(
        session,
        principal,
        "threshold.pin",
        property_id=property_id,
        subject=f"{language}/{group}",
        details={
            "language": language,
            "group": group,
            "pinned_before": before,
            "pinned": value,
            "learned": row.value,
            "explanation": f"Pinned at {pct(value)} for {what(property_id, language, group)}"
            f" by {row.pinned_by}.",
        },
    )
    return row


def unpin(
    session: Session, principal: Principal, property_id: str, language: str, group: str
) -> LearnedThreshold:
    """Back to the learned (or the model's) threshold."""
    _require_admin(principal, property_id)
    _check_key(session, property_id, language, group)
    row = session.get(LearnedThreshold, (property_id, language, group), populate_existing=True)
    if row is None or row.pinned_value is None:
        raise NotFound(f"no pinned threshold for {language}/{group} of {property_id!r}")
    before = row.pinned_value
    row.pinned_value = None
    row.pinned_by = None
    row.pinned_at = None
    row.updated_at = utcnow()
    row.revision += 1
    session.flush()
    audit.record(
        session,
        principal,
        "threshold.unpin",
        property_id=property_id,
        subject=f"{language}/{group}",
        details={
            "language": language,
            "group": group,
            "pinned_before": before,
            "learned": row.value,
            "explanation": f"Unpinned {what(property_id, language, group)} (was "
            f"{pct(before)}); the learned or the model's threshold applies again.",
        },
    )
    return row


# --- What is in force -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThresholdView:
    """One threshold as people see it: the value in force, where it comes from, the
    evidence and the last change."""

    property_id: str
    language: str
    group: ThresholdGroup
    value: float
    source: Source
    pinned_by_policy: bool
    model_default: float
    model_version: str | None
    learned: float | None
    n: int
    misses: int
    upper: float | None
    labelled: int
    explanation: str | None
    changed_at: datetime | None
    pinned_value: float | None
    pinned_by: str | None
    pinned_at: datetime | None


def views(
    session: Session,
    property_ids: Iterable[str],
    classifier: SentimentClassifier | None,
) -> list[ThresholdView]:
    """Thresholds of the properties for every language the model reads or that has a row."""
    ids = sorted(set(property_ids))
    if not ids:
        return []
    properties = {p.id: p for p in session.scalars(select(Property).where(Property.id.in_(ids)))}
    rows = {
        (r.property_id, r.language, r.group): r
        for r in session.scalars(
            select(LearnedThreshold).where(LearnedThreshold.property_id.in_(ids))
        )
    }
    version = classifier.info.version if classifier else None
    found = []
    for property_id in sorted(properties):
        overrides: Mapping[str, object] = properties[property_id].policy or {}
        raw_pin = overrides.get("auto_threshold")
        policy_pin = float(raw_pin) if isinstance(raw_pin, int | float) else None
        languages = set(classifier.info.languages if classifier else ())
        languages |= {lang for p, lang, _ in rows if p == property_id}
        for language in sorted(languages):
            default = classifier.info.threshold_for(language) if classifier else _NO_MODEL
            stored = {
                g: _stored(rows[(property_id, language, g)])
                for g in GROUPS
                if (property_id, language, g) in rows
            }
            for group in GROUPS:
                now = in_force(
                    group,
                    model_default=default,
                    model_version=version,
                    policy_pin=policy_pin,
                    stored=stored,
                )
                row = rows.get((property_id, language, group))
                current = row is not None and row.model_version == version
                found.append(
                    ThresholdView(
                        property_id=property_id,
                        language=language,
                        group=group,
                        value=now.value,
                        source=now.source,
                        pinned_by_policy=now.pinned_by == "policy",
                        model_default=default,
                        model_version=row.model_version if row else None,
                        learned=row.value if row and current else None,
                        n=row.n if row and current else 0,
                        misses=row.misses if row and current else 0,
                        upper=row.upper if row and current else None,
                        labelled=row.labelled if row and current else 0,
                        explanation=row.explanation if row else None,
                        changed_at=row.changed_at if row else None,
                        pinned_value=row.pinned_value if row else None,
                        pinned_by=row.pinned_by if row else None,
                        pinned_at=row.pinned_at if row else None,
                    )
                )
    return found


def views_for(
    session: Session,
    principal: Principal,
    classifier: SentimentClassifier | None,
    property_id: str | None = None,
    *,
    admins_only: bool = False,
) -> list[ThresholdView]:
    """The thresholds a person may see (the API: admins only)."""
    permissions.see_thresholds(principal, admins_only=admins_only)
    if property_id is not None and not principal.can_see(property_id):
        raise NotFound(f"property {property_id!r} not found")
    scope = [property_id] if property_id else sorted(principal.property_ids)
    return views(session, scope, classifier)


def view_for_review(
    session: Session, review: Review, classifier: SentimentClassifier | None
) -> ThresholdView | None:
    """The threshold now in force for reviews like this one (when only the threshold
    stood between it and automatic handling), for the review page."""
    if review.auto_score is None or review.language is None:
        return None
    for view in views(session, [review.property_id], classifier):
        if (view.language, view.group) == (review.language, review.threshold_group):
            return view
    return None


def in_force_where(
    session: Session, classifier: SentimentClassifier | None
) -> list[tuple[str, str, str, float]]:
    """(property, language, group, value in force) of every stored threshold (metrics)."""
    keys = sorted({r for r in session.scalars(select(LearnedThreshold.property_id).distinct())})
    return [(v.property_id, v.language, v.group, v.value) for v in views(session, keys, classifier)]
