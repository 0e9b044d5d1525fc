"""Rows written by their owner: queue items only by `casework.queue.enqueue`, labels only by
`verdicts.labels.record`, and every change a person makes audited by the domain function
that makes it (so every caller, page or API or script, gets the audit row): sign-ins
included, each outcome, and the keys, people and tokens the accounts create."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import PASSWORD, SETUP, World
from tests.triage.loop_data import add_review, principal
from triage.access import accounts, throttle, web_sessions
from triage.casework import queue
from triage.casework.spot_checks import pull_back
from triage.core.errors import Conflict, RateLimited, Unauthenticated
from triage.journeys.journey import label_touchpoints
from triage.storage.db import unit_of_work, utcnow
from triage.storage.tables import AuditEvent, Label, QueueItem, SignInFailure
from triage.verdicts import labels

TRIAGE = Path(__file__).resolve().parents[2] / "triage"


def _constructed_in(table: str) -> set[str]:
    """The modules of `triage` that call the table class (build a row of it)."""
    found = set()
    for path in TRIAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == table:
                found.add(path.relative_to(TRIAGE).as_posix())
    return found


@pytest.mark.parametrize(
    ("table", "owner"),
    [("QueueItem", "casework/queue.py"), ("Label", "verdicts/labels.py")],
)
def test_each_row_has_one_writer(table: str, owner: str) -> None:
    assert _constructed_in(table) == {owner}


def _audit(s: Session) -> list[tuple[str, str | None, str | None, dict[str, object] | None]]:
    """The audit log after the fixtures' own set-up (keys, tokens)."""
    events = s.scalars(select(AuditEvent).where(AuditEvent.actor != SETUP).order_by(AuditEvent.id))
    return [(e.action, e.property_id, e.subject, e.details) for e in events]


def test_enqueue_opens_an_item_for_the_review(
    sessions: sessionmaker[Session], world: World
) -> None:
    now = utcnow()
    with unit_of_work(sessions) as s:
        review = add_review(s, route="human", property_id="hotel-b")
        item = queue.enqueue(s, review, priority=2, due_at=now + timedelta(hours=4), now=now)
        item_id = item.id
    with unit_of_work(sessions) as s:
        stored = s.get(QueueItem, item_id)
        assert stored is not None
        assert (stored.review_id, stored.property_id, stored.state, stored.priority) == (
            review.id,
            "hotel-b",
            "open",
            2,
        )
        assert (stored.due_at, stored.created_at) == (now + timedelta(hours=4), now)
        assert (stored.origin, stored.created_by, stored.claimed_by) == (None, None, None)


def test_resolving_records_the_verdict_label_and_audits_it(
    sessions: sessionmaker[Session], world: World
) -> None:
    agent = principal(sessions, world.agent_a)
    now = utcnow()
    with unit_of_work(sessions) as s:
        review = add_review(s, route="human", label="positive")
        item_id = queue.enqueue(s, review, priority=2, due_at=now, now=now).id
    with unit_of_work(sessions) as s:
        queue.resolve(s, agent, item_id, queue.Verdict("negative", "replied", "called"))
    with unit_of_work(sessions) as s:
        (label,) = s.scalars(select(Label))
        item = s.get(QueueItem, item_id)
        assert item is not None
        assert (label.kind, label.label, label.user_id, label.role, label.note) == (
            "queue_verdict",
            "negative",
            agent.id,
            "agent",
            None,
        )
        assert (label.model_version, label.predicted_label) == ("m-1", "positive")
        assert label.created_at == item.resolved_at
        assert _audit(s) == [
            (
                "queue.resolve",
                "hotel-a",
                f"item:{item_id}",
                {"label": "negative", "action": "replied"},
            )
        ]


def test_pulling_back_enqueues_and_records_a_spot_check(
    sessions: sessionmaker[Session], world: World
) -> None:
    agent = principal(sessions, world.agent_a)
    with unit_of_work(sessions) as s:
        review_id = add_review(s, route="auto").id
    with unit_of_work(sessions) as s:
        item_id = pull_back(s, agent, review_id, "negative").id
    with unit_of_work(sessions) as s:
        item = s.get(QueueItem, item_id)
        (label,) = s.scalars(select(Label))
        assert item is not None
        assert (item.origin, item.created_by, item.review_id) == (
            "pulled_back",
            agent.id,
            review_id,
        )
        assert (label.kind, label.label, label.user_id, label.created_at) == (
            "spot_check",
            "negative",
            agent.id,
            item.created_at,
        )


def test_record_keeps_the_provenance_rules(sessions: sessionmaker[Session], world: World) -> None:
    trainer = principal(sessions, world.trainer_a)
    with unit_of_work(sessions) as s:
        review = add_review(s)
        relabel = labels.record(s, trainer, review, "neutral", "relabel", note="   ", gold=True)
        gold = labels.record(s, trainer, review, "neutral", "adjudication", note=" ok ", gold=True)
        assert (relabel.note, relabel.gold) == (None, False)  # only adjudications are gold
        assert (gold.note, gold.gold) == ("ok", True)
        with pytest.raises(ValueError, match="unknown label kind"):
            labels.record(s, trainer, review, "neutral", "opinion")


