"""Which threshold is in force where, as people see it: the value, where it comes from (the
model, learning, a pin, the property's policy), the evidence and the last change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import SentimentClassifier
from triage.access import permissions
from triage.access.accounts import Principal
from triage.core.errors import NotFound
from triage.decisions.routing import ThresholdGroup
from triage.decisions.thresholds import GROUPS, Source, Stored, in_force
from triage.storage.tables import LearnedThreshold, Property, Review

#: No model loaded: nothing is auto-handled (as `triage.decisions.policy.NO_MODEL_THRESHOLD`).
NO_MODEL = 1.0


def as_stored(row: LearnedThreshold) -> Stored:
    """A stored row as routing reads it."""
    source: Source = "learned" if row.source == "learned" else "model"
    return Stored(row.value, source, row.model_version, row.pinned_value)


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
            default = classifier.info.threshold_for(language) if classifier else NO_MODEL
            stored = {
                g: as_stored(rows[(property_id, language, g)])
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
