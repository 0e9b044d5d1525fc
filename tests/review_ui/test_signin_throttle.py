"""Failed sign-ins are limited per account and per address (counted in the database, so
the limit holds across processes); each failure and each refusal is in the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.double import KeywordClassifier
from service.app import create_app
from tests.conftest import PASSWORD, SETUP, World, make_settings
from tests.review_ui.helpers import csrf_of
from triage.storage.tables import AuditEvent


@pytest.fixture
def strict(database_url: str, tmp_path: Path, world: World) -> Iterator[TestClient]:
    settings = make_settings(
        database_url, tmp_path, signin_failures_per_account=3, signin_failures_per_address=5
    )
    with TestClient(create_app(settings, classifier=KeywordClassifier())) as client:
        yield client


def attempt(client: TestClient, email: str, password: str) -> int:
    client.cookies.clear()  # a fresh browser each time
    form = client.get("/ui/signin")
    response = client.post(
        "/ui/signin",
        data={"email": email, "password": password, "csrf": csrf_of(form.text)},
        follow_redirects=False,
    )
    if response.status_code == 429:
        assert 1 <= int(response.headers["retry-after"]) <= 15 * 60 + 1
        assert "Too many failed sign-ins" in response.text
        assert "content-security-policy" in response.headers
    return response.status_code


def test_failed_sign_ins_are_throttled_per_account_then_per_address(
    strict: TestClient, sessions: sessionmaker[Session]
) -> None:
    account = [attempt(strict, "agent.a@example.com", "wrong password") for _ in range(4)]
    # Even the right password is refused while the account is throttled.
    right = attempt(strict, "agent.a@example.com", PASSWORD)
    others = [attempt(strict, f"nobody{n}@example.com", "guess") for n in range(2)]
    other_person = attempt(strict, "agent.b@example.com", PASSWORD)

    assert account == [401, 401, 401, 429]
    assert right == 429
    assert others == [401, 401]  # the address's 5 failures are now spent
    assert other_person == 429
    with sessions() as s:
        events = s.execute(
            select(AuditEvent.action, AuditEvent.subject)
            .where(AuditEvent.actor != SETUP)
            .order_by(AuditEvent.id)
        ).all()
    assert [tuple(e) for e in events] == [
        ("sign_in_failed", "agent.a@example.com"),
        ("sign_in_failed", "agent.a@example.com"),
        ("sign_in_failed", "agent.a@example.com"),
        ("sign_in_throttled", "agent.a@example.com"),
        ("sign_in_throttled", "agent.a@example.com"),
        ("sign_in_failed", "nobody0@example.com"),
        ("sign_in_failed", "nobody1@example.com"),
        ("sign_in_throttled", "agent.b@example.com"),
    ]
    with sessions() as s:
        details = s.scalars(select(AuditEvent.details)).all()
    assert "wrong password" not in str(details) and PASSWORD not in str(details)


def test_a_right_password_clears_the_accounts_failures(
    strict: TestClient, sessions: sessionmaker[Session]
) -> None:
    assert [attempt(strict, "agent.a@example.com", "wrong") for _ in range(2)] == [401, 401]
    assert attempt(strict, "agent.a@example.com", PASSWORD) == 303
    assert strict.cookies.get("triage_session")
    assert [attempt(strict, "agent.a@example.com", "wrong") for _ in range(2)] == [401, 401]
    with sessions() as s:
        events = s.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.subject)
            .where(AuditEvent.actor != SETUP)
            .order_by(AuditEvent.id)
        ).all()
    failed = ("web", "sign_in_failed", "agent.a@example.com")
    assert [tuple(e) for e in events] == [
        failed,
        failed,
        ("agent.a@example.com", "sign_in", None),
        failed,
        failed,
    ]
