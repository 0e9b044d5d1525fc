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
    """Nothing negative in the text as a whole: its automation score is `p_pos` unless
    a passage complains."""
    probs = {"negative": 0.0, "neutral": 1 - p_pos, "positive": p_pos}
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


def test_each_language_gets_the_strictest_of_its_files() -> None:
    de_rows, de_preds, en_rows, en_preds = [], [], [], []
    # German: complaints reach 0.8 at most; praise spreads from 0.7 to 0.99.
    for i, p in enumerate([0.99, 0.95, 0.9, 0.85, 0.7]):
        de_rows.append(review(i, "positive", "de"))
        de_preds.append(prediction(p))
    for i, p in enumerate([0.8, 0.6, 0.1]):
        de_rows.append(review(10 + i, "negative", "de"))
        de_preds.append(prediction(p))
    # German tweets: one complaint reads 0.92, so German needs more than 0.92.
    tweets = [
        LabelledText("t0", "Toll!", "positive", "de", "sb10k"),
        LabelledText("t1", "Na toll.", "negative", "de", "sb10k"),
    ]
    tweet_preds = [prediction(0.97), prediction(0.92)]
    # English: one mixed review reads 0.97 overall, but its complaint passage is sure.
    for i, p in enumerate([0.99, 0.96]):
        en_rows.append(review(20 + i, "positive", "en"))
        en_preds.append(prediction(p))
    en_rows.append(review(30, "mixed", "en"))
    en_preds.append(prediction(0.97, passage_neg=0.95))
    en_rows.append(review(31, "negative", "en"))
    en_preds.append(prediction(0.2))
    files = {
        "de_dev": (de_rows, de_preds),
        "de_tweets": (tweets, tweet_preds),
        "en_dev": (en_rows, en_preds),
    }
    points = derive_routing_points(files, [], np.zeros((0, 3)))
    assert points.metrics["routed_threshold_de_dev"] == pytest.approx(np.nextafter(0.8, 1.0))
    assert points.auto_thresholds["de"] == pytest.approx(np.nextafter(0.92, 1.0))
    # The mixed review is caught by its passage: English keeps the floor.
    assert points.auto_thresholds["en"] == 0.5
    assert points.auto_threshold == points.auto_thresholds["de"]
    assert points.metrics["dev_positive_automation_hotel_de"] == pytest.approx(0.4)
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
    points = derive_routing_points(
        {"en_dev": (rows, preds)}, sentences, probs, min_sentence_recall=0.9
    )
    # 0.5 to 0.7 flag the mixed review (praise automated at the floor), 0.8 and up miss
    # it (its score, 0.99 x (1 - 0.75 / 2), is then what praise must beat).
    assert points.passage_threshold == 0.5
    assert points.auto_thresholds["en"] == 0.5
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
