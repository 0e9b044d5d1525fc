"""The model registry: the gate (pure), promotion, refusal, forcing, rollback, shadow, audit."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import SETUP, World
from tests.triage.loop_data import principal
from triage.core.errors import Conflict, Forbidden, InvalidInput
from triage.learning import registry
from triage.storage.db import unit_of_work
from triage.storage.tables import AuditEvent


def result(f1: float, miss: float = 0.0, fp: str = "g1", n: int = 50) -> dict[str, Any]:
    return {"n": n, "macro_f1": f1, "negative_miss_rate": miss, "fingerprint": fp}


@pytest.mark.parametrize(
    ("candidate", "current", "problems"),
    [
        ({"gold": result(0.8)}, {"gold": result(0.7)}, []),
        ({"gold": result(0.8)}, {"gold": result(0.8)}, []),  # equal is not a drop
        ({"gold": result(0.7)}, {"gold": result(0.8)}, ["gold: macro-F1 drops"]),
        ({"gold": result(0.9, miss=0.02)}, {"gold": result(0.8)}, ["above the target"]),
        ({"gold": result(0.9, fp="g2")}, {"gold": result(0.8)}, ["evaluate both again"]),
        ({}, {"gold": result(0.8)}, ["not evaluated on a gold set"]),
        ({"gold": result(0.9, n=0)}, None, ["not evaluated on a gold set"]),
        (
            {"gold": result(0.9), "de_sb10k_test": result(0.6, fp="s")},
            {"gold": result(0.8), "de_sb10k_test": result(0.7, fp="s")},
            ["de_sb10k_test: macro-F1 drops"],
        ),
        ({"gold": result(0.9)}, None, []),  # nothing active: only the absolute checks
        ({"gold": result(0.9)}, {"other": result(0.5)}, ["no result on the gold set"]),
    ],
)
def test_gate(
    candidate: dict[str, Any], current: dict[str, Any] | None, problems: list[str]
) -> None:
    verdict = registry.gate(
        {"sets": candidate},
        {"sets": current} if current is not None else None,
        miss_target=0.01,
    )
    assert len(verdict.problems) == len(problems)
    for found, expected in zip(verdict.problems, problems, strict=True):
        assert expected in found
    assert verdict.passed is (not problems)


def test_promote_refuse_force_rollback_and_shadow(
    sessions: sessionmaker[Session], world: World
) -> None:
    trainer = principal(sessions, world.trainer_a)
    agent = principal(sessions, world.agent_a)
    with unit_of_work(sessions) as s:
        registry.register(s, trainer, "v1", "/models/v1", activate=True)
        registry.register(s, trainer, "v2", "/models/v2")
        registry.register(s, trainer, "v3", "/models/v3")
        registry.record_evaluation(s, trainer, "v1", {"gold": result(0.80)})
        registry.record_evaluation(s, trainer, "v2", {"gold": result(0.85)})
        registry.record_evaluation(s, trainer, "v3", {"gold": result(0.75)})
    with unit_of_work(sessions) as s, pytest.raises(Forbidden):
        registry.promote(s, agent, "v2", miss_target=0.01)
    with unit_of_work(sessions) as s, pytest.raises(Conflict, match="registered with another"):
        registry.register(s, trainer, "v2", "/elsewhere")
    # the worse candidate is refused and nothing changes
    with unit_of_work(sessions) as s, pytest.raises(Conflict, match="macro-F1 drops"):
        registry.promote(s, trainer, "v3", miss_target=0.01)
    with unit_of_work(sessions) as s:
        assert registry.active(s).version == "v1"  # type: ignore[union-attr]
    # the better one goes through
    with unit_of_work(sessions) as s:
        row, verdict = registry.promote(s, trainer, "v2", miss_target=0.01)
        assert (row.state, row.previous_version, verdict.compared) == ("active", "v1", ["gold"])
    with unit_of_work(sessions) as s:
        states = {v.version: v.state for v in registry.list_versions(s)}
    assert states == {"v1": "retired", "v2": "active", "v3": "candidate"}
    # forcing needs a reason, and records it
    with unit_of_work(sessions) as s, pytest.raises(InvalidInput):
        registry.promote(s, trainer, "v3", miss_target=0.01, force_reason="  ")
    with unit_of_work(sessions) as s:
        registry.promote(s, trainer, "v3", miss_target=0.01, force_reason="hotfix for sarcasm")
    # rollback goes back step by step
    with unit_of_work(sessions) as s:
        assert registry.rollback(s, trainer, reason="complaints rose").version == "v2"
    with unit_of_work(sessions) as s:
        assert registry.rollback(s, trainer, reason="still wrong").version == "v1"
    with unit_of_work(sessions) as s, pytest.raises(Conflict, match="no earlier version"):
        registry.rollback(s, trainer, reason="again")
    # shadow: one candidate at a time, never the active one
    with unit_of_work(sessions) as s, pytest.raises(Conflict):
        registry.set_shadow(s, trainer, "v1", True)
    with unit_of_work(sessions) as s:
        registry.set_shadow(s, trainer, "v2", True)
        registry.set_shadow(s, trainer, "v3", True)
    with unit_of_work(sessions) as s:
        assert registry.shadow(s).version == "v3"  # type: ignore[union-attr]
        assert [v.version for v in registry.list_versions(s) if v.shadow] == ["v3"]
        events = [
            (e.actor, e.action, e.subject)
            for e in s.scalars(
                select(AuditEvent).where(AuditEvent.actor != SETUP).order_by(AuditEvent.id)
            )
        ]
    assert ("trainer.a@example.com", "model.promotion_refused", "v3") not in events  # rolled back
    assert [a for _, a, _ in events] == [
        "model.register",
        "model.register",
        "model.register",
        "model.evaluate",
        "model.evaluate",
        "model.evaluate",
        "model.promote",
        "model.promote",
        "model.rollback",
        "model.rollback",
        "model.shadow_on",
        "model.shadow_on",
    ]
    with unit_of_work(sessions) as s:
        forced = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "model.promote").order_by(AuditEvent.id)
        ).all()[1]
    assert forced.details is not None
    assert forced.details["forced"] is True and forced.details["reason"] == "hotfix for sarcasm"
