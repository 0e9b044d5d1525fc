"""The routing policy is a pure function: table-driven tests, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models import Prediction, SentencePrediction
from models.sentences import split_passages
from triage.decisions.routing import ReviewFacts, RoutingPolicy, decide

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
POLICY = RoutingPolicy(auto_threshold=0.85)


def pred(
    neg: float, neu: float, pos: float, sentences: tuple[SentencePrediction, ...] = ()
) -> Prediction:
    probs = {"negative": neg, "neutral": neu, "positive": pos}
    return Prediction(max(probs, key=probs.__getitem__), probs, "m-1", sentences)


def facts(
    text: str = "A pleasant stay.",
    language: str | None = "en",
    problem: str | None = None,
    rating: tuple[float, int] | None = None,
) -> ReviewFacts:
    return ReviewFacts(
        text=text,
        received_at=NOW,
        language=language,
        language_problem=problem,
        rating_value=rating[0] if rating else None,
        rating_scale=rating[1] if rating else None,
    )


NEG_SENTENCE = SentencePrediction(
    20, 45, "negative", {"negative": 0.9, "neutral": 0.05, "positive": 0.05}
)
POS_SENTENCE = SentencePrediction(
    0, 19, "positive", {"negative": 0.02, "neutral": 0.03, "positive": 0.95}
)
#: POS_SENTENCE and NEG_SENTENCE are its two passages.
MIXED_TEXT = "Lovely room, great. The breakfast was cold!!"
LONG_PRAISE = (
    "Lovely room, great. The breakfast was cold. "
    + "The staff were warm, helpful and quick, the spa was a delight and the bar lively. " * 3
)


def read_as(text: str, complaint: str) -> tuple[SentencePrediction, ...]:
    """Every passage of `text` read positive, apart from the one that is `complaint`."""
    return tuple(
        SentencePrediction(a, b, "negative", {"negative": 0.95, "neutral": 0.03, "positive": 0.02})
        if text[a:b] == complaint
        else SentencePrediction(
            a, b, "positive", {"negative": 0.01, "neutral": 0.02, "positive": 0.97}
        )
        for a, b in split_passages(text)
    )


CASES = [
    # (name, prediction, facts, route, reason codes, priority)
    ("confident praise", pred(0.01, 0.02, 0.97), facts(), "auto", ["confident_positive"], None),
    # The automation score: P(positive) x (1 - P(negative)) for a text of one passage.
    ("praise at threshold", pred(0.0, 0.15, 0.85), facts(), "auto", ["confident_positive"], None),
    ("praise below threshold", pred(0.0, 0.16, 0.84), facts(), "human", ["low_confidence"], 3),
    (
        "sure praise, but unsure of what is not praise",
        pred(0.1, 0.0, 0.9),
        facts(),
        "human",
        ["low_confidence"],
        3,
    ),
    ("sure complaint", pred(0.91, 0.05, 0.04), facts(), "human", ["negative_sentiment"], 2),
    ("unsure complaint", pred(0.55, 0.25, 0.20), facts(), "human", ["negative_sentiment"], 3),
    (
        "unsure complaint, low rating",
        pred(0.55, 0.25, 0.20),
        facts(rating=(1, 5)),
        "human",
        ["negative_sentiment"],
        2,
    ),
    ("neutral", pred(0.1, 0.8, 0.1), facts(), "human", ["neutral_sentiment"], 4),
    (
        "5 stars but complaint",
        pred(0.9, 0.05, 0.05),
        facts(rating=(5, 5)),
        "human",
        ["negative_sentiment", "mixed_signals"],
        2,
    ),
    (
        "2 of 5 but praise",
        pred(0.01, 0.02, 0.97),
        facts(rating=(2, 5)),
        "human",
        ["mixed_signals"],
        2,
    ),
    (
        "9 of 10 and praise",
        pred(0.01, 0.02, 0.97),
        facts(rating=(9, 10)),
        "auto",
        ["confident_positive"],
        None,
    ),
    (
        "negative passage in praise",
        pred(0.02, 0.03, 0.95, (POS_SENTENCE, NEG_SENTENCE)),
        facts(MIXED_TEXT),
        "human",
        ["mixed_signals"],
        3,
    ),
    (
        "a passing gripe in a long hymn of praise",
        pred(0.01, 0.01, 0.98, read_as(LONG_PRAISE, "The breakfast was cold.")),
        facts(LONG_PRAISE),
        "auto",
        ["confident_positive"],
        None,
    ),
    (
        "a single negative sentence is the review itself",
        pred(0.02, 0.03, 0.95, (NEG_SENTENCE,)),
        facts(),
        "auto",
        ["confident_positive"],
        None,
    ),
    (
        "unsupported language",
        pred(0.01, 0.02, 0.97),
        facts(language="fr", problem="French"),
        "human",
        ["unsupported_language"],
        3,
    ),
    ("model unavailable", None, facts(), "human", ["model_unavailable"], 3),
    (
        "model unavailable, low rating",
        None,
        facts(rating=(1, 5)),
        "human",
        ["model_unavailable"],
        2,
    ),
    (
        "safety term in praise",
        pred(0.01, 0.02, 0.97),
        facts("Lovely hotel but I found bedbugs in the bed."),
        "human",
        ["safety_term"],
        1,
    ),
    (
        "German safety compound",
        pred(0.01, 0.02, 0.97),
        facts("Schönes Zimmer, aber Schimmelbefall im Bad.", language="de"),
        "human",
        ["safety_term"],
        1,
    ),
    (
        "safety and complaint",
        pred(0.9, 0.05, 0.05),
        facts("Food poisoning after dinner, terrible."),
        "human",
        ["safety_term", "negative_sentiment"],
        1,
    ),
]


@pytest.mark.parametrize(
    ("prediction", "review", "route", "codes", "priority"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_routing_table(
    prediction: Prediction | None,
    review: ReviewFacts,
    route: str,
    codes: list[str],
    priority: int | None,
) -> None:
    decision = decide(prediction, review, POLICY)
    assert decision.route == route
    assert [r.code for r in decision.reasons] == codes
    assert decision.priority == priority
    assert all(r.explanation.strip() for r in decision.reasons)
    if route == "auto":
        assert decision.due_at is None
    else:
        assert priority is not None
        assert decision.due_at == NOW + timedelta(hours=POLICY.sla_hours[priority])


def test_explanations_say_how_sure_in_words() -> None:
    decision = decide(pred(0.91, 0.05, 0.04), facts(), POLICY)
    assert decision.reasons[0].explanation == "Negative, 91% sure."
    decision = decide(pred(0.01, 0.02, 0.97), facts(rating=(2, 5)), POLICY)
    assert decision.reasons[0].explanation == (
        "Rated 2 of 5, but the text does not read negative: a low rating always reaches a person."
    )
    safety = decide(pred(0.01, 0.02, 0.97), facts("Es gab Schimmel im Bad.", "de"), POLICY)
    assert safety.reasons[0].explanation.startswith("Mentions 'Schimmel' (mould)")
    assert safety.reasons[0].evidence == {"category": "mould", "start": 7, "end": 15}


def test_property_sla_and_extra_safety_terms() -> None:
    policy = RoutingPolicy(
        auto_threshold=0.85, sla_hours={1: 0.5, 2: 4, 3: 8, 4: 24}, safety_terms=("Legionellen",)
    )
    decision = decide(
        pred(0.01, 0.02, 0.97), facts("Hinweis auf Legionellen im Wasser.", "de"), policy
    )
    assert decision.route == "human"
    assert decision.reasons[0].code == "safety_term"
    assert decision.reasons[0].evidence is not None
    assert decision.reasons[0].evidence["category"] == "custom"
    assert decision.due_at == NOW + timedelta(minutes=30)


def test_nothing_is_auto_handled_without_a_prediction() -> None:
    for text in ("Great!", "Perfect stay, thank you", "x"):
        assert decide(None, facts(text), POLICY).route == "human"


@pytest.mark.parametrize(
    ("rating", "low"),
    [((2, 5), True), ((4, 9), True), ((5, 10), True), ((3, 5), False), ((5, 9), False)],
)
def test_a_rating_at_or_below_the_middle_of_its_scale_reaches_a_person(
    rating: tuple[float, int], low: bool
) -> None:
    decision = decide(pred(0.01, 0.02, 0.97), facts(rating=rating), POLICY)
    assert (decision.route == "human") is low
    kinds = [r.evidence.get("kind") for r in decision.reasons if r.evidence]
    assert ("rating_contradicts_text" in kinds) is low
