"""Metrics of a classifier on labelled rows (the numbers `triage eval` prints).

Three-class metrics (accuracy, macro-F1, confusion, ECE) use the rows labelled
negative / neutral / positive; `mixed` rows count in `n_mixed` only. When the
data holds only negative and positive labels, the metrics are binary: the
prediction is the more probable of negative and positive, and ECE uses those
two probabilities renormalised.

`automation_rate` / `negative_miss_rate` here are the model-only view: a text
is auto-handled when predicted positive with P(positive) >= the model's
threshold. `triage eval` adds the full router's view (safety terms, mixed
passages, language) on top.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from models.calibration import (
    automation_at_miss_rate,
    expected_calibration_error,
    macro_f1,
    roc_auc,
)
from models.data import MIXED, LabelledText
from models.prediction import LABELS, Prediction, SentimentClassifier

FloatArray = npt.NDArray[np.float64]
NEG, NEU, POS = (LABELS.index(label) for label in LABELS)


def predict_all(
    classifier: SentimentClassifier, texts: Sequence[str], *, batch_size: int = 64
) -> tuple[list[Prediction], float]:
    """Predictions for all texts, and the milliseconds spent per text."""
    predictions: list[Prediction] = []
    started = time.perf_counter()
    for start in range(0, len(texts), batch_size):
        predictions.extend(classifier.predict(list(texts[start : start + batch_size])))
    elapsed = time.perf_counter() - started
    return predictions, 1000.0 * elapsed / max(len(texts), 1)


def probabilities(predictions: Sequence[Prediction]) -> FloatArray:
    return np.array(
        [[p.probabilities[label] for label in LABELS] for p in predictions], dtype=np.float64
    ).reshape(len(predictions), len(LABELS))


def _block(probs: FloatArray, gold: npt.NDArray[np.int64], binary: bool) -> dict[str, Any]:
    if len(gold) == 0:
        return {"n": 0, "accuracy": 0.0, "macro_f1": 0.0}
    if binary:
        predicted = np.where(probs[:, POS] > probs[:, NEG], POS, NEG)
        classes = [NEG, POS]
        remap = {NEG: 0, POS: 1}
        f1 = macro_f1(
            np.array([remap[int(p)] for p in predicted]),
            np.array([remap[int(g)] for g in gold]),
            2,
        )
    else:
        predicted = probs.argmax(axis=1)
        classes = [NEG, NEU, POS]
        f1 = macro_f1(predicted, gold, len(LABELS))
    return {
        "n": len(gold),
        "accuracy": float(np.mean(predicted == gold)),
        "macro_f1": f1,
        "_predicted": predicted,
        "_classes": classes,
    }


def report(
    probs: FloatArray, rows: Sequence[LabelledText], *, auto_threshold: float
) -> dict[str, Any]:
    """The evaluation report for predicted `probs` of `rows` (same order)."""
    labels = [row.label for row in rows]
    scored = np.array([label in LABELS for label in labels], dtype=bool)
    present = {label for label in labels if label in LABELS}
    binary = bool(present) and present <= {"negative", "positive"}
    gold = np.array([LABELS.index(label) for label in labels if label in LABELS], dtype=np.int64)
    p = probs[scored]
    main = _block(p, gold, binary)
    predicted = main.pop("_predicted", np.zeros(0, dtype=np.int64))
    classes = main.pop("_classes", [])
    if binary and len(gold):
        pair = p[:, [NEG, POS]] / np.maximum(p[:, [NEG, POS]].sum(axis=1, keepdims=True), 1e-12)
        ece = expected_calibration_error(pair, (gold == POS).astype(np.int64))
    else:
        ece = expected_calibration_error(p, gold) if len(gold) else 0.0
    is_negative = gold == NEG
    # Ranking of praise against texts a person must see (negative and mixed).
    is_positive_all = np.array([label == "positive" for label in labels], dtype=bool)
    must_see_all = np.array([label in ("negative", MIXED) for label in labels], dtype=bool)
    either = is_positive_all | must_see_all
    margin = probs[:, POS] - probs[:, NEG]
    auc = roc_auc(margin[either], is_positive_all[either])
    oracle, _ = automation_at_miss_rate(
        np.where(probs.argmax(axis=1) == POS, probs[:, POS], -1.0),
        is_positive_all,
        must_see_all,
    )
    auto_all = (probs.argmax(axis=1) == POS) & (probs[:, POS] >= auto_threshold)
    auto = auto_all[scored]
    mixed = np.array([label == MIXED for label in labels], dtype=bool)
    per_language: dict[str, dict[str, Any]] = {}
    langs = np.array([row.lang for row in rows])[scored]
    for lang in sorted(set(langs.tolist())):
        block = _block(p[langs == lang], gold[langs == lang], binary)
        block.pop("_predicted", None)
        block.pop("_classes", None)
        per_language[lang] = block
    names = [LABELS[c] for c in classes]
    confusion = {
        LABELS[g]: {LABELS[c]: int(np.sum((gold == g) & (predicted == c))) for c in classes}
        for g in classes
    }
    return {
        "n": int(scored.sum()),
        "n_mixed": int(mixed.sum()),
        "task": "binary" if binary else "three_class",
        "labels": names,
        "accuracy": main["accuracy"],
        "macro_f1": main["macro_f1"],
        "negative_recall": float(np.mean(predicted[is_negative] == NEG))
        if is_negative.any()
        else 0.0,
        "ece": ece,
        "per_language": per_language,
        "confusion": confusion,
        "roc_auc": auc,
        "model_positive_automation_at_1pct_miss": oracle,
        "auto_threshold": auto_threshold,
        "model_automation_rate": float(np.mean(auto_all)) if len(rows) else 0.0,
        "model_negative_miss_rate": float(np.mean(auto[is_negative])) if is_negative.any() else 0.0,
        "model_mixed_miss_rate": float(np.mean(auto_all[mixed])) if mixed.any() else 0.0,
    }


def reliability(
    probs: FloatArray, gold: npt.NDArray[np.int64], bins: int = 10
) -> list[tuple[float, float, int]]:
    """(mean confidence, accuracy, count) per confidence bin, for the reliability plot."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == gold
    edges = np.linspace(0.0, 1.0, bins + 1)
    out = []
    for lo, hi in itertools.pairwise(edges):
        mask = (confidence > lo) & (confidence <= hi)
        if mask.any():
            out.append(
                (float(confidence[mask].mean()), float(correct[mask].mean()), int(mask.sum()))
            )
    return out


def evaluate(
    classifier: SentimentClassifier, rows: Sequence[LabelledText], *, batch_size: int = 64
) -> dict[str, Any]:
    """Predict and report in one call (model-only routing view)."""
    predictions, ms = predict_all(classifier, [row.text for row in rows], batch_size=batch_size)
    out = report(probabilities(predictions), rows, auto_threshold=classifier.info.auto_threshold)
    out["model_version"] = classifier.info.version
    out["ms_per_text"] = ms
    return out
