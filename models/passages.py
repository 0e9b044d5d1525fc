"""Which passages of a review are complaints, and how much of it complains (torch-free).

The rules live here, beside the model whose passage scores they read, so that the
router (`triage.decisions.routing`) and the calibration that derives its settings
(`models.routing_points`) apply the same rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.prediction import Prediction, SentencePrediction

_WORD = re.compile(r"[^\W_]+", re.UNICODE)

#: Defaults where a model card derived none.
PASSAGE_THRESHOLD = 0.7
PASSAGE_SHARE = 0.2


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def complaint_passages(
    prediction: Prediction, text: str, threshold: float, share: float
) -> list[SentencePrediction]:
    """The passages that make a review that reads positive or neutral overall a case for
    a person: the negative ones (label negative, P(negative) >= `threshold`), when
    together they carry at least `share` of the text's words. One complaint in a short
    review always does ("Super Hotel, alles top! Nur das WLAN war langsam."); a passing
    gripe in a long hymn of praise does not. Empty for a one-passage text (its own
    reading decides)."""
    if len(prediction.sentences) < 2:
        return []
    negative = [
        s
        for s in prediction.sentences
        if s.label == "negative" and s.probabilities["negative"] >= threshold
    ]
    if not negative:
        return []
    words = word_count(text) or 1
    carried = sum(word_count(text[s.start : s.end]) for s in negative) / words
    return negative if carried >= share else []


@dataclass(frozen=True, slots=True)
class AutoScore:
    """The number the auto-handling threshold is compared with, and what it is made of.

    `value = positive * (1 - complaint)`: the text's calibrated P(positive), discounted by
    how much of it complains: `complaint` is the word-weighted mean P(negative) of its
    passages, each read on its own (the text's own P(negative) when it has no passages).
    A review that reads positive as a whole but whose passages grumble scores lower than
    one whose every passage is content; a single sure complaint in a long review lowers
    it a little, as it lowers a reader's impression a little.
    """

    value: float
    positive: float
    complaint: float


def auto_score(prediction: Prediction, text: str) -> AutoScore:
    positive = float(prediction.probabilities["positive"])
    weighted = [
        (word_count(text[s.start : s.end]), float(s.probabilities["negative"]))
        for s in prediction.sentences
    ]
    words = sum(w for w, _ in weighted)
    complaint = (
        sum(w * p for w, p in weighted) / words
        if words
        else float(prediction.probabilities["negative"])
    )
    return AutoScore(value=positive * (1.0 - complaint), positive=positive, complaint=complaint)
