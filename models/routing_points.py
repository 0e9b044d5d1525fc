"""Where the router decides, derived on hotel-like validation data (numpy only).

A trained model's scores become routing decisions through three numbers on its
card: the passage threshold (P(negative) from which a passage read on its own is
a complaint), the passage share (`models.passages`), and an auto-handling
threshold per language. They are chosen here, on the validation rows that look
like what the service reads (hand-written hotel reviews and sentences, the
operator's own verdicts) and, for the thresholds, on every validation file of
the language (its tweets too).

1. Passage threshold: of a grid, the value that auto-handles the most positive
   hotel reviews across languages at the per-language thresholds of step 2,
   among those that still flag at least `min_sentence_recall` of the negative
   validation sentences (ties: the lower, more careful value).
2. Per validation file, the loosest automation-score threshold
   (`models.passages.auto_score`) that auto-handles at most `max_miss_rate` of
   the reviews a person must see (negative and mixed), counting only reviews
   the passage rule lets through: the router's own view. Per language, the
   strictest of its files' thresholds, never below a floor. Hand-written reviews
   are easier than real guests' (measured: ROC AUC 0.99 against 0.90 on real
   German reviews), so a language's tweets, where it has them, also bind.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from models.calibration import loosest_auto_threshold
from models.data import MIXED, LabelledText, is_hotel_review
from models.passages import PASSAGE_SHARE, auto_score, complaint_passages
from models.prediction import LABELS, Prediction

PASSAGE_GRID = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95)
#: No derived threshold lets a review with an automation score below this go alone.
AUTO_THRESHOLD_FLOOR = 0.5


@dataclass(frozen=True, slots=True)
class RoutingPoints:
    passage_threshold: float
    passage_share: float
    auto_thresholds: dict[str, float]
    #: The strictest of `auto_thresholds`: for a language without its own.
    auto_threshold: float
    metrics: dict[str, float] = field(default_factory=dict)


def _file_threshold(
    rows: Sequence[LabelledText],
    predictions: Sequence[Prediction],
    passage_threshold: float,
    share: float,
    max_miss_rate: float,
) -> tuple[float, npt.NDArray[np.bool_], npt.NDArray[np.float64]] | None:
    """The loosest automation-score threshold for one validation file in the router's
    view, which positive rows it lets through, and their scores; None when the file holds
    no row a person must see."""
    labels = [row.label for row in rows]
    must_see = np.array([label in ("negative", MIXED) for label in labels], dtype=bool)
    if not must_see.any():
        return None
    scores = np.array(
        [
            auto_score(prediction, row.text).value
            if prediction.label == "positive"
            and not complaint_passages(prediction, row.text, passage_threshold, share)
            else -1.0
            for row, prediction in zip(rows, predictions, strict=True)
        ]
    )
    eligible = scores >= 0.0
    threshold = loosest_auto_threshold(scores, eligible, must_see, max_miss_rate=max_miss_rate)
    return threshold, eligible, scores


def _language(rows: Sequence[LabelledText]) -> str:
    languages = [row.lang for row in rows]
    return max(sorted(set(languages)), key=languages.count)


def _thresholds(
    files: Mapping[str, tuple[Sequence[LabelledText], Sequence[Prediction]]],
    passage_threshold: float,
    share: float,
    max_miss_rate: float,
    floor: float,
) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """Per language the strictest of its files' thresholds (never below `floor`), the
    automation of positive hotel reviews it gives, and each file's own threshold."""
    per_file: dict[str, float] = {}
    thresholds: dict[str, float] = {}
    hotel: dict[str, list[tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]]] = {}
    for name, (rows, predictions) in files.items():
        found = _file_threshold(rows, predictions, passage_threshold, share, max_miss_rate)
        if found is None:
            continue
        threshold, _, scores = found
        per_file[name] = threshold
        language = _language(rows)
        thresholds[language] = max(thresholds.get(language, floor), threshold)
        if any(is_hotel_review(row) for row in rows):
            positive = np.array([row.label == "positive" for row in rows], dtype=bool)
            hotel.setdefault(language, []).append((scores, positive))
    automation = {
        language: float(np.mean(np.concatenate([s[p] for s, p in parts]) >= thresholds[language]))
        for language, parts in hotel.items()
        if language in thresholds
    }
    return thresholds, automation, per_file


def derive_routing_points(
    files: Mapping[str, tuple[Sequence[LabelledText], Sequence[Prediction]]],
    sentences: Sequence[LabelledText],
    sentence_probabilities: npt.NDArray[np.float64],
    *,
    max_miss_rate: float = 0.01,
    min_sentence_recall: float = 0.9,
    share: float = PASSAGE_SHARE,
    floor: float = AUTO_THRESHOLD_FLOOR,
    fallback_threshold: float = 1.0,
) -> RoutingPoints:
    """Choose the passage threshold and the per-language auto thresholds (module
    docstring). `files` holds each validation file's review rows with their predictions;
    `sentence_probabilities` are the calibrated `[n, 3]` probabilities of the validation
    `sentences`, each read on its own."""
    negative = LABELS.index("negative")
    is_negative = np.array([row.label == "negative" for row in sentences], dtype=bool)
    flagged_at = sentence_probabilities[:, negative] * (
        sentence_probabilities.argmax(axis=1) == negative
    )
    best: tuple[float, float, dict[str, float], dict[str, float], dict[str, float], float] | None
    best = None
    for candidate in PASSAGE_GRID:
        recall = float(np.mean(flagged_at[is_negative] >= candidate)) if is_negative.any() else 1.0
        if recall < min_sentence_recall and best is not None:
            continue
        thresholds, automation, per_file = _thresholds(
            files, candidate, share, max_miss_rate, floor
        )
        total = float(sum(automation.values()))
        if best is None or (recall >= min_sentence_recall and total > best[0] + 1e-9):
            best = (total, candidate, thresholds, automation, per_file, recall)
    assert best is not None
    _, passage_threshold, thresholds, automation, per_file, recall = best
    false_flags = ~is_negative & (flagged_at >= passage_threshold)
    metrics: dict[str, float] = {
        "passage_threshold": passage_threshold,
        "passage_share": share,
        "sentence_negative_recall": recall,
        "sentence_false_flag_rate": float(np.mean(false_flags[~is_negative]))
        if (~is_negative).any()
        else 0.0,
    }
    for name, value in per_file.items():
        metrics[f"routed_threshold_{name}"] = value
    for language, value in thresholds.items():
        metrics[f"auto_threshold_{language}"] = value
    for language, value in automation.items():
        metrics[f"dev_positive_automation_hotel_{language}"] = value
    return RoutingPoints(
        passage_threshold=passage_threshold,
        passage_share=share,
        auto_thresholds=thresholds,
        auto_threshold=max(thresholds.values()) if thresholds else fallback_threshold,
        metrics=metrics,
    )
