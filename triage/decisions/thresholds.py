"""Auto-handling thresholds that learn from people's verdicts, with a guarantee. Pure maths.

The reviews a threshold `t` would auto-handle are those whose `auto_score` (the calibrated
P(positive) routing compares with the threshold, `triage.decisions.routing.Decision`) is at least
`t`. Among the *labelled* ones of a property, language and threshold group, scored by the
current model version, `n(t)` is how many there are and `k(t)` how many people labelled
negative (a missed complaint had it been auto-handled; `MUST_SEE`).

The rule (`learn_threshold`), for a target miss rate (TRIAGE_MISS_RATE_TARGET, 1%) and a
confidence (TRIAGE_THRESHOLD_CONFIDENCE, 95%):

- **Loosen only with evidence**: the threshold is the loosest candidate `t` (an observed
  score, not below the floor TRIAGE_THRESHOLD_FLOOR) whose one-sided Clopper-Pearson upper
  bound on `k(t)/n(t)` is at most the target. Clopper-Pearson, not Wilson: it is exact
  (never below the nominal confidence) where it matters here, at zero or one miss in a few
  hundred, where Wilson's normal approximation is too optimistic. The honest price: with a
  1% target at 95%, loosening needs at least 299 labelled reviews at or above `t` with no
  miss (`min_evidence`), 473 with one.
- **Otherwise stay at the start**: the model's threshold for the language (the top-rating
  group starts from the default group's value, so it is never looser without its own
  evidence). A found miss raises the bounds, so a loosened threshold tightens again on the
  next computation (the verdict path recomputes at once).
- **Tighten past the start only on proof**: when at least `min_checks` labelled reviews at
  or above the start show, with the same confidence (a lower bound above the target), that
  it misses too much, the threshold rises to the loosest higher candidate where that is no
  longer shown. (A lone pulled-back review is no proof: people pull back misses.)

Caveats, said plainly: the bound holds for each threshold; taking the loosest passing one
of many is a selection (fixed-sequence testing would make it exact, but one early miss
would then block all learning). Reviews above the threshold in force are labelled only
through spot-checks and pull-backs, so they are under-represented; where the miss rate
falls with the score (what calibration means) that makes the estimate pessimistic, not
optimistic. The replay (`bench/threshold_replay.py`) compares the bound with the truth.

The storage and the service around this live in `triage.decisions.threshold_store`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from triage.decisions.routing import ThresholdGroup

GROUPS: tuple[ThresholdGroup, ...] = ("default", "top_rating")
#: Labels that mean a person had to see the review: auto-handled, it is a miss.
MUST_SEE = frozenset({"negative"})

#: What a threshold in force rests on: the model's calibration, people's labels, an admin.
Source = Literal["model", "learned", "pinned"]
#: How a computation moved the threshold relative to its start.
Basis = Literal["start", "loosened", "tightened"]

LANGUAGE_NAMES = {"de": "German", "en": "English"}


@dataclass(frozen=True, slots=True)
class ThresholdRule:
    """The guarantee a learned threshold keeps: at most `target` missed complaints among
    the reviews it auto-handles, with `confidence`; never below `floor`."""

    target: float = 0.01
    confidence: float = 0.95
    floor: float = 0.5
    #: labelled reviews at or above the start before they may prove it misses too much
    #: (as many as the spot-check alert wants: TRIAGE_MISS_RATE_MIN_CHECKS)
    min_checks: int = 20

    @property
    def alpha(self) -> float:
        return 1.0 - self.confidence


# --- Binomial tails and Clopper-Pearson bounds (exact, no scipy) --------------------------


def _log_pmf(i: int, n: int, p: float) -> float:
    return (
        math.lgamma(n + 1)
        - math.lgamma(i + 1)
        - math.lgamma(n - i + 1)
        + i * math.log(p)
        + (n - i) * math.log1p(-p)
    )


def binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X ~ Binomial(n, p), summed exactly in log space."""
    if k < 0:
        return 0.0
    if k >= n or p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0
    if k > n * p:  # the upper tail is the shorter, well-conditioned sum
        return max(0.0, 1.0 - binomial_sf(k + 1, n, p))
    logs = [_log_pmf(i, n, p) for i in range(k + 1)]
    top = max(logs)
    return min(1.0, math.exp(top) * sum(math.exp(x - top) for x in logs))


def binomial_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if k > n or p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    if k <= n * p:
        return max(0.0, 1.0 - binomial_cdf(k - 1, n, p))
    # Terms fall geometrically above the mean: stop when they no longer count.
    logs = [_log_pmf(k, n, p)]
    for i in range(k + 1, n + 1):
        logs.append(_log_pmf(i, n, p))
        if logs[-1] < logs[0] - 50:
            break
    top = max(logs)
    return min(1.0, math.exp(top) * sum(math.exp(x - top) for x in logs))