def test_labels_and_touchpoints_are_audited_by_the_domain(
    sessions: sessionmaker[Session], world: World
) -> None:
    trainer = principal(sessions, world.trainer_a)
    with unit_of_work(sessions) as s:
        review_id = add_review(s, text="The breakfast was cold.").id
    with unit_of_work(sessions) as s:
        labels.add_label(s, trainer, review_id, "negative", "adjudication", gold=True)
        label_touchpoints(s, trainer, review_id, 0, 23, ["breakfast"])
    with unit_of_work(sessions) as s:
        assert _audit(s) == [
            (
                "label.adjudication",
                "hotel-a",
                f"review:{review_id}",
                {"label": "negative", "gold": True},
            ),
            (
                "label.touchpoints",
                "hotel-a",
                f"review:{review_id}",
                {"start": 0, "end": 23, "touchpoints": ["breakfast"]},
            ),
        ]


SIGN_IN_LIMITS = throttle.SignInLimits(per_account=2, per_address=10, window=timedelta(minutes=15))


def _sign_in(
    sessions: sessionmaker[Session], email: str, password: str, address: str
) -> str | RateLimited | Unauthenticated:
    """One attempt in its own unit of work, committed even when refused (as the page does)."""
    with unit_of_work(sessions) as s:
        try:
            return web_sessions.sign_in(s, email, password, address=address, limits=SIGN_IN_LIMITS)
        except (RateLimited, Unauthenticated) as refused:
            return refused


def test_sign_in_audits_each_outcome_and_counts_the_failures(
    sessions: sessionmaker[Session], world: World
) -> None:
    failed = [_sign_in(sessions, " Agent.A@example.com", "wrong", "10.0.0.1") for _ in range(2)]
    throttled = _sign_in(sessions, "agent.a@example.com", PASSWORD, "10.0.0.1")
    wrong_then_right = [
        _sign_in(sessions, "agent.b@example.com", password, "10.0.0.2")
        for password in ("wrong", PASSWORD)
    ]
    # Raised and not caught, the unit of work rolls back: no count, no audit row.
    with pytest.raises(Unauthenticated), unit_of_work(sessions) as s:
        web_sessions.sign_in(
            s, "nobody@example.com", "guess", address="10.0.0.3", limits=SIGN_IN_LIMITS
        )

    assert all(isinstance(f, Unauthenticated) for f in failed)
    assert isinstance(throttled, RateLimited) and 14 * 60 < throttled.retry_after <= 15 * 60 + 1
    assert isinstance(wrong_then_right[0], Unauthenticated)
    secret = wrong_then_right[1]
    assert isinstance(secret, str)
    with unit_of_work(sessions) as s:
        signed_in = web_sessions.identify(s, secret, idle=timedelta(minutes=30))
        assert signed_in.principal.email == "agent.b@example.com"
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.actor != SETUP).order_by(AuditEvent.id)
        )
        assert [(e.actor, e.user_id, e.action, e.subject, e.details) for e in events] == [
            ("web", None, "sign_in_failed", "agent.a@example.com", None),
            ("web", None, "sign_in_failed", "agent.a@example.com", None),
            ("web", None, "sign_in_throttled", "agent.a@example.com", {"address": "10.0.0.1"}),
            ("web", None, "sign_in_failed", "agent.b@example.com", None),
            ("agent.b@example.com", signed_in.principal.id, "sign_in", None, None),
        ]
        # The right password cleared agent.b's failure from the account, not the address.
        failures = s.execute(
            select(SignInFailure.account, SignInFailure.address).order_by(SignInFailure.id)
        ).all()
        assert [tuple(f) for f in failures] == [
            ("agent.a@example.com", "10.0.0.1"),
            ("agent.a@example.com", "10.0.0.1"),
            ("", "10.0.0.2"),
        ]


def test_keys_people_and_tokens_are_audited_by_the_account_functions(
    sessions: sessionmaker[Session], world: World
) -> None:
    with unit_of_work(sessions) as s:
        key, _ = accounts.create_api_key(s, "cli:ops", ["hotel-b", "hotel-a"], name="pms")
        user = accounts.add_user(s, "cli:ops", " Night@Example.com", PASSWORD, "agent", ["hotel-a"])
        token, _ = accounts.create_user_token(s, "cli:ops", "NIGHT@example.com")
        # One row per property the key or person gets, so each property's admins see it.
        key_details = {"prefix": key.prefix, "properties": ["hotel-a", "hotel-b"]}
        expected = [
            ("cli:ops", "api_key.create", "hotel-a", f"key:{key.id}", key_details),
            ("cli:ops", "api_key.create", "hotel-b", f"key:{key.id}", key_details),
            (
                "cli:ops",
                "user.create",
                "hotel-a",
                "night@example.com",
                {"role": "agent", "properties": ["hotel-a"]},
            ),
            (
                "cli:ops",
                "user_token.create",
                "hotel-a",
                "night@example.com",
                {"prefix": token.prefix},
            ),
        ]
        assert user.email == "night@example.com"
    # A refused creation writes nothing, its audit row included.
    with pytest.raises(Conflict), unit_of_work(sessions) as s:
        accounts.add_user(s, "cli:ops", "night@example.com", PASSWORD, "agent", ["hotel-a"])
    with unit_of_work(sessions) as s:
        events = s.scalars(
            select(AuditEvent).where(AuditEvent.actor != SETUP).order_by(AuditEvent.id)
        )
        assert [(e.actor, e.action, e.property_id, e.subject, e.details) for e in events] == (
            expected
        )
