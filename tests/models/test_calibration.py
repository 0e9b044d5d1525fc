from __future__ import annotations

import numpy as np
import pytest

from models.calibration import (
    expected_calibration_error,
    fit_temperature,
    loosest_auto_threshold,
    macro_f1,
    softmax,
)


def test_fit_temperature_recovers_the_generating_temperature() -> None:
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((4000, 3)) * 3.0
    probs = softmax(logits, 2.0)
    labels = np.asarray([rng.choice(3, p=p) for p in probs], dtype=np.int64)
    assert fit_temperature(logits, labels) == pytest.approx(2.0, rel=0.1)


def test_ece_is_zero_for_perfect_confident_predictions() -> None:
    probs = np.eye(3)[[0, 1, 2, 1]]
    assert expected_calibration_error(probs, np.asarray([0, 1, 2, 1])) == 0.0
    assert expected_calibration_error(probs, np.asarray([1, 1, 2, 1])) == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("p_positive", "predicted_positive", "must_see", "expected"),
    [
        # 100 negatives, one offender at 0.9: 1% may pass, the loosest threshold is 0.
        ([0.9] + [0.1] * 99, [True] + [False] * 99, [True] * 100, 0.0),
        # two offenders among 100 negatives: the threshold must exceed the second one.
        ([0.9, 0.8] + [0.1] * 98, [True, True] + [False] * 98, [True] * 100, 0.8),
        # positives do not count.
        ([0.99, 0.6, 0.1], [True, True, False], [False, True, True], 0.6),
    ],
)
def test_loosest_auto_threshold(
    p_positive: list[float], predicted_positive: list[bool], must_see: list[bool], expected: float
) -> None:
    threshold = loosest_auto_threshold(
        np.asarray(p_positive), np.asarray(predicted_positive), np.asarray(must_see)
    )
    assert threshold == pytest.approx(expected, abs=1e-12)
    p, auto_mask = np.asarray(p_positive), np.asarray(predicted_positive)
    handled = auto_mask & (p >= threshold) & np.asarray(must_see)
    assert handled.sum() <= int(0.01 * np.sum(must_see))


def test_macro_f1() -> None:
    gold = np.asarray([0, 0, 1, 2])
    assert macro_f1(gold, gold, 3) == 1.0
    assert macro_f1(np.asarray([0, 0, 0, 0]), gold, 3) == pytest.approx((2 * 2 / 6) / 3)
