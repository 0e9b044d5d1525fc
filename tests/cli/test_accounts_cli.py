"""`triage properties`, `keys`, `users` and `tokens`: accounts, policies and their audit rows."""

from __future__ import annotations

import io
import json
import sys

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from models.double import KeywordClassifier
from tests.cli.helpers import PASSWORD, add_user, run
from triage.access import accounts
from triage.decisions.policy import policy_for
from triage.storage.db import unit_of_work
from triage.storage.tables import ApiKey, Property, User, UserToken
from triage_cli.main import main


def test_properties_add_and_list(
    two_hotels: None, capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session]
) -> None:
    assert run(capsys, "properties", "add", "venue-c") == (0, ["property venue-c added"], [])

    assert run(capsys, "properties", "list") == (
        0,
        ["hotel-a\tHotel A", "hotel-b\tHotel B", "venue-c\tvenue-c"],
        [],
    )
    with sessions() as s:
        rows = s.execute(
            select(Property.id, Property.name, Property.policy).order_by(Property.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("hotel-a", "Hotel A", {}),
        ("hotel-b", "Hotel B", {}),
        ("venue-c", "venue-c", {}),
    ]


@pytest.mark.parametrize(
    ("property_id", "problem"),
    [
        ("hotel-a", ["error: property 'hotel-a' exists already"]),
        (
            "Hotel A!",
            [
                "error: invalid property id",
                "  id: lower-case letters, digits, '-' or '_', 1-64 long (pattern)",
            ],
        ),
    ],
)
def test_properties_add_refuses_duplicates_and_bad_ids(
    two_hotels: None,
    capsys: pytest.CaptureFixture[str],
    sessions: sessionmaker[Session],
    property_id: str,
    problem: list[str],
) -> None:
    assert run(capsys, "properties", "add", property_id) == (2, [], problem)
    with sessions() as s:
        assert list(s.scalars(select(Property.id).order_by(Property.id))) == ["hotel-a", "hotel-b"]


def test_keys_create_prints_the_key_alone_on_the_last_line(
    two_hotels: None, capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session]
) -> None:
    code, out, err = run(
        capsys, "keys", "create", "--property", "hotel-a", "--property", "hotel-b", "--name", "PMS"
    )

    assert (code, err) == (0, [])
    assert out[:-1] == ["API key 1 for hotel-a, hotel-b (shown once, store it now):"]
    secret = out[-1]
    assert secret.startswith("gtk_")
    assert secret == secret.strip()
    assert len(secret) == 4 + 43
    with unit_of_work(sessions) as s:
        principal = accounts.authenticate_bearer(s, secret)
        key = s.scalars(select(ApiKey).options(selectinload(ApiKey.properties))).one()
        assert (key.name, key.prefix, key.revoked_at) == ("PMS", secret[:10], None)
        assert secret not in key.secret_hash
    assert principal == accounts.Principal(
        kind="api_key", id=1, role="system", property_ids=frozenset({"hotel-a", "hotel-b"})
    )


def test_keys_create_for_an_unknown_property_fails(
    two_hotels: None, capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session]
) -> None:
    assert run(capsys, "keys", "create", "--property", "nowhere") == (
        2,
        [],
        ["error: unknown properties: nowhere"],
    )
    with sessions() as s:
        assert list(s.scalars(select(ApiKey))) == []


def test_users_add_reads_the_password_from_stdin(
    two_hotels: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sessions: sessionmaker[Session],
) -> None:
    result = add_user(
        capsys,
        monkeypatch,
        "Agent.A@Example.com",
        PASSWORD,
        "--role",
        "agent",
        "--property",
        "hotel-a",
    )

    assert result == (0, ["user agent.a@example.com (agent) added"], [])
    with unit_of_work(sessions) as s:
        user = s.scalars(select(User).options(selectinload(User.properties))).one()
        assert (user.email, user.role, [p.id for p in user.properties], user.disabled_at) == (
            "agent.a@example.com",
            "agent",
            ["hotel-a"],
            None,
        )
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        principal = accounts.authenticate_password(s, "agent.a@example.com", PASSWORD)
    assert principal == accounts.Principal(
        kind="user",
        id=user.id,
        role="agent",
        property_ids=frozenset({"hotel-a"}),
        email="agent.a@example.com",
    )


@pytest.mark.parametrize(
    ("email", "password", "options", "problem"),
    [
        (
            "agent@example.com",
            "too short",
            ["--role", "agent", "--property", "hotel-a"],
            ["error: invalid user", "  password: at least 10 characters (min_length)"],
        ),
        (
            "not-an-email",
            PASSWORD,
            ["--role", "agent", "--property", "hotel-a"],
            ["error: invalid user", "  email: an e-mail address (format)"],
        ),
        (
            "agent@example.com",
            PASSWORD,
            ["--role", "agent", "--property", "nowhere"],
            ["error: unknown properties: nowhere"],
        ),
    ],
    ids=["short-password", "bad-email", "unknown-property"],
)
def test_users_add_refuses_bad_input(
    two_hotels: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sessions: sessionmaker[Session],
    email: str,
    password: str,
    options: list[str],
    problem: list[str],
) -> None:
    assert add_user(capsys, monkeypatch, email, password, *options) == (2, [], problem)
    with sessions() as s:
        assert list(s.scalars(select(User))) == []


