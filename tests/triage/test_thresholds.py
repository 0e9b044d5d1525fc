"""The threshold learner as pure maths: exact bounds, the rule, which threshold is in force,
and the sentence that explains a change. No database."""

from __future__ import annotations

import pytest

from triage.decisions.thresholds import (
    Stored,
    ThresholdRule,
    binomial_cdf,
    binomial_sf,
    clopper_pearson_lower,
    clopper_pearson_upper,
    explain,
    in_force,
    learn_threshold,
    min_evidence,
    pct,
    upper_within,
)

RULE = ThresholdRule(target=0.01, confidence=0.95, floor=0.5)


@pytest.mark.parametrize(
    ("misses", "n", "confidence", "expected"),
    [
        (0, 300, 0.95, 1 - 0.05 ** (1 / 300)),  # k = 0 has a closed form
        (0, 20, 0.95, 0.139108),
        (1, 10, 0.95, 0.394163),  # tables of exact binomial limits
        (2, 100, 0.95, 0.061619),
        (5, 10, 0.95, 0.777559),
        (0, 59, 0.9, 1 - 0.1 ** (1 / 59)),
        (10, 10, 0.95, 1.0),
        (0, 0, 0.95, 1.0),
    ],
)
def test_clopper_pearson_upper_bound_matches_known_values(
    misses: int, n: int, confidence: float, expected: float
) -> None:
    assert clopper_pearson_upper(misses, n, confidence) == pytest.approx(expected, abs=2e-6)


@pytest.mark.parametrize(
    ("misses", "n", "expected"),
    [(5, 10, 0.222441), (1, 10, 0.005116), (0, 10, 0.0), (3, 0, 0.0)],
)
def test_clopper_pearson_lower_bound_matches_known_values(
    misses: int, n: int, expected: float
) -> None:
    assert clopper_pearson_lower(misses, n, 0.95) == pytest.approx(expected, abs=2e-6)


def test_binomial_tails_are_exact_and_complementary() -> None:
    assert binomial_cdf(0, 10, 0.1) == pytest.approx(0.9**10)
    assert binomial_cdf(2, 10, 0.5) == pytest.approx(56 / 1024)
    for k in (0, 3, 7, 40):
        assert binomial_cdf(k, 50, 0.2) + binomial_sf(k + 1, 50, 0.2) == pytest.approx(1.0)
    # large n without underflow
    assert binomial_cdf(0, 100_000, 0.01) == pytest.approx(0.0, abs=1e-300)
    assert binomial_cdf(1_100, 100_000, 0.01) > 0.99


def test_the_evidence_a_one_percent_guarantee_needs() -> None:
    """The honest price: 299 clean labelled reviews, 473 with one miss."""
    assert min_evidence(0.01, 0.95) == 299
    assert not upper_within(0, 298, 0.01, 0.95) and upper_within(0, 299, 0.01, 0.95)
    assert not upper_within(1, 472, 0.01, 0.95) and upper_within(1, 473, 0.01, 0.95)
    # the shortcut agrees with the bisection everywhere it decides
    for k, n in [(0, 299), (1, 473), (2, 630), (3, 700), (5, 600), (9, 2000)]:
        assert upper_within(k, n, 0.01, 0.95) == (clopper_pearson_upper(k, n) <= 0.01)


def stream(*parts: tuple[int, float, int]) -> tuple[list[float], list[bool]]:
    """(count, score, misses among them) -> scores and miss flags."""
    scores: list[float] = []
    misses: list[bool] = []
    for count, score, missed in parts:
        scores += [score] * count
        misses += [True] * missed + [False] * (count - missed)
    return scores, misses


@pytest.mark.parametrize(
    ("parts", "start", "value", "basis"),
    [
        pytest.param((), 0.9, 0.9, "start", id="no evidence: the model's threshold"),
        pytest.param(((298, 0.7, 0),), 0.9, 0.9, "start", id="298 clean: not enough yet"),
        pytest.param(((299, 0.7, 0),), 0.9, 0.7, "loosened", id="299 clean: loosens"),
        pytest.param(
            ((200, 0.95, 0), (150, 0.8, 0), (300, 0.6, 5)),
            0.9,
            0.8,
            "loosened",
            id="the loosest that keeps the bound",
        ),
        pytest.param(((298, 0.7, 0), (1, 0.99, 1)), 0.9, 0.9, "start", id="one miss: needs 473"),
        pytest.param(
            ((472, 0.7, 0), (1, 0.99, 1)), 0.9, 0.7, "loosened", id="one miss in 473: loosens"
        ),
        pytest.param(((400, 0.7, 0), (5, 0.7, 3)), 0.9, 0.9, "start", id="misses tighten back"),
        pytest.param(((500, 0.4, 0),), 0.9, 0.9, "start", id="never below the floor"),
        pytest.param(((100, 0.6, 0), (500, 0.45, 0)), 0.9, 0.9, "start", id="floor: 100 above it"),
        pytest.param(
            ((400, 0.6, 0), (500, 0.45, 0)), 0.9, 0.6, "loosened", id="floor: stops at 0.6"
        ),
        pytest.param(((20, 0.95, 1),), 0.9, 0.9, "start", id="a miss above the start is no proof"),
        pytest.param(((298, 0.7, 0), (3, 0.99, 3)), 0.9, 0.9, "start", id="3 pulled back: too few"),
        pytest.param(
            ((50, 0.95, 10), (30, 0.99, 0)),
            0.9,
            0.99,
            "tightened",
            id="proof the start misses too much: tighten",
        ),
        pytest.param(
            ((50, 0.95, 10),),
            0.9,
            0.9500000000000001,
            "tightened",
            id="misses up to the top: above every score",
        ),
    ],
)
def test_learn_threshold(
    parts: tuple[tuple[int, float, int], ...], start: float, value: float, basis: str
) -> None:
    scores, misses = stream(*parts)
    choice = learn_threshold(scores, misses, start=start, rule=RULE)
    assert (choice.value, choice.basis) == (value, basis)
    assert choice.labelled == len(scores)
    n = sum(s >= choice.value for s in scores)
    k = sum(m for s, m in zip(scores, misses, strict=True) if s >= choice.value)
    assert (choice.n, choice.misses) == (n, k)
    if basis == "loosened":
        assert choice.upper is not None and choice.upper <= RULE.target


