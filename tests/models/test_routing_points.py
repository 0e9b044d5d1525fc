"""Routing points derived on hotel-like validation rows: synthetic predictions, exact answers."""

from __future__ import annotations

import numpy as np
import pytest

from models.calibration import automation_at_miss_rate, roc_auc
from models.data import LabelledText
from models.prediction import Prediction, SentencePrediction
from models.routing_points import derive_routing_points


def review(
    i: int, label: str, lang: str, text: str = "Schönes Haus. Gerne wieder."
) -> LabelledText:
    return LabelledText(f"r{i}", text, label, lang, "guest-triage-handwritten")


def prediction(p_pos: float, passage_neg: float | None = None) -> Prediction:
    probs = {"negative": (1 - p_pos) * 0.8, "neutral": (1 - p_pos) * 0.2, "positive": p_pos}
    sentences: tuple[SentencePrediction, ...] = ()
    if passage_neg is not None:
        rest = 1 - passage_neg
        sentences = (
            SentencePrediction(
                0, 13, "positive", {"negative": 0.0, "neutral": 0.1, "positive": 0.9}
            ),
            SentencePrediction(
                14,
                27,
                "negative" if passage_neg > rest else "positive",
                {"negative": passage_neg, "neutral": 0.0, "positive": rest},
            ),
        )
    label = max(probs, key=probs.__getitem__)
    return Prediction(label, probs, "m", sentences)


def test_each_language_gets_the_loosest_threshold_that_misses_nothing() -> None:
    rows, preds = [], []
    # German: complaints reach P(pos) 0.8 at most; praise spreads from 0.7 to 0.99.
    for i, p in enumerate([0.99, 0.95, 0.9, 0.85, 0.7]):
        rows.append(review(i, "positive", "de"))
        preds.append(prediction(p))
    for i, p in enumerate([0.8, 0.6, 0.1]):
        rows.append(review(10 + i, "negative", "de"))
        preds.append(prediction(p))
    # English: one mixed review reads 0.97 overall, but its complaint passage is sure.
    for i, p in enumerate([0.99, 0.96]):
        rows.append(review(20 + i, "positive", "en"))
        preds.append(prediction(p))
    rows.append(review(30, "mixed", "en"))
    preds.append(prediction(0.97, passage_neg=0.95))
    rows.append(review(31, "negative", "en"))
    preds.append(prediction(0.2))
    points = derive_routing_points(rows, preds, [], np.zeros((0, 3)))
    assert points.auto_thresholds["de"] == pytest.approx(np.nextafter(0.8, 1.0))
    # The mixed review is caught by its passage, so English praise is all automated.
    assert points.auto_thresholds["en"] == 0.0
    assert points.auto_threshold == points.auto_thresholds["de"]
    assert points.metrics["dev_positive_automation_hotel_de"] == pytest.approx(0.8)
    assert points.metrics["dev_positive_automation_hotel_en"] == 1.0


def test_the_passage_threshold_keeps_the_recall_of_complaint_sentences() -> None:
    rows = [review(0, "positive", "en"), review(1, "mixed", "en")]
    # The mixed review's complaint passage is only 0.75 sure.
    preds = [prediction(0.99), prediction(0.99, passage_neg=0.75)]
    sentences = [
        LabelledText(f"s{i}", "x", label, "en", "guest-triage-handwritten-sentences")
        for i, label in enumerate(["negative"] * 10 + ["positive"] * 10)
    ]
    # Nine of ten complaint sentences read at 0.95, one at 0.55; praise reads positive.
    probs = np.array([[0.95, 0.0, 0.05]] * 9 + [[0.55, 0.0, 0.45]] + [[0.1, 0.0, 0.9]] * 10)
    points = derive_routing_points(rows, preds, sentences, probs, min_sentence_recall=0.9)
    # 0.5 and 0.6/0.7 flag the mixed review (automation 1.0), 0.8+ miss it (then the
    # threshold must rise above 0.99 and praise is not automated); recall 0.9 holds to 0.95.
    assert points.passage_threshold == 0.5
    assert points.auto_thresholds["en"] == 0.0
    assert points.metrics["sentence_negative_recall"] == 1.0
    assert points.metrics["sentence_false_flag_rate"] == 0.0


def test_roc_auc_and_automation_at_a_miss_rate() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.5])
    positive = np.array([True, True, False, True, False, True])
    assert roc_auc(scores, positive) == pytest.approx((2 + 2 + 1 + 0.5) / 8)
    share, threshold = automation_at_miss_rate(scores, positive, ~positive, max_miss_rate=0.0)
    assert threshold == pytest.approx(np.nextafter(0.7, 1.0))
    assert share == pytest.approx(0.5)
    share, _ = automation_at_miss_rate(scores, positive, ~positive, max_miss_rate=0.5)
    assert share == pytest.approx(0.75)