def clopper_pearson_upper(misses: int, n: int, confidence: float = 0.95) -> float:
    """The one-sided Clopper-Pearson upper bound of a rate seen as `misses` in `n`: the
    largest p with P(X <= misses | n, p) >= 1 - confidence (1.0 for n = 0)."""
    if n == 0 or misses >= n:
        return 1.0
    alpha = 1.0 - confidence
    low, high = misses / n, 1.0
    for _ in range(100):
        middle = (low + high) / 2
        if binomial_cdf(misses, n, middle) > alpha:
            low = middle
        else:
            high = middle
    return high


def clopper_pearson_lower(misses: int, n: int, confidence: float = 0.95) -> float:
    """The one-sided Clopper-Pearson lower bound: the smallest p with
    P(X >= misses | n, p) >= 1 - confidence (0.0 when nothing was missed)."""
    if n == 0 or misses <= 0:
        return 0.0
    alpha = 1.0 - confidence
    low, high = 0.0, misses / n
    for _ in range(100):
        middle = (low + high) / 2
        if binomial_sf(misses, n, middle) < alpha:
            low = middle
        else:
            high = middle
    return low


def upper_within(misses: int, n: int, target: float, confidence: float) -> bool:
    """clopper_pearson_upper(misses, n, confidence) <= target, without the bisection."""
    if n == 0 or target <= 0.0:
        return False
    if target >= 1.0:
        return True
    if misses >= math.ceil(n * target):  # P(X <= k) >= 1/2 there, above any alpha < 1/2
        return confidence <= 0.5 and binomial_cdf(misses, n, target) <= 1.0 - confidence
    return binomial_cdf(misses, n, target) <= 1.0 - confidence


def lower_within(misses: int, n: int, target: float, confidence: float) -> bool:
    """clopper_pearson_lower(misses, n, confidence) <= target: the evidence does not show
    a miss rate above the target."""
    if n == 0 or misses == 0 or misses <= n * target:
        return True
    return binomial_sf(misses, n, target) >= 1.0 - confidence


def min_evidence(target: float, confidence: float) -> int:
    """The fewest labelled reviews, none missed, whose upper bound can meet the target."""
    if target <= 0.0:
        return 0
    if target >= 1.0:
        return 1
    return math.ceil(math.log(1.0 - confidence) / math.log1p(-target) - 1e-9)


# --- The learner ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ThresholdChoice:
    """A learned threshold and the evidence at it.

    `n` labelled reviews at or above `value`, `misses` of them must-see, `upper` the
    upper confidence bound of the miss rate there (None when there is no evidence at all),
    `labelled` the labelled reviews considered in total.
    """

    value: float
    basis: Basis
    start: float
    n: int
    misses: int
    upper: float | None
    labelled: int

    @property
    def source(self) -> Source:
        return "model" if self.basis == "start" else "learned"


def evidence_at(
    scores: Sequence[float], misses: Sequence[bool], threshold: float
) -> tuple[int, int]:
    """(n, k): labelled reviews with a score at or above `threshold`, and misses among them."""
    n = k = 0
    for score, missed in zip(scores, misses, strict=True):
        if score >= threshold:
            n += 1
            k += bool(missed)
    return n, k


def learn_threshold(
    scores: Sequence[float],
    misses: Sequence[bool],
    *,
    start: float,
    rule: ThresholdRule = ThresholdRule(),
) -> ThresholdChoice:
    """The threshold the evidence supports (the module docstring gives the rule).

    `scores[i]` is a labelled review's auto_score, `misses[i]` whether its current label is
    must-see. `start` is where the threshold stands without evidence.
    """
    if len(scores) != len(misses):
        raise ValueError("one miss flag per score")
    ranked = sorted(zip(scores, misses, strict=True), key=lambda pair: -pair[0])
    # Cumulative evidence at each distinct score, strictest first: (t, n(t), k(t)).
    steps: list[tuple[float, int, int]] = []
    k = 0
    for i, (score, missed) in enumerate(ranked):
        k += bool(missed)
        if i + 1 == len(ranked) or ranked[i + 1][0] != score:
            steps.append((score, i + 1, k))

    def choice(value: float, basis: Basis) -> ThresholdChoice:
        n_at, k_at = evidence_at(scores, misses, value)
        upper = clopper_pearson_upper(k_at, n_at, rule.confidence) if n_at else None
        return ThresholdChoice(value, basis, start, n_at, k_at, upper, len(ranked))

    needed = min_evidence(rule.target, rule.confidence)
    loosest: float | None = None
    for t, n_t, k_t in steps:
        if t < rule.floor or n_t < needed:
            continue
        if upper_within(k_t, n_t, rule.target, rule.confidence):
            loosest = t  # steps run strictest first: the last one passing is the loosest
    if loosest is not None and loosest < start:
        return choice(loosest, "loosened")

    def shown_too_high(k_t: int, n_t: int) -> bool:
        return n_t >= rule.min_checks and not lower_within(k_t, n_t, rule.target, rule.confidence)

    if not shown_too_high(*reversed(evidence_at(scores, misses, start))):
        return choice(start, "start")
    # The start is shown to miss too much: the loosest stricter candidate where it is not
    # (above every labelled score, nothing is shown, so one is always found).
    for t, n_t, k_t in reversed(steps):
        if t > start and not shown_too_high(k_t, n_t):
            return choice(t, "tightened")
    highest = ranked[0][0]
    return choice(min(1.0, math.nextafter(highest, math.inf)), "tightened")


