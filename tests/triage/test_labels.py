"""Labels with provenance: the derived current label, kappa, and who may give which label."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import World
from tests.triage.loop_data import add_review, principal
from triage.core.errors import Forbidden, InvalidInput, NotFound
from triage.storage.db import unit_of_work
from triage.storage.tables import Label
from triage.verdicts.labels import (
    add_label,
    cohens_kappa,
    current_label,
    disagreeing,
    pair_agreements,
)

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def lab(i: int, label: str, kind: str, role: str, user: int, minutes: int = 0) -> Label:
    return Label(
        id=i,
        review_id=1,
        label=label,
        kind=kind,
        role=role,
        user_id=user,
        created_at=T0 + timedelta(minutes=minutes),
    )


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ([], None),
        ([lab(1, "negative", "queue_verdict", "agent", 1)], "negative"),
        # agents: the majority wins, a tie goes to the latest
        (
            [
                lab(1, "negative", "queue_verdict", "agent", 1, 0),
                lab(2, "neutral", "double_label", "agent", 2, 1),
                lab(3, "negative", "spot_check", "agent", 3, 2),
            ],
            "negative",
        ),
        (
            [
                lab(1, "negative", "queue_verdict", "agent", 1, 0),
                lab(2, "neutral", "double_label", "agent", 2, 1),
            ],
            "neutral",
        ),
        # a trainer's label beats any number of agents; the latest trainer label counts
        (
            [
                lab(1, "negative", "queue_verdict", "agent", 1, 0),
                lab(2, "negative", "double_label", "agent", 2, 1),
                lab(3, "positive", "relabel", "trainer", 3, 2),
                lab(4, "neutral", "relabel", "admin", 4, 3),
            ],
            "neutral",
        ),
        # an adjudication beats everything, even later trainer labels
        (
            [
                lab(1, "negative", "adjudication", "trainer", 3, 0),
                lab(2, "positive", "relabel", "trainer", 3, 5),
            ],
            "negative",
        ),
    ],
)
def test_current_label_follows_the_documented_order(
    labels: list[Label], expected: str | None
) -> None:
    found = current_label(labels)
    assert (found.label if found else None) == expected


def test_cohens_kappa_matches_hand_computed_values() -> None:
    # 10 items: observed agreement 0.7; rater A 5 neg 5 pos, rater B 4 neg 6 pos
    pairs = (
        [("negative", "negative")] * 3
        + [("negative", "positive")] * 2
        + [("positive", "positive")] * 4
        + [("positive", "negative")] * 1
    )
    # expected agreement = (5*4 + 5*6) / 100 = 0.5; kappa = (0.7 - 0.5) / 0.5 = 0.4
    assert cohens_kappa(pairs) == pytest.approx(0.4)
    assert cohens_kappa([("neutral", "neutral")] * 3) is None  # one category: undefined
    assert cohens_kappa([]) is None


def test_pair_agreements_use_each_persons_first_label_per_review() -> None:
    labels = [
        Label(
            id=1,
            review_id=1,
            label="negative",
            kind="queue_verdict",
            user_id=1,
            role="agent",
            created_at=T0,
        ),
        Label(
            id=2,
            review_id=1,
            label="negative",
            kind="double_label",
            user_id=2,
            role="agent",
            created_at=T0 + timedelta(minutes=1),
        ),
        Label(
            id=3,
            review_id=1,
            label="positive",
            kind="relabel",
            user_id=2,
            role="agent",
            created_at=T0 + timedelta(minutes=2),
        ),
        Label(
            id=4,
            review_id=2,
            label="positive",
            kind="queue_verdict",
            user_id=1,
            role="agent",
            created_at=T0,
        ),
        Label(
            id=5,
            review_id=2,
            label="neutral",
            kind="double_label",
            user_id=2,
            role="agent",
            created_at=T0 + timedelta(minutes=1),
        ),
        Label(
            id=6,
            review_id=2,
            label="neutral",
            kind="adjudication",
            user_id=3,
            role="trainer",
            created_at=T0 + timedelta(minutes=3),
        ),
    ]
    [pair] = pair_agreements(labels)
    assert (pair.user_a, pair.user_b, pair.n, pair.observed) == (1, 2, 2, 0.5)


def test_disagreeing_until_an_adjudication_settles_it() -> None:
    a = lab(1, "negative", "queue_verdict", "agent", 1, 0)
    b = lab(2, "positive", "double_label", "agent", 2, 1)
    assert disagreeing([a, b])
    settled = lab(3, "negative", "adjudication", "trainer", 3, 2)
    assert not disagreeing([a, b, settled])
    reopened = lab(4, "neutral", "spot_check", "agent", 4, 3)
    assert disagreeing([a, b, settled, reopened])
    assert not disagreeing([a, lab(5, "negative", "double_label", "agent", 2, 1)])


def test_add_label_records_provenance_and_checks_roles(
    sessions: sessionmaker[Session], world: World
) -> None:
    agent = principal(sessions, world.agent_a)
    trainer = principal(sessions, world.trainer_a)
    other_agent = principal(sessions, world.agent_b)
    with unit_of_work(sessions) as s:
        review_id = add_review(
            s, label="negative", probabilities={"negative": 0.7, "neutral": 0.2, "positive": 0.1}
        ).id
    with unit_of_work(sessions) as s:
        row = add_label(s, trainer, review_id, "neutral", "relabel", note="  sarcasm  ")
        assert (row.role, row.kind, row.user_id, row.note) == (
            "trainer",
            "relabel",
            trainer.id,
            "sarcasm",
        )
        assert (row.model_version, row.predicted_label) == ("m-1", "negative")
        assert row.predicted_probabilities == {"negative": 0.7, "neutral": 0.2, "positive": 0.1}
        assert row.gold is False
    with unit_of_work(sessions) as s, pytest.raises(Forbidden):
        add_label(s, agent, review_id, "neutral", "relabel")
    with unit_of_work(sessions) as s, pytest.raises(Forbidden):
        add_label(s, agent, review_id, "neutral", "adjudication")
    with unit_of_work(sessions) as s, pytest.raises(NotFound):
        add_label(s, other_agent, review_id, "neutral", "double_label")
    with unit_of_work(sessions) as s, pytest.raises(InvalidInput):
        add_label(s, trainer, review_id, "furious", "relabel")
    # blind double label: not from someone who labelled the review already
    with unit_of_work(sessions) as s, pytest.raises(Forbidden):
        add_label(s, trainer, review_id, "neutral", "double_label")
    with unit_of_work(sessions) as s:
        add_label(s, agent, review_id, "negative", "double_label")
        gold = add_label(s, trainer, review_id, "negative", "adjudication", gold=True)
        assert gold.gold is True
    with unit_of_work(sessions) as s:
        kinds = [(x.kind, x.label, x.gold) for x in s.scalars(select(Label).order_by(Label.id))]
    assert kinds == [
        ("relabel", "neutral", False),
        ("double_label", "negative", False),
        ("adjudication", "negative", True),
    ]
