"""A deterministic, torch-free classifier that implements the protocol.

It exists for tests where the model is not the thing under test, and for
running the service without a model. It scores a text by counting a handful of
German and English sentiment words; the same text always gets the same answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from models.prediction import LABELS, ClassifierInfo, Prediction, SentencePrediction
from models.touchpoints import lexicon_hits

_POSITIVE = {
    "good",
    "great",
    "excellent",
    "lovely",
    "wonderful",
    "friendly",
    "clean",
    "perfect",
    "amazing",
    "recommend",
    "nice",
    "comfortable",
    "helpful",
    "best",
    "beautiful",
    "gut",
    "toll",
    "super",
    "sauber",
    "freundlich",
    "wunderbar",
    "perfekt",
    "schön",
    "hervorragend",
    "empfehlen",
    "ausgezeichnet",
    "bequem",
    "hilfsbereit",
    "lecker",
}
_NEGATIVE = {
    "bad",
    "terrible",
    "awful",
    "dirty",
    "rude",
    "noisy",
    "broken",
    "worst",
    "horrible",
    "disappointed",
    "disappointing",
    "cold",
    "slow",
    "never",
    "smelly",
    "unfriendly",
    "schlecht",
    "schrecklich",
    "dreckig",
    "schmutzig",
    "unfreundlich",
    "laut",
    "kaputt",
    "enttäuscht",
    "enttäuschend",
    "kalt",
    "langsam",
    "nie",
    "leider",
    "katastrophe",
}
_WORD = re.compile(r"\w+", re.UNICODE)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*", re.UNICODE)


def _score(text: str) -> dict[str, float]:
    words = [w.lower() for w in _WORD.findall(text)]
    pos = sum(w in _POSITIVE for w in words)
    neg = sum(w in _NEGATIVE for w in words)
    logits = (1.5 * neg, 0.5, 1.5 * pos)
    top = max(logits)
    exps = [math.exp(v - top) for v in logits]
    total = sum(exps)
    return {label: e / total for label, e in zip(LABELS, exps, strict=True)}


def _label(probabilities: dict[str, float]) -> str:
    return max(LABELS, key=lambda label: probabilities[label])


class KeywordClassifier:
    """Counts sentiment words. Deterministic; not a real model."""

    def __init__(self, version: str = "keyword-double-1", auto_threshold: float = 0.8) -> None:
        self._info = ClassifierInfo(version=version, auto_threshold=auto_threshold)

    @property
    def info(self) -> ClassifierInfo:
        return self._info

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        return [self._predict_one(text) for text in texts]

    def _predict_one(self, text: str) -> Prediction:
        probabilities = _score(text)
        sentences = []
        for match in _SENTENCE.finditer(text):
            if not match.group().strip():
                continue
            sentence_probs = _score(match.group())
            sentences.append(
                SentencePrediction(
                    start=match.start(),
                    end=match.end(),
                    label=_label(sentence_probs),
                    probabilities=sentence_probs,
                    # the same torch-free lexicon the real model uses
                    touchpoints=tuple(h.touchpoint for h in lexicon_hits(match.group())),
                )
            )
        return Prediction(
            label=_label(probabilities),
            probabilities=probabilities,
            model_version=self._info.version,
            sentences=tuple(sentences),
        )
