"""Learned thresholds in the database: recompute them from people's labels (here), pin and
unpin them (`threshold_pins`), and say which threshold is in force where
(`threshold_views`). The rule itself is `triage.decisions.thresholds`.

Every process is stateless: the `learned_thresholds` rows hold the state. A computation
reads the evidence, then changes a row only if its `revision` is still the one it read,
so when several processes (or a verdict and the background loop) compute the same
threshold at once, the change is written and audited once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, func, select, update
from sqlalchemy.orm import Session

from models import SentimentClassifier
from triage.access import audit
from triage.core.settings import Settings
from triage.decisions.routing import ThresholdGroup
from triage.decisions.threshold_views import as_stored, views
from triage.decisions.thresholds import (
    GROUPS,
    MUST_SEE,
    Stored,
    ThresholdChoice,
    ThresholdRule,
    explain,
    learn_threshold,
)
from triage.storage.db import utcnow
from triage.storage.tables import Label, LearnedThreshold, Review
from triage.storage.upsert import insert_or_ignore
from triage.verdicts.labels import current_label, labels_by_review

log = logging.getLogger(__name__)

#: The actor the audit log names for a threshold the labels moved.
LEARNER = "system:threshold-learning"


def rule_from(settings: Settings) -> ThresholdRule:
    return ThresholdRule(
        target=settings.miss_rate_target,
        confidence=settings.threshold_confidence,
        floor=settings.threshold_floor,
        min_checks=settings.miss_rate_min_checks,
    )


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
        found.setdefault((row.property_id, row.language), {})[group] = as_stored(row)
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


def ensure_row(session: Session, property_id: str, language: str, group: str) -> LearnedThreshold:
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
    row = ensure_row(session, property_id, language, group)
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


def in_force_where(
    session: Session, classifier: SentimentClassifier | None
) -> list[tuple[str, str, str, float]]:
    """(property, language, group, value in force) of every stored threshold (metrics)."""
    keys = sorted({r for r in session.scalars(select(LearnedThreshold.property_id).distinct())})
    return [(v.property_id, v.language, v.group, v.value) for v in views(session, keys, classifier)]