def test_users_add_refuses_an_unknown_role(
    two_hotels: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))

    with pytest.raises(SystemExit) as exited:
        main(["users", "add", "a@example.com", "--role", "owner", "--property", "hotel-a"])

    assert exited.value.code == 2
    assert "invalid choice: 'owner'" in capsys.readouterr().err


def test_tokens_create_prints_the_token_alone_on_the_last_line(
    two_hotels: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sessions: sessionmaker[Session],
) -> None:
    add_user(
        capsys,
        monkeypatch,
        "trainer@example.com",
        PASSWORD,
        "--role",
        "trainer",
        "--property",
        "hotel-a",
        "--property",
        "hotel-b",
    )

    code, out, err = run(capsys, "tokens", "create", "trainer@example.com")

    assert (code, err) == (0, [])
    assert out[:-1] == ["personal token for trainer@example.com (shown once, store it now):"]
    secret = out[-1]
    assert secret.startswith("gtu_")
    assert len(secret) == 4 + 43
    with unit_of_work(sessions) as s:
        principal = accounts.authenticate_bearer(s, secret)
        token = s.scalars(select(UserToken)).one()
        assert (token.user_id, token.prefix, token.revoked_at) == (principal.id, secret[:10], None)
        assert secret not in token.secret_hash
    assert principal == accounts.Principal(
        kind="user",
        id=principal.id,
        role="trainer",
        property_ids=frozenset({"hotel-a", "hotel-b"}),
        email="trainer@example.com",
    )


def test_tokens_create_for_an_unknown_user_fails(
    two_hotels: None, capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session]
) -> None:
    assert run(capsys, "tokens", "create", "nobody@example.com") == (
        2,
        [],
        ["error: no active user nobody@example.com"],
    )
    with sessions() as s:
        assert list(s.scalars(select(UserToken))) == []


def test_properties_policy_validates_and_routing_uses_it(
    two_hotels: None, capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session]
) -> None:
    code, out, _ = run(
        capsys,
        "properties",
        "policy",
        "hotel-a",
        "--set",
        '{"auto_threshold": 0.95, "sla_hours": {"1": 1}, "safety_terms": ["Legionellen"]}',
    )
    assert code == 0
    assert json.loads("\n".join(out)) == {
        "auto_threshold": 0.95,
        "safety_terms": ["Legionellen"],
        "sla_hours": {"1": 1.0},
    }
    code, out, err = run(
        capsys, "properties", "policy", "hotel-a", "--set", '{"auto_threshold": 2}'
    )
    assert (code, err) == (
        2,
        ["error: invalid policy", "  auto_threshold: a number from 0 to 1 (range)"],
    )
    code, out, _ = run(capsys, "properties", "policy", "hotel-a", "--set", '{"sla_hours": null}')
    assert json.loads("\n".join(out)) == {"auto_threshold": 0.95, "safety_terms": ["Legionellen"]}
    with sessions() as s:
        prop = s.get(Property, "hotel-a")
        assert prop is not None
        policy = policy_for(prop.policy, KeywordClassifier())
    assert policy.auto_threshold == 0.95
    assert policy.safety_terms == ("Legionellen",)


def test_account_and_policy_changes_are_in_the_audit_log_without_secrets(
    two_hotels: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sessions: sessionmaker[Session],
) -> None:
    import getpass

    from triage.storage.tables import AuditEvent

    me = f"cli:{getpass.getuser()}"
    _, out, _ = run(capsys, "keys", "create", "--property", "hotel-a")
    key = out[-1]
    add_user(
        capsys,
        monkeypatch,
        "night@example.com",
        PASSWORD,
        "--role",
        "agent",
        "--property",
        "hotel-b",
    )
    _, out, _ = run(capsys, "tokens", "create", "night@example.com")
    token = out[-1]
    run(capsys, "properties", "policy", "hotel-a", "--set", '{"auto_threshold": 0.9}')

    with sessions() as s:
        events = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        rows = [(e.actor, e.action, e.property_id, e.subject, e.details) for e in events]
    assert rows == [
        (me, "api_key.create", "hotel-a", "key:1", {"prefix": key[:10], "properties": ["hotel-a"]}),
        (
            me,
            "user.create",
            "hotel-b",
            "night@example.com",
            {"role": "agent", "properties": ["hotel-b"]},
        ),
        (me, "user_token.create", "hotel-b", "night@example.com", {"prefix": token[:10]}),
        (me, "policy.set", "hotel-a", None, {"before": {}, "after": {"auto_threshold": 0.9}}),
    ]
    assert all(e.at is not None for e in events)
    logged = json.dumps(rows)
    assert key not in logged and token not in logged and PASSWORD not in logged
