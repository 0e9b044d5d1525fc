"""Who may do what (`triage.access.permissions`): every policy against every kind of caller,
with principals authenticated from the real database; the queue-item policies select the
rows they allow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import World
from tests.triage.loop_data import add_review, principal
from triage.access import permissions
from triage.access.accounts import Principal
from triage.core.errors import Forbidden
from triage.storage.db import unit_of_work, utcnow
from triage.storage.tables import QueueItem

CALLERS = ("key", "agent", "trainer", "admin")

#: policy -> (the callers it allows, the message the others get)
POLICIES: dict[str, tuple[Callable[[Principal], None], set[str], str]] = {
    "ingest": (
        permissions.ingest_reviews,
        {"key", "admin"},
        "ingest needs a hotel system's API key (or an admin)",
    ),
    "queue": (
        permissions.work_the_queue,
        {"agent", "trainer", "admin"},
        "the review queue is for people: use a personal token",
    ),
    "labels": (
        permissions.give_labels,
        {"agent", "trainer", "admin"},
        "labels are given by people: sign in or use a personal token",
    ),
    "double label queue": (
        permissions.see_double_label_queue,
        {"agent", "trainer", "admin"},
        "double labels are given by people",
    ),
    "touchpoints": (
        permissions.label_touchpoints,
        {"trainer", "admin"},
        "touchpoints are labelled by trainers and admins",
    ),
    "workspace": (
        permissions.use_trainer_workspace,
        {"trainer", "admin"},
        "this is the trainers' workspace (role trainer or admin)",
    ),
    "registry": (
        permissions.run_model_registry,
        {"trainer", "admin"},
        "the model registry is for trainers and admins",
    ),
    "pin thresholds": (permissions.pin_thresholds, {"admin"}, "thresholds are pinned by admins"),
    "see thresholds": (
        permissions.see_thresholds,
        {"agent", "trainer", "admin"},
        "thresholds are shown to people",
    ),
    "audit log": (permissions.read_audit_log, {"admin"}, "the audit log is for admins"),
    "erase guests": (permissions.erase_guests, {"admin"}, "erasure requests are for admins"),
}


@pytest.fixture
def callers(sessions: sessionmaker[Session], world: World) -> dict[str, Principal]:
    return {
        "key": principal(sessions, world.key_a),
        "agent": principal(sessions, world.agent_a),
        "trainer": principal(sessions, world.trainer_a),
        "admin": principal(sessions, world.admin_ab),
    }


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_each_policy_allows_its_callers_and_refuses_the_others_with_its_message(
    callers: dict[str, Principal], name: str
) -> None:
    policy, allowed, message = POLICIES[name]
    for caller in CALLERS:
        if caller in allowed:
            policy(callers[caller])
        else:
            with pytest.raises(Forbidden) as refused:
                policy(callers[caller])
            assert str(refused.value) == message, (name, caller)


def test_the_command_line_may_run_the_registry_and_erase_guests() -> None:
    permissions.run_model_registry("cli:operator")
    permissions.erase_guests("cli:operator")


def test_thresholds_over_the_api_are_for_admins(callers: dict[str, Principal]) -> None:
    permissions.see_thresholds(callers["admin"], admins_only=True)
    for caller in ("agent", "trainer"):
        with pytest.raises(Forbidden, match=r"^thresholds are for admins$"):
            permissions.see_thresholds(callers[caller], admins_only=True)
    with pytest.raises(Forbidden, match=r"^thresholds are shown to people$"):
        permissions.see_thresholds(callers["key"], admins_only=True)


@pytest.mark.parametrize(
    ("kind", "allowed"),
    [
        ("spot_check", {"agent", "trainer", "admin"}),
        ("double_label", {"agent", "trainer", "admin"}),
        ("relabel", {"trainer", "admin"}),
        ("adjudication", {"trainer", "admin"}),
    ],
)
def test_who_gives_which_label(callers: dict[str, Principal], kind: str, allowed: set[str]) -> None:
    for caller in ("agent", "trainer", "admin"):
        if caller in allowed:
            permissions.give_label_of_kind(callers[caller], kind)
        else:
            with pytest.raises(Forbidden) as refused:
                permissions.give_label_of_kind(callers[caller], kind)
            assert str(refused.value) == f"a {kind.replace('_', ' ')} is given by trainer or admins"


def test_a_double_label_is_blind(callers: dict[str, Principal]) -> None:
    agent = callers["agent"]
    permissions.give_double_label(agent, {None, agent.id + 1000})
    with pytest.raises(Forbidden, match="has not labelled this review"):
        permissions.give_double_label(agent, {agent.id})


def test_the_queue_item_policies_select_the_items_each_person_may_change(
    sessions: sessionmaker[Session], callers: dict[str, Principal]
) -> None:
    agent, trainer, admin = callers["agent"], callers["trainer"], callers["admin"]
    now = utcnow()
    with unit_of_work(sessions) as s:
        items = {}
        for name, holder, lease in (
            ("free", None, None),
            ("mine", agent.id, now + timedelta(minutes=5)),
            ("other's", trainer.id, now + timedelta(minutes=5)),
            ("lapsed", trainer.id, now - timedelta(minutes=1)),
        ):
            review = add_review(s, route="human", text=f"item {name}")
            item = QueueItem(
                review_id=review.id,
                property_id=review.property_id,
                state="open",
                priority=2,
                due_at=now + timedelta(hours=4),
                claimed_by=holder,
                claimed_at=now if holder else None,
                lease_expires_at=lease,
            )
            s.add(item)
            s.flush()
            items[item.id] = name
        free = (QueueItem.claimed_by.is_(None)) | (QueueItem.lease_expires_at <= now)

        def chosen(condition: ColumnElement[bool]) -> set[str]:
            ids = s.scalars(select(QueueItem.id).where(condition))
            return {items[i] for i in ids}

        assert chosen(permissions.items_to_release(agent)) == {"mine"}
        assert chosen(permissions.items_to_release(admin)) == {"mine", "other's", "lapsed"}
        assert chosen(permissions.items_to_resolve(agent, free)) == {"free", "mine", "lapsed"}
        assert chosen(permissions.items_to_resolve(admin, free)) == {"free", "lapsed"}
        assert chosen(permissions.items_to_escalate(agent, free)) == {"free", "mine", "lapsed"}
        assert chosen(permissions.items_to_escalate(admin, free)) == set(items.values())
