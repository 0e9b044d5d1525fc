"""Which passages of a review are complaints a person must see (torch-free).

The rule lives here, beside the model whose passage scores it reads, so that the
router (`triage.routing`) and the calibration that derives its settings
(`models.recipe`) apply the same rule.
"""

from __future__ import annotations

import re

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