# --- Which threshold is in force --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stored:
    """A learned-threshold row as routing needs it (`triage.storage.tables.LearnedThreshold`)."""

    value: float | None
    source: Source
    model_version: str | None
    pinned_value: float | None


@dataclass(frozen=True, slots=True)
class InForce:
    """The threshold routing uses for one group, and where it comes from."""

    value: float
    source: Source
    #: "row" for a pin of this language and group, "policy" for the property's
    #: `auto_threshold` override (a pin of every language and group).
    pinned_by: Literal["row", "policy"] | None = None


def in_force(
    group: ThresholdGroup,
    *,
    model_default: float,
    model_version: str | None,
    policy_pin: float | None,
    stored: Mapping[ThresholdGroup, Stored],
) -> InForce:
    """The one rule for which threshold applies: a pin of this language and group, else the
    property's `auto_threshold` override, else the value learned for the model version in
    use, else the model's own (for the top-rating group: the default group's)."""
    row = stored.get(group)
    if row is not None and row.pinned_value is not None:
        return InForce(row.pinned_value, "pinned", "row")
    if policy_pin is not None:
        return InForce(policy_pin, "pinned", "policy")
    current = (
        row is not None
        and row.value is not None
        and model_version is not None
        and row.model_version == model_version
    )
    if group == "top_rating":
        if current and row is not None and row.value is not None and row.source == "learned":
            return InForce(row.value, "learned")
        default = in_force(
            "default",
            model_default=model_default,
            model_version=model_version,
            policy_pin=None,
            stored=stored,
        )
        return InForce(default.value, default.source, default.pinned_by)
    if current and row is not None and row.value is not None:
        return InForce(row.value, row.source)
    return InForce(model_default, "model")


# --- Sentences ---------------------------------------------------------------------------------


def pct(value: float) -> str:
    """A percentage with at most one decimal (two under 10%): 78%, 99.5%, 0.99%."""
    text = f"{100 * value:.{2 if value < 0.1 else 1}f}".rstrip("0").rstrip(".")
    return f"{text}%"


def what(property_id: str, language: str, group: str) -> str:
    """'German reviews of hotel-x', 'top-rated German reviews of hotel-x'."""
    name = LANGUAGE_NAMES.get(language, f"'{language}'")
    top = "top-rated " if group == "top_rating" else ""
    return f"{top}{name} reviews of {property_id}"


def _complaints(k: int) -> str:
    return "1 missed complaint" if k == 1 else f"{k} missed complaints"


def explain(
    old: float | None,
    choice: ThresholdChoice,
    *,
    property_id: str,
    language: str,
    group: ThresholdGroup,
    rule: ThresholdRule,
) -> str:
    """The sentence for the dashboard and the audit log, e.g. 'Loosened from 90% to 78% for
    German reviews of hotel-x: 412 labelled reviews at or above 78%, 1 missed complaint, at
    most 0.9% missed with 95% confidence.'"""
    subject = what(property_id, language, group)
    conf = pct(rule.confidence)
    new = pct(choice.value)
    if old is None or round(old, 6) == round(choice.value, 6):
        move = f"Set to {new} for {subject}"
    elif choice.value < old:
        move = f"Loosened from {pct(old)} to {new} for {subject}"
    else:
        move = f"Tightened from {pct(old)} to {new} for {subject}"
    evidence = f"{choice.n} labelled reviews at or above {new}, {_complaints(choice.misses)}"
    start_word = "the default group's" if group == "top_rating" else "the model's"
    if choice.basis == "loosened":
        assert choice.upper is not None
        return f"{move}: {evidence}, at most {pct(choice.upper)} missed with {conf} confidence."
    if choice.basis == "start":
        if choice.labelled == 0:
            return f"{move}: {start_word} threshold, no labelled reviews yet."
        return (
            f"{move}: {start_word} threshold; no looser one keeps the miss rate under "
            f"{pct(rule.target)} with {conf} confidence yet ({choice.labelled} labelled "
            f"reviews, {evidence})."
        )
    return (
        f"{move}: the labelled reviews above {start_word} {pct(choice.start)} show more "
        f"than {pct(rule.target)} missed complaints with {conf} confidence; at or above "
        f"{new}: {evidence}."
    )
