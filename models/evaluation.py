"""Evaluate any `SentimentClassifier` on labelled rows.

Three-class metrics use rows labelled negative/neutral/positive (`mixed` rows
are counted in `skipped`). `binary_accuracy` uses the rows labelled negative or
positive and counts a hit when the more probable of P(negative) and
P(positive) is the gold label. A text is auto-handled when it is predicted
positive with P(positive) >= the classifier's `auto_threshold`;
`negative_miss_rate` is the share of true negatives auto-handled.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TypedDict

import numpy as np
import numpy.typing as npt

from models.calibration import expected_calibration_error, macro_f1
from models.data import LabelledText
from models.prediction import LABELS, SentimentClassifier

logger = logging.getLogger(__name__)


class LanguageReport(TypedDict):
    rows: int
    accuracy: float
    macro_f1: float


class EvaluationReport(TypedDict):
    rows: int
    skipped: int
    accuracy: float
    macro_f1: float
    negative_recall: float
    binary_accuracy: float
    binary_rows: int
    ece: float
    automation_rate: float
    negative_miss_rate: float
    auto_threshold: float
    model_version: str
    per_language: dict[str, LanguageReport]
    confusion: dict[str, dict[str, int]]
    ms_per_text: float


def _scores(predicted: npt.NDArray[np.int64], gold: npt.NDArray[np.int64]) -> tuple[float, float]:
    if len(gold) == 0:
        return 0.0, 0.0
    return float(np.mean(predicted == gold)), macro_f1(predicted, gold, len(LABELS))


def evaluate(
    classifier: SentimentClassifier, rows: Sequence[LabelledText], *, batch_size: int = 64
) -> EvaluationReport:
    """Score `classifier` on `rows` (see the module docstring for definitions)."""
    scored = [row for row in rows if row.label in LABELS]
    probs = np.zeros((len(scored), len(LABELS)))
    started = time.perf_counter()
    for start in range(0, len(scored), batch_size):
        batch = scored[start : start + batch_size]
        for offset, prediction in enumerate(classifier.predict([row.text for row in batch])):
            probs[start + offset] = [prediction.probabilities[label] for label in LABELS]
    elapsed = time.perf_counter() - started
    gold = np.asarray([LABELS.index(row.label) for row in scored], dtype=np.int64)
    predicted = probs.argmax(axis=1) if len(scored) else np.zeros(0, dtype=np.int64)
    accuracy, f1 = _scores(predicted, gold)
    neg, pos = LABELS.index("negative"), LABELS.index("positive")
    is_neg = gold == neg
    threshold = classifier.info.auto_threshold
    auto = (predicted == pos) & (probs[:, pos] >= threshold)
    binary = (gold == neg) | (gold == pos)
    binary_hit = np.where(probs[:, pos] > probs[:, neg], pos, neg) == gold
    per_language: dict[str, LanguageReport] = {}
    for lang in sorted({row.lang for row in scored}):
        mask = np.asarray([row.lang == lang for row in scored])
        lang_accuracy, lang_f1 = _scores(predicted[mask], gold[mask])
        per_language[lang] = {
            "rows": int(mask.sum()),
            "accuracy": lang_accuracy,
            "macro_f1": lang_f1,
        }
    confusion = {
        g: {p: int(np.sum((gold == gi) & (predicted == pi))) for pi, p in enumerate(LABELS)}
        for gi, g in enumerate(LABELS)
    }
    version = classifier.info.version
    logger.info("evaluated model %s on %d rows in %.1f s", version, len(scored), elapsed)
    return {
        "rows": len(scored),
        "skipped": len(rows) - len(scored),
        "accuracy": accuracy,
        "macro_f1": f1,
        "negative_recall": float(np.mean(predicted[is_neg] == neg)) if is_neg.any() else 0.0,
        "binary_accuracy": float(np.mean(binary_hit[binary])) if binary.any() else 0.0,
        "binary_rows": int(binary.sum()),
        "ece": expected_calibration_error(probs, gold),
        "automation_rate": float(np.mean(auto)) if len(scored) else 0.0,
        "negative_miss_rate": float(np.mean(auto[is_neg])) if is_neg.any() else 0.0,
        "auto_threshold": threshold,
        "model_version": version,
        "per_language": per_language,
        "confusion": confusion,
        "ms_per_text": 1000.0 * elapsed / max(len(scored), 1),
    }
