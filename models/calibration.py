"""Calibration and decision-point maths on probability arrays (numpy only).

Labels are integer indices into `models.prediction.LABELS`.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def softmax(logits: npt.NDArray[np.floating], temperature: float = 1.0) -> FloatArray:
    """Row-wise softmax of `logits / temperature`."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    result: FloatArray = e / e.sum(axis=1, keepdims=True)
    return result


def negative_log_likelihood(
    logits: npt.NDArray[np.floating], labels: IntArray, temperature: float
) -> float:
    """Mean NLL of `labels` under `softmax(logits / temperature)`."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(z).sum(axis=1))
    return float(np.mean(log_norm - z[np.arange(len(labels)), labels]))


def fit_temperature(
    logits: npt.NDArray[np.floating], labels: IntArray, *, iterations: int = 80
) -> float:
    """The temperature T > 0 minimising validation NLL.

    The NLL is convex in 1/T, hence unimodal in log T: golden-section search
    on log T over [1/20, 20].
    """
    if len(labels) == 0:
        raise ValueError("cannot fit a temperature on no examples")
    lo, hi = math.log(0.05), math.log(20.0)
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa = negative_log_likelihood(logits, labels, math.exp(a))
    fb = negative_log_likelihood(logits, labels, math.exp(b))
    for _ in range(iterations):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = negative_log_likelihood(logits, labels, math.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = negative_log_likelihood(logits, labels, math.exp(b))
    return math.exp((lo + hi) / 2.0)


def expected_calibration_error(
    probabilities: npt.NDArray[np.floating], labels: IntArray, *, bins: int = 15
) -> float:
    """ECE: bin by confidence (max probability), weighted |accuracy - confidence|."""
    if len(labels) == 0:
        return 0.0
    probs = np.asarray(probabilities, dtype=np.float64)
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == labels).astype(np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = index == b
        if mask.any():
            total += mask.sum() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(total / len(labels))


def loosest_auto_threshold(
    p_positive: npt.NDArray[np.floating],
    predicted_positive: npt.NDArray[np.bool_],
    must_see: npt.NDArray[np.bool_],
    *,
    max_miss_rate: float = 0.01,
) -> float:
    """The lowest P(positive) threshold that auto-handles at most `max_miss_rate`
    of the `must_see` texts (true negatives, and mixed ones).

    A text is auto-handled when it is predicted positive and its P(positive) is
    at least the threshold. Returns 0.0 when even no threshold breaks the limit,
    and a value just above 1.0 is never needed: a threshold above every
    offending score is always found.
    """
    n_must_see = int(must_see.sum())
    if n_must_see == 0:
        raise ValueError("no negative validation texts to derive a threshold from")
    allowed = math.floor(max_miss_rate * n_must_see + 1e-9)
    offending = np.sort(np.asarray(p_positive, dtype=np.float64)[must_see & predicted_positive])[
        ::-1
    ]
    if len(offending) <= allowed:
        return 0.0
    # Auto-handle at most `allowed` of them: the threshold must exceed the next score.
    return float(min(1.0, np.nextafter(offending[allowed], np.inf)))


def macro_f1(predicted: IntArray, labels: IntArray, n_classes: int) -> float:
    """Macro-averaged F1 over the classes present in `labels` or `predicted`."""
    scores = []
    for c in range(n_classes):
        tp = int(np.sum((predicted == c) & (labels == c)))
        fp = int(np.sum((predicted == c) & (labels != c)))
        fn = int(np.sum((predicted != c) & (labels == c)))
        if tp + fp + fn == 0:
            continue
        scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores)) if scores else 0.0


def roc_auc(scores: npt.NDArray[np.floating], positive: npt.NDArray[np.bool_]) -> float:
    """Area under the ROC curve of `scores` separating `positive` from the rest (ties
    count half); NaN when either side is empty."""
    scores = np.asarray(scores, dtype=np.float64)
    positive = np.asarray(positive, dtype=bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[order] = np.arange(1, len(scores) + 1, dtype=np.float64)
    # Average the ranks of tied scores.
    sorted_scores = scores[order]
    start = 0
    for end in range(1, len(scores) + 1):
        if end == len(scores) or sorted_scores[end] != sorted_scores[start]:
            ranks[order[start:end]] = (start + 1 + end) / 2.0
            start = end
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def automation_at_miss_rate(
    scores: npt.NDArray[np.floating],
    positive: npt.NDArray[np.bool_],
    must_see: npt.NDArray[np.bool_],
    *,
    max_miss_rate: float = 0.01,
) -> tuple[float, float]:
    """The share of `positive` texts auto-handled at the loosest threshold on `scores`
    (auto-handled: score >= threshold) that auto-handles at most `max_miss_rate` of the
    `must_see` texts, and that threshold. An operating point read off labelled data: it
    measures ranking, it is not a threshold to ship (that one comes from validation data)."""
    scores = np.asarray(scores, dtype=np.float64)
    n_must = int(np.sum(must_see))
    if n_must == 0 or not np.any(positive):
        return float("nan"), float("nan")
    allowed = math.floor(max_miss_rate * n_must + 1e-9)
    offending = np.sort(scores[must_see])[::-1]
    threshold = (
        float(np.nextafter(offending[allowed], np.inf)) if len(offending) > allowed else -np.inf
    )
    return float(np.mean(scores[positive] >= threshold)), threshold
