"""Shadow mode: a candidate scores incoming reviews beside the active model.

Its predictions are stored apart (`shadow_predictions`) and never touch routing. Once
people have labelled those reviews, `compare` shows how the active model and the
candidate did on the same reviews.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from models import LABELS, Prediction
from models.calibration import macro_f1
from triage.storage.db import utcnow
from triage.storage.tables import ModelVersion, Review, ShadowPrediction
from triage.verdicts.labels import current_label, labels_by_review


def pending(session: Session, version: ModelVersion, *, limit: int = 64) -> list[Review]:
    """Reviews routed since the shadow started that it has not scored yet."""
    if not version.shadow or version.shadow_since is None:
        return []
    scored = exists().where(
        ShadowPrediction.review_id == Review.id,
        ShadowPrediction.model_version == version.version,
    )
    query = (
        select(Review)
        .where(Review.routed_at >= version.shadow_since, Review.text.is_not(None), ~scored)
        .order_by(Review.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def store(session: Session, review_id: int, prediction: Prediction) -> None:
    session.add(
        ShadowPrediction(
            review_id=review_id,
            model_version=prediction.model_version,
            label=prediction.label,
            probabilities=dict(prediction.probabilities),
            created_at=utcnow(),
        )
    )


@dataclass(frozen=True, slots=True)
class ShadowComparison:
    version: str
    scored: int
    labelled: int
    active_accuracy: float | None
    shadow_accuracy: float | None
    active_macro_f1: float | None
    shadow_macro_f1: float | None


def compare(session: Session, property_ids: list[str], version: str) -> ShadowComparison:
    """Active model versus shadow on the shadow-scored reviews people have labelled."""
    rows = list(
        session.execute(
            select(ShadowPrediction.review_id, ShadowPrediction.label, Review.sentiment_label)
            .join(Review, Review.id == ShadowPrediction.review_id)
            .where(
                ShadowPrediction.model_version == version,
                Review.property_id.in_(property_ids),
            )
        )
    )
    labels = labels_by_review(session, [r[0] for r in rows])
    gold, active, candidate = [], [], []
    for review_id, shadow_label, active_label in rows:
        human = current_label(labels.get(review_id, []))
        if human is None or active_label not in LABELS or shadow_label not in LABELS:
            continue
        gold.append(LABELS.index(human.label))
        active.append(LABELS.index(active_label))
        candidate.append(LABELS.index(shadow_label))
    if not gold:
        return ShadowComparison(version, len(rows), 0, None, None, None, None)
    g, a, c = (np.array(x, dtype=np.int64) for x in (gold, active, candidate))
    return ShadowComparison(
        version=version,
        scored=len(rows),
        labelled=len(gold),
        active_accuracy=float(np.mean(a == g)),
        shadow_accuracy=float(np.mean(c == g)),
        active_macro_f1=macro_f1(a, g, len(LABELS)),
        shadow_macro_f1=macro_f1(c, g, len(LABELS)),
    )
