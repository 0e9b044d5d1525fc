"""Deterministic samples of reviews, the same in SQL and in Python.

A review is in a sample when a multiplicative hash of its id, salted per purpose,
falls under the share. The hash is independent of the review's content, so a
sample is an unbiased draw; it needs no stored flag, every process agrees on it,
and a changed share widens or narrows the same sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import BigInteger, ColumnElement, cast, literal
from sqlalchemy.orm import InstrumentedAttribute

_MULTIPLIER = 2654435761  # Knuth's multiplicative hash constant
_BUCKETS = 10007  # a prime
SALTS = {"spot_check": 7919, "double_label": 104729}


def in_sample(review_id: int, share: float, purpose: str) -> bool:
    return (review_id * _MULTIPLIER + SALTS[purpose]) % _BUCKETS < share * _BUCKETS


def sample_condition(
    column: InstrumentedAttribute[int], share: float, purpose: str
) -> ColumnElement[bool]:
    """The same test as `in_sample`, as SQL (64-bit integer arithmetic on both databases)."""
    hashed = cast(column, BigInteger) * literal(_MULTIPLIER, BigInteger) + literal(
        SALTS[purpose], BigInteger
    )
    return (hashed % literal(_BUCKETS, BigInteger)) < share * _BUCKETS


@dataclass(frozen=True, slots=True)
class RateEstimate:
    """A rate from `hits` in `n` with its 95% Wilson score interval."""

    n: int
    hits: int
    rate: float | None
    low: float | None
    high: float | None


def wilson(hits: int, n: int, z: float = 1.96) -> RateEstimate:
    if n == 0:
        return RateEstimate(0, 0, None, None, None)
    p = hits / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return RateEstimate(n, hits, p, max(0.0, centre - half), min(1.0, centre + half))
