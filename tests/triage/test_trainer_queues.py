"""Samples, spot-checks and the miss-rate estimate, blind double labels, uncertainty,
disagreements: on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import World
from tests.triage.loop_data import add_review, principal
from triage.core.errors import Forbidden
from triage.learning import trainer_queues as tq
from triage.storage.db import unit_of_work
from triage.storage.sampling import in_sample, sample_condition, wilson
from triage.storage.tables import Review
from triage.verdicts.labels import add_label


def test_the_sql_sample_is_the_python_sample(sessions: sessionmaker[Session], world: World) -> None:
    with unit_of_work(sessions) as s:
        ids = [add_review(s, n=n).id for n in range(400)]
    for purpose, share in (("spot_check", 0.05), ("double_label", 0.3)):
        with unit_of_work(sessions) as s:
            in_sql = set(
                s.scalars(select(Review.id).where(sample_condition(Review.id, share, purpose)))
            )
        assert in_sql == {i for i in ids if in_sample(i, share, purpose)}
    # shares are honoured over many ids, and the two purposes draw different samples
    many = range(1, 100_001)
    spot = {i for i in many if in_sample(i, 0.05, "spot_check")}
    double = {i for i in many if in_sample(i, 0.05, "double_label")}
    assert 0.045 < len(spot) / len(many) < 0.055
    assert len(spot & double) < 0.2 * len(spot)


def test_wilson_interval() -> None:
    estimate = wilson(1, 100)
    assert estimate.rate == pytest.approx(0.01)
    assert estimate.low == pytest.approx(0.00177, abs=1e-4)
    assert estimate.high == pytest.approx(0.0545, abs=1e-3)
    assert wilson(0, 0).rate is None
    assert wilson(0, 50).low == 0.0


def test_spot_checks_feed_the_negative_miss_estimate(
    sessions: sessionmaker[Session], world: World
) -> None:
    trainer = principal(sessions, world.trainer_a)
    agent = principal(sessions, world.agent_a)
    with unit_of_work(sessions) as s:
        for n in range(300):
            add_review(s, n=n)
        add_review(s, property_id="hotel-b", n=999)
    share = 0.1
    with unit_of_work(sessions) as s:
        waiting = tq.spot_check_queue(s, trainer, share=share, limit=500)
        assert waiting and all(in_sample(r.id, share, "spot_check") for r in waiting)
        assert {r.property_id for r in waiting} == {"hotel-a"}
        assert [r.id for r in waiting] == sorted((r.id for r in waiting), reverse=True)
        expected = len(waiting)
    with unit_of_work(sessions) as s, pytest.raises(Forbidden):
        tq.spot_check_queue(s, agent, share=share)
    # the trainer checks them all: two were complaints the machine let through
    with unit_of_work(sessions) as s:
        for i, review in enumerate(waiting):
            add_label(s, trainer, review.id, "negative" if i < 2 else "positive", "spot_check")
        # a pulled-back review outside the sample does not count
        outside = next(
            r
            for r in s.scalars(select(Review).where(Review.property_id == "hotel-a"))
            if not in_sample(r.id, share, "spot_check")
        )
        add_label(s, trainer, outside.id, "negative", "spot_check")
    with unit_of_work(sessions) as s:
        assert tq.spot_check_queue(s, trainer, share=share) == []
        estimate = tq.negative_miss_estimate(s, ["hotel-a"], share=share)
    assert (estimate.n, estimate.hits) == (expected, 2)
    assert estimate.rate == pytest.approx(2 / expected)
    assert estimate.low is not None and estimate.low < estimate.rate < (estimate.high or 0)


def test_double_label_queue_is_blind_and_skips_ones_own_reviews(
    sessions: sessionmaker[Session], world: World
) -> None:
    agent = principal(sessions, world.agent_a)
    trainer = principal(sessions, world.trainer_a)
    with unit_of_work(sessions) as s:
        reviews = [add_review(s, route="human", status="resolved", n=n) for n in range(60)]
        for review in reviews:
            add_label(s, agent, review.id, "negative", "spot_check")
    with unit_of_work(sessions) as s:
        mine = tq.double_label_queue(s, agent, share=0.5, limit=100)
        theirs = tq.double_label_queue(s, trainer, share=0.5, limit=100)
    assert mine == []  # the agent labelled them all
    assert theirs and all(in_sample(r.id, 0.5, "double_label") for r in theirs)
    with unit_of_work(sessions) as s:
        add_label(s, trainer, theirs[0].id, "neutral", "double_label")
        left = tq.double_label_queue(s, trainer, share=0.5, limit=100)
        disputes = tq.adjudication_queue(s, trainer)
    assert theirs[0].id not in {r.id for r in left}
    assert [d.review.id for d in disputes] == [theirs[0].id]
    assert {x.label for x in disputes[0].labels} == {"negative", "neutral"}


def test_uncertainty_queue_ranks_by_margin_and_skips_near_duplicates(
    sessions: sessionmaker[Session], world: World
) -> None:
    trainer = principal(sessions, world.trainer_a)
    texts = {
        "sure": ("The breakfast was excellent and the staff lovely.", (0.02, 0.03, 0.95)),
        "torn": ("The room was fine but the shower was cold.", (0.45, 0.1, 0.45)),
        "torn twin": ("The room was fine but the shower was cold!", (0.44, 0.12, 0.44)),
        "unsure": ("Check-in took a while, the view made up for it.", (0.3, 0.3, 0.4)),
        "labelled": ("Parking was expensive and hard to find.", (0.4, 0.2, 0.4)),
    }
    ids = {}
    with unit_of_work(sessions) as s:
        for n, (name, (text, p)) in enumerate(texts.items()):
            probs = dict(zip(("negative", "neutral", "positive"), p, strict=True))
            ids[name] = add_review(s, text=text, probabilities=probs, n=n).id
        add_label(s, trainer, ids["labelled"], "negative", "relabel")
    with unit_of_work(sessions) as s:
        ranked = tq.uncertainty_queue(s, trainer, strategy="margin", limit=10)
        by_entropy = tq.uncertainty_queue(s, trainer, strategy="entropy", limit=10)
    names = {v: k for k, v in ids.items()}
    assert [names[c.review.id] for c in ranked] == ["torn twin", "unsure", "sure"]
    assert ranked[0].score == pytest.approx(1.0)
    assert names[by_entropy[0].review.id] == "unsure"


def test_model_disagreements_compare_the_current_label(
    sessions: sessionmaker[Session], world: World
) -> None:
    trainer = principal(sessions, world.trainer_a)
    agent = principal(sessions, world.agent_a)
    with unit_of_work(sessions) as s:
        agree = add_review(s, label="positive", n=1).id
        differ = add_review(s, label="positive", n=2).id
        add_label(s, agent, agree, "positive", "spot_check")
        add_label(s, agent, differ, "positive", "spot_check")
        add_label(s, trainer, differ, "negative", "relabel")
    with unit_of_work(sessions) as s:
        found = tq.model_disagreements(s, trainer)
    assert [(d.review.id, d.current.label if d.current else None) for d in found] == [
        (differ, "negative")
    ]


@pytest.mark.parametrize(
    ("hits", "n", "min_checks", "alert"),
    [
        (0, 0, 0, False),  # no spot-check: no rate, no alert
        (1, 50, 30, False),  # 2%: at the target is not above it
        (2, 50, 30, True),  # 4%: above the target with enough checks
        (2, 20, 30, False),  # above the target, but too few checks to say so
        (2, 30, 30, True),  # exactly the minimum number of checks
    ],
)
def test_the_negative_miss_alert_rule(hits: int, n: int, min_checks: int, alert: bool) -> None:
    estimate = wilson(hits, n)
    assert tq.miss_rate_alert(estimate, target=0.02, min_checks=min_checks) is alert
