"""Values and protocol shared by every sentiment classifier (torch-free)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

#: The three sentiment labels, in the order every probability vector uses.
LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")


@dataclass(frozen=True, slots=True)
class SentencePrediction:
    """Sentiment of one sentence of a review: `text[start:end]` of the input."""

    start: int
    end: int
    label: str
    probabilities: Mapping[str, float]
    #: Guest-journey touchpoints the sentence is about (codes of `models.touchpoints`).
    touchpoints: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Prediction:
    """What a classifier says about one text.

    `probabilities` maps each of LABELS to a calibrated probability (they sum to 1).
    `sentences` is empty when the classifier does not score sentences.
    """

    label: str
    probabilities: Mapping[str, float]
    model_version: str
    sentences: tuple[SentencePrediction, ...] = field(default=())

    @property
    def confidence(self) -> float:
        return float(self.probabilities[self.label])


@dataclass(frozen=True, slots=True)
class ClassifierInfo:
    """What the service needs to know about a loaded model.

    `auto_threshold` is the calibrated default for auto-handling: the minimum
    probability of `positive` at which a review needs no person. It is derived
    from validation data when the model is trained. `auto_thresholds` holds the
    same per language where hotel-like validation data of that language derived
    one; `threshold_for` picks it. `passage_threshold` (P(negative) from which a
    passage read on its own is a complaint) and `passage_share` (the share of a text's
    words that complaint passages must carry to make a positive review a person's case)
    are calibrated with the model where its training derived them (None: the router's
    defaults).
    """

    version: str
    auto_threshold: float
    languages: tuple[str, ...] = ("de", "en")
    auto_thresholds: Mapping[str, float] = field(default_factory=dict)
    passage_threshold: float | None = None
    passage_share: float | None = None

    def threshold_for(self, language: str | None) -> float:
        """The auto-handling threshold for a review in `language` (the overall one for a
        language without its own)."""
        if language is None:
            return self.auto_threshold
        return float(self.auto_thresholds.get(language, self.auto_threshold))


@runtime_checkable
class SentimentClassifier(Protocol):
    """A sentiment classifier for a batch of texts.

    `predict` returns one Prediction per text, in order. It may raise: callers
    treat any exception as "model unavailable" for that batch.
    """

    @property
    def info(self) -> ClassifierInfo: ...

    def predict(self, texts: Sequence[str]) -> list[Prediction]: ...