def test_learning_loosens_with_evidence_and_tightens_after_a_miss() -> None:
    """The same stream growing: the threshold stays, loosens, then a found miss tightens."""
    scores, misses = stream((250, 0.75, 0))
    assert learn_threshold(scores, misses, start=0.9, rule=RULE).value == 0.9
    scores, misses = stream((250, 0.75, 0), (100, 0.8, 0))
    assert learn_threshold(scores, misses, start=0.9, rule=RULE).value == 0.75
    scores, misses = stream((250, 0.75, 0), (100, 0.8, 0), (1, 0.76, 1))
    tightened = learn_threshold(scores, misses, start=0.9, rule=RULE)
    assert (tightened.value, tightened.basis) == (0.9, "start")


M = "model-2"


@pytest.mark.parametrize(
    ("group", "policy_pin", "stored", "expected"),
    [
        ("default", None, {}, (0.9, "model", None)),
        ("default", None, {"default": Stored(0.7, "learned", M, None)}, (0.7, "learned", None)),
        # learned for another model version: the model's own applies
        ("default", None, {"default": Stored(0.7, "learned", "m-1", None)}, (0.9, "model", None)),
        ("default", 0.95, {"default": Stored(0.7, "learned", M, None)}, (0.95, "pinned", "policy")),
        ("default", 0.95, {"default": Stored(0.7, "learned", M, 0.8)}, (0.8, "pinned", "row")),
        # top rating: the default group's threshold until it has its own evidence
        ("top_rating", None, {"default": Stored(0.7, "learned", M, None)}, (0.7, "learned", None)),
        (
            "top_rating",
            None,
            {
                "default": Stored(0.7, "learned", M, None),
                "top_rating": Stored(0.7, "model", M, None),
            },
            (0.7, "learned", None),
        ),
        (
            "top_rating",
            None,
            {
                "default": Stored(0.85, "learned", M, None),
                "top_rating": Stored(0.6, "learned", M, None),
            },
            (0.6, "learned", None),
        ),
        ("top_rating", None, {"default": Stored(0.7, "learned", M, 0.97)}, (0.97, "pinned", "row")),
        ("top_rating", 0.93, {}, (0.93, "pinned", "policy")),
    ],
)
def test_which_threshold_is_in_force(
    group: str,
    policy_pin: float | None,
    stored: dict[str, Stored],
    expected: tuple[float, str, str | None],
) -> None:
    found = in_force(
        group,  # type: ignore[arg-type]
        model_default=0.9,
        model_version=M,
        policy_pin=policy_pin,
        stored=stored,  # type: ignore[arg-type]
    )
    assert (found.value, found.source, found.pinned_by) == expected


def test_every_change_is_explained_in_a_sentence() -> None:
    scores, misses = stream((480, 0.78, 1), (1, 0.99, 0))
    choice = learn_threshold(scores, misses, start=0.9, rule=RULE)
    assert choice.value == 0.78
    assert explain(
        0.9, choice, property_id="hotel-x", language="de", group="default", rule=RULE
    ) == (
        "Loosened from 90% to 78% for German reviews of hotel-x: 481 labelled reviews at or "
        f"above 78%, 1 missed complaint, at most {pct(choice.upper or 0)} missed with 95% "
        "confidence."
    )
    back = learn_threshold(*stream((411, 0.78, 5)), start=0.9, rule=RULE)
    assert explain(
        0.78, back, property_id="hotel-x", language="en", group="top_rating", rule=RULE
    ) == (
        "Tightened from 78% to 90% for top-rated English reviews of hotel-x: the default "
        "group's threshold; no looser one keeps the miss rate under 1% with 95% confidence "
        "yet (411 labelled reviews, 0 labelled reviews at or above 90%, 0 missed complaints)."
    )
    assert pct(0.0099) == "0.99%" and pct(0.785) == "78.5%" and pct(1.0) == "100%"
