"""Where the router decides, derived on hotel-like validation data (numpy only).

A trained model's scores become routing decisions through three numbers on its
card: the passage threshold (P(negative) from which a passage read on its own is
a complaint), the passage share (`models.passages`), and an auto-handling
threshold per language. They are chosen here, on the validation rows that look
like what the service reads: hand-written hotel reviews and sentences, and the
operator's own verdicts. Tweets calibrate the probabilities but choose no
threshold: a threshold safe on tweets says nothing about a polite German guest.

1. Passage threshold: of a grid, the value that auto-handles the most positive
   hotel reviews across languages at the per-language thresholds of step 2,
   among those that still flag at least `min_sentence_recall` of the negative
   validation sentences (ties: the lower, more careful value).
2. Per language, the loosest P(positive) threshold that auto-handles at most
   `max_miss_rate` of the reviews a person must see (negative and mixed),
   counting only reviews the passage rule lets through: the router's own view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from models.calibration import loosest_auto_threshold
from models.data import MIXED, LabelledText
from models.passages import PASSAGE_SHARE, complaint_passages
from models.prediction import LABELS, Prediction

PASSAGE_GRID = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)


@dataclass(frozen=True, slots=True)
class RoutingPoints:
    passage_threshold: float
    passage_share: float
    auto_thresholds: dict[str, float]
    #: The strictest of `auto_thresholds`: for a language without its own.
    auto_threshold: float
    metrics: dict[str, float] = field(default_factory=dict)


def _thresholds(
    reviews: Sequence[LabelledText],
    predictions: Sequence[Prediction],
    passage_threshold: float,
    share: float,
    max_miss_rate: float,
) -> tuple[dict[str, float], dict[str, float]]:
    """Per-language thresholds and the automation of positive reviews each gives."""
    thresholds: dict[str, float] = {}
    automation: dict[str, float] = {}
    for language in sorted({row.lang for row in reviews}):
        mine = [i for i, row in enumerate(reviews) if row.lang == language]
        labels = [reviews[i].label for i in mine]
        must_see = np.array([label in ("negative", MIXED) for label in labels])
        positive = np.array([label == "positive" for label in labels])
        if not must_see.any() or not positive.any():
            continue
        p_positive = np.array([predictions[i].probabilities["positive"] for i in mine])
        eligible = np.array(
            [
                predictions[i].label == "positive"
                and not complaint_passages(
                    predictions[i], reviews[i].text, passage_threshold, share
                )
                for i in mine
            ]
        )
        threshold = loosest_auto_threshold(
            p_positive, eligible, must_see, max_miss_rate=max_miss_rate
        )
        thresholds[language] = threshold
        automation[language] = float(np.mean((eligible & (p_positive >= threshold))[positive]))
    return thresholds, automation


def derive_routing_points(
    reviews: Sequence[LabelledText],
    review_predictions: Sequence[Prediction],
    sentences: Sequence[LabelledText],
    sentence_probabilities: npt.NDArray[np.float64],
    *,
    max_miss_rate: float = 0.01,
    min_sentence_recall: float = 0.9,
    share: float = PASSAGE_SHARE,
    fallback_threshold: float = 1.0,
) -> RoutingPoints:
    """Choose the passage threshold and the per-language auto thresholds (module
    docstring). `sentence_probabilities` are the calibrated `[n, 3]` probabilities of
    the validation `sentences`, each read on its own."""
    negative = LABELS.index("negative")
    is_negative = np.array([row.label == "negative" for row in sentences], dtype=bool)
    flagged_at = sentence_probabilities[:, negative] * (
        sentence_probabilities.argmax(axis=1) == negative
    )
    best: tuple[float, float, dict[str, float], dict[str, float], float] | None = None
    for candidate in PASSAGE_GRID:
        recall = float(np.mean(flagged_at[is_negative] >= candidate)) if is_negative.any() else 1.0
        if is_negative.any() and recall < min_sentence_recall and best is not None:
            continue
        thresholds, automation = _thresholds(
            reviews, review_predictions, candidate, share, max_miss_rate
        )
        total = float(sum(automation.values()))
        if best is None or (recall >= min_sentence_recall and total > best[0] + 1e-9):
            best = (total, candidate, thresholds, automation, recall)
    assert best is not None
    _, passage_threshold, thresholds, automation, recall = best
    false_flags = ~is_negative & (flagged_at >= passage_threshold)
    metrics: dict[str, float] = {
        "passage_threshold": passage_threshold,
        "passage_share": share,
        "sentence_negative_recall": recall,
        "sentence_false_flag_rate": float(np.mean(false_flags[~is_negative]))
        if (~is_negative).any()
        else 0.0,
    }
    for language, value in thresholds.items():
        metrics[f"auto_threshold_hotel_{language}"] = value
        metrics[f"dev_positive_automation_hotel_{language}"] = automation[language]
    return RoutingPoints(
        passage_threshold=passage_threshold,
        passage_share=share,
        auto_thresholds=thresholds,
        auto_threshold=max(thresholds.values()) if thresholds else fallback_threshold,
        metrics=metrics,
    )
