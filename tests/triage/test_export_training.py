"""Training export: current labels with provenance, gold left out, redaction, group split
(the redaction itself: tests/privacy)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import World
from tests.triage.loop_data import add_review, principal
from triage.learning.export import split_of, training_records
from triage.storage.db import unit_of_work
from triage.verdicts.labels import add_label


def test_split_is_stable_and_roughly_the_share() -> None:
    keys = [f"booking:hotel-a:B{i}" for i in range(4000)]
    dev = [k for k in keys if split_of(k, 0.2) == "dev"]
    assert 0.17 < len(dev) / len(keys) < 0.23
    assert dev == [k for k in keys if split_of(k, 0.2) == "dev"]


def test_training_records(sessions: sessionmaker[Session], world: World) -> None:
    agent = principal(sessions, world.agent_a)
    trainer = principal(sessions, world.trainer_a)
    admin = principal(sessions, world.admin_ab)
    with unit_of_work(sessions) as s:
        same_booking = [
            add_review(
                s,
                text=f"Stay {n}: Frau Keller was rude, mail me at x{n}@example.com",
                route="human",
                booking="BK-1",
                n=n,
            ).id
            for n in range(3)
        ]
        unlabelled = add_review(s, n=10).id
        gold = add_review(s, text="Gold review", n=11).id
        other_property = add_review(s, property_id="hotel-b", n=12).id
        for review_id in same_booking:
            add_label(s, agent, review_id, "negative", "spot_check")
        add_label(s, trainer, same_booking[0], "neutral", "relabel")
        add_label(s, trainer, gold, "positive", "adjudication", gold=True)
        add_label(s, admin, other_property, "positive", "spot_check")
    with unit_of_work(sessions) as s:
        rows = list(training_records(s, ["hotel-a"], redact_text=True, dev_share=0.5))
        plain = list(training_records(s, None))
    assert [r["id"] for r in rows] == [f"review:{i}" for i in same_booking]
    assert {r["split"] for r in rows} in ({"dev"}, {"train"})  # one booking, one side
    first = rows[0]
    assert first["label"] == "neutral"
    assert first["text"] == "Stay 0: Frau [NAME] was rude, mail me at [EMAIL]"
    assert first["provenance"]["kind"] == "relabel"
    assert first["provenance"]["role"] == "trainer"
    assert first["provenance"]["predicted_label"] == "positive"
    assert first["provenance"]["labels_given"] == 2
    assert (first["lang"], first["property_id"], first["source"]) == ("en", "hotel-a", "survey")
    assert rows[1]["label"] == "negative" and rows[1]["provenance"]["role"] == "agent"
    ids = {r["id"] for r in plain}
    assert f"review:{gold}" not in ids and f"review:{unlabelled}" not in ids
    assert f"review:{other_property}" in ids
    assert "x0@example.com" in next(r["text"] for r in plain if r["id"] == first["id"])
