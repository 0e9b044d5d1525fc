"""Limits counted in the database: failed sign-ins per account and per address, request
windows, and pruning. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from triage.access import throttle
from triage.core.errors import RateLimited
from triage.storage.db import unit_of_work, utcnow
from triage.storage.tables import RateWindow, SignInFailure

LIMITS = throttle.SignInLimits(per_account=3, per_address=5, window=timedelta(minutes=15))


def fail(sessions: sessionmaker[Session], account: str, address: str) -> None:
    with unit_of_work(sessions) as s:
        throttle.check_sign_in(s, account, address, LIMITS)
        throttle.sign_in_failed(s, account, address)


def refused(sessions: sessionmaker[Session], account: str, address: str) -> int | None:
    try:
        with unit_of_work(sessions) as s:
            throttle.check_sign_in(s, account, address, LIMITS)
    except RateLimited as error:
        return error.retry_after
    return None


def test_failed_sign_ins_are_limited_per_account_and_per_address(
    sessions: sessionmaker[Session],
) -> None:
    for _ in range(3):
        fail(sessions, "Anna@Example.com", "10.0.0.1")
    wait = refused(sessions, "anna@example.com ", "10.0.0.9")  # same account, other address
    assert wait is not None and 14 * 60 < wait <= 15 * 60 + 1
    assert refused(sessions, "other@example.com", "10.0.0.1") is None  # 3 of 5 for the address
    for n in range(2):
        fail(sessions, f"guess{n}@example.com", "10.0.0.1")
    assert refused(sessions, "new@example.com", "10.0.0.1") is not None  # the address is spent
    assert refused(sessions, "new@example.com", "10.0.0.2") is None
    # A right password clears the account's failures, not the address's.
    with unit_of_work(sessions) as s:
        throttle.sign_in_succeeded(s, "ANNA@example.com")
    assert refused(sessions, "anna@example.com", "10.0.0.9") is None
    assert refused(sessions, "anna@example.com", "10.0.0.1") is not None
    # Failures older than the window no longer count.
    with unit_of_work(sessions) as s:
        s.execute(update(SignInFailure).values(at=utcnow() - timedelta(minutes=16)))
    assert refused(sessions, "new@example.com", "10.0.0.1") is None


def test_request_windows_count_per_caller_and_prune(sessions: sessionmaker[Session]) -> None:
    with unit_of_work(sessions) as s:
        counts = [throttle.count_request(s, "key:1", per_minute=1000) for _ in range(3)]
        throttle.count_request(s, "user:1", per_minute=1000)
    if counts != [1, 2, 3]:  # the minute turned over in between: one more try
        with unit_of_work(sessions) as s:
            s.execute(RateWindow.__table__.delete())
            counts = [throttle.count_request(s, "key:1", per_minute=1000) for _ in range(3)]
    assert counts == [1, 2, 3]
    with unit_of_work(sessions) as s, pytest.raises(RateLimited):
        for _ in range(1000):
            throttle.count_request(s, "key:2", per_minute=10)
    with unit_of_work(sessions) as s:
        s.execute(
            update(RateWindow)
            .where(RateWindow.caller == "user:1")
            .values(window_start=utcnow() - timedelta(hours=1))
        )
        throttle.sign_in_failed(s, "a@example.com", "10.0.0.1")
        s.execute(update(SignInFailure).values(at=utcnow() - timedelta(hours=1)))
        assert throttle.prune(s, keep=timedelta(minutes=15)) == 2
    with sessions() as s:
        assert sorted(s.scalars(select(RateWindow.caller))) == ["key:1", "key:2"]
        assert s.scalar(select(func.count()).select_from(SignInFailure)) == 0
