"""The routing policy: a pure function of prediction, review facts and property policy.

`decide()` returns the route (`auto` or `human`), every reason with a sentence a
person understands, a priority and a due time. Only confident, unambiguous,
supported, risk-free positive feedback is handled automatically; anything in
doubt goes to a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from models import Prediction
from models.passages import (
    PASSAGE_SHARE,
    PASSAGE_THRESHOLD,
    AutoScore,
    complaint_passages,
)
from models.passages import auto_score as passage_auto_score
from triage.decisions.safety import CATEGORY_NAMES, find_safety_terms

Route = Literal["auto", "human"]

#: Priority 1 is the most urgent.
URGENT, HIGH, NORMAL, LOW = 1, 2, 3, 4
DEFAULT_SLA_HOURS: Mapping[int, float] = {URGENT: 2.0, HIGH: 12.0, NORMAL: 24.0, LOW: 72.0}


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a review went where it went: a stable code and a sentence for people."""

    code: str
    explanation: str
    evidence: Mapping[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "explanation": self.explanation}
        if self.evidence is not None:
            data["evidence"] = dict(self.evidence)
        return data


#: Which auto-handling threshold applies to a review: the top-rating one for a review
#: rated at or above `RoutingPolicy.high_rating` whose text reads positive with no
#: negative passage, the default one otherwise.
ThresholdGroup = Literal["default", "top_rating"]


@dataclass(frozen=True, slots=True)
class Decision:
    """Where a review goes and why.

    `auto_score` is the number the auto-handling threshold was compared with (the
    text's P(positive) discounted by how much its passages complain,
    `models.passages.auto_score`) for a review nothing but that threshold could
    keep from a person; it is None when another reason (a complaint, a negative
    passage, a safety term, a low rating, the language, a failed model) sends it to a
    person whatever the threshold. So at any threshold t, the reviews that would have
    been auto-handled are exactly those with `auto_score >= t`: what threshold learning
    (`triage.decisions.thresholds`) needs. `threshold_group` says which threshold applied.
    """

    route: Route
    reasons: tuple[Reason, ...]
    priority: int | None
    due_at: datetime | None
    auto_score: float | None = None
    threshold_group: ThresholdGroup = "default"


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    """A property's thresholds. Defaults come from the model's calibration.

    auto_threshold: minimum calibrated P(positive) to handle a review alone.
    top_rating_auto_threshold: the same for a review rated at or above `high_rating` whose
      text reads positive with no negative passage (None: `auto_threshold` applies).
    high_priority_confidence: P(negative) from which a complaint is high priority.
    passage_threshold: P(negative) from which a passage (a sentence or clause, read on its
      own) counts as a complaint.
    passage_share: share of the text's words that complaint passages must carry to send a
      review that reads positive overall to a person (`models.passages`).
    low_rating / high_rating: normalised rating (value / scale) at or below / at or above
      which a rating contradicts positive / negative text. A rating at or below the middle
      of its scale is low: 2 of 5, 4 of 9 (the lower half of a 1-9 scale), 5 of 10.
    """

    auto_threshold: float
    top_rating_auto_threshold: float | None = None
    high_priority_confidence: float = 0.8
    passage_threshold: float = PASSAGE_THRESHOLD
    passage_share: float = PASSAGE_SHARE
    low_rating: float = 0.5
    high_rating: float = 0.8
    sla_hours: Mapping[int, float] = field(default_factory=lambda: dict(DEFAULT_SLA_HOURS))
    safety_terms: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReviewFacts:
    """What the policy needs to know about a review besides the model's opinion."""

    text: str
    received_at: datetime
    language: str | None
    language_problem: str | None = None
    rating_value: float | None = None
    rating_scale: int | None = None

    @property
    def rating(self) -> float | None:
        if self.rating_value is None or not self.rating_scale:
            return None
        return self.rating_value / self.rating_scale

    def rating_words(self) -> str:
        return f"{self.rating_value:g} of {self.rating_scale}"


def _pct(p: float) -> str:
    return f"{round(100 * p)}%"


def decide(prediction: Prediction | None, facts: ReviewFacts, policy: RoutingPolicy) -> Decision:
    """Route one review. `prediction` is None when the model failed or is not loaded."""
    reasons: list[tuple[int, Reason]] = []

    for match in find_safety_terms(facts.text, policy.safety_terms):
        topic = CATEGORY_NAMES[match.category][0]
        reasons.append(
            (
                URGENT,
                Reason(
                    "safety_term",
                    f"Mentions '{match.term}' ({topic}): a safety topic always goes to a "
                    "person first.",
                    {"category": match.category, "start": match.start, "end": match.end},
                ),
            )
        )

    low_rating = facts.rating is not None and facts.rating <= policy.low_rating
    group: ThresholdGroup = "default"
    if facts.language_problem is not None:
        # The model is not asked to read such a text: the language is the reason, not the model.
        reasons.append(
            (HIGH if low_rating else NORMAL, Reason("unsupported_language", facts.language_problem))
        )
    elif prediction is None:
        reasons.append(
            (
                HIGH if low_rating else NORMAL,
                Reason(
                    "model_unavailable",
                    "The sentiment model could not read this review, so a person must.",
                ),
            )
        )
    else:
        reasons.extend(_sentiment_reasons(prediction, facts, policy, low_rating=low_rating))

    # Only the threshold stands between this review and automatic handling.
    score: AutoScore | None = None
    if not reasons and prediction is not None and prediction.label == "positive":
        score = passage_auto_score(prediction, facts.text)
        threshold = policy.auto_threshold
        top = facts.rating is not None and facts.rating >= policy.high_rating
        if top and policy.top_rating_auto_threshold is not None:
            group, threshold = "top_rating", policy.top_rating_auto_threshold
        if score.value < threshold:
            needs = f"automatic handling needs {_pct(threshold)}"
            if group == "top_rating":
                needs += f" with a rating of {facts.rating_words()}"
            reasons.append(
                (
                    NORMAL,
                    Reason(
                        "low_confidence",
                        f"Positive, {_pct(score.positive)} sure, but {_score_words(score)} "
                        f"({needs}).",
                    ),
                )
            )

    auto_score = score.value if score is not None else None
    if not reasons:
        assert score is not None
        why = f"Positive, {_pct(score.positive)} sure, {_score_words(score)}, with no risk found"
        top_threshold = policy.top_rating_auto_threshold
        if (
            group == "top_rating"
            and top_threshold is not None
            and top_threshold < policy.auto_threshold
        ):
            why += (
                f"; rated {facts.rating_words()} with no negative passage, so "
                f"{_pct(top_threshold)} suffices (otherwise {_pct(policy.auto_threshold)})"
            )
        return Decision(
            route="auto",
            reasons=(Reason("confident_positive", f"{why}: no person needed."),),
            priority=None,
            due_at=None,
            auto_score=auto_score,
            threshold_group=group,
        )
    priority = min(p for p, _ in reasons)
    hours = policy.sla_hours.get(priority, DEFAULT_SLA_HOURS[priority])
    return Decision(
        route="human",
        reasons=tuple(reason for _, reason in sorted(reasons, key=lambda pr: pr[0])),
        priority=priority,
        due_at=facts.received_at + timedelta(hours=hours),
        auto_score=auto_score,
        threshold_group=group,
    )


def _score_words(score: AutoScore) -> str:
    return (
        f"its passages {_pct(score.complaint)} negative on the whole: "
        f"automation score {_pct(score.value)}"
    )


def _sentiment_reasons(
    prediction: Prediction, facts: ReviewFacts, policy: RoutingPolicy, *, low_rating: bool
) -> list[tuple[int, Reason]]:
    """Every reason the model's reading gives to see a person, apart from the threshold."""
    probs = prediction.probabilities
    reasons: list[tuple[int, Reason]] = []
    label = prediction.label
    if label == "negative":
        sure = probs["negative"]
        urgent = sure >= policy.high_priority_confidence or low_rating
        reasons.append(
            (
                HIGH if urgent else NORMAL,
                Reason("negative_sentiment", f"Negative, {_pct(sure)} sure."),
            )
        )
        if facts.rating is not None and facts.rating >= policy.high_rating:
            reasons.append(
                (
                    NORMAL,
                    Reason(
                        "mixed_signals",
                        f"Rated {facts.rating_words()}, but the text reads negative.",
                        {"kind": "rating_contradicts_text"},
                    ),
                )
            )
        return reasons
    if label == "neutral":
        reasons.append(
            (
                LOW,
                Reason(
                    "neutral_sentiment",
                    f"Neutral, {_pct(probs['neutral'])} sure: only clear praise is handled "
                    "automatically.",
                ),
            )
        )
    if low_rating:
        reasons.append(
            (
                HIGH,
                Reason(
                    "mixed_signals",
                    f"Rated {facts.rating_words()}, but the text does not read negative: "
                    "a low rating always reaches a person.",
                    {"kind": "rating_contradicts_text"},
                ),
            )
        )
    complaints = complaint_passages(
        prediction, facts.text, policy.passage_threshold, policy.passage_share
    )
    if complaints:
        worst = max(complaints, key=lambda s: s.probabilities["negative"])
        count = len(complaints)
        passages = "a passage reads" if count == 1 else f"{count} passages read"
        reasons.append(
            (
                NORMAL,
                Reason(
                    "mixed_signals",
                    f"Mostly {label}, but {passages} negative "
                    f"(up to {_pct(worst.probabilities['negative'])} sure).",
                    {
                        "kind": "negative_passage",
                        "spans": [[s.start, s.end] for s in complaints],
                    },
                ),
            )
        )
    return reasons
