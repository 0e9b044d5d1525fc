"""Limits that hold across processes, because they are counted in the database.

- `count_request`: a per-caller fixed window (one minute). Each authenticated API
  request adds one to its caller's row for the current minute with one upsert; past
  the limit the request is refused with `RateLimited` until the next minute starts.
  Every API process shares the count, so N processes still give one limit.
- `check_sign_in` / `sign_in_failed` / `sign_in_succeeded`: failed sign-ins counted per
  account (e-mail) and per client address within a sliding window; past either limit
  every further attempt is refused before the password is checked, so guessing is
  capped even when the attacker spreads over accounts or addresses.

Old rows are pruned by `prune` (the app's housekeeping loop).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from triage.core.errors import RateLimited
from triage.storage.db import utcnow
from triage.storage.tables import RateWindow, SignInFailure
from triage.storage.upsert import insert_or_update

WINDOW = timedelta(minutes=1)


def _window_start(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def count_request(session: Session, caller: str, *, per_minute: int) -> int:
    """Count one request of `caller` in this minute; RateLimited past `per_minute`.

    Returns the count so far in this window. `per_minute` 0 means no limit (nothing
    is written).
    """
    if per_minute <= 0:
        return 0
    now = utcnow()
    start = _window_start(now)
    # On PostgreSQL the table is UNLOGGED (a count need not survive a crash): its commits
    # wait for no WAL flush. Run in `storage.db.statements`, the upsert holds the row's
    # lock only while PostgreSQL runs it.
    statement = insert_or_update(
        session,
        RateWindow.__table__,
        {"caller": caller, "window_start": start, "count": 1},
        index_elements=["caller", "window_start"],
        set_={"count": RateWindow.__table__.c.count + 1},
    ).returning(RateWindow.__table__.c.count)
    count = int(session.execute(statement).scalar_one())
    if count > per_minute:
        retry_after = (start + WINDOW - now).total_seconds()
        raise RateLimited(
            f"more than {per_minute} requests in a minute (TRIAGE_RATE_LIMIT_PER_MINUTE); "
            "slow down",
            retry_after=int(retry_after) + 1,
        )
    return count


@dataclass(frozen=True, slots=True)
class SignInLimits:
    per_account: int
    per_address: int
    window: timedelta


def _normal(account: str) -> str:
    return account.strip().lower()[:320]


def check_sign_in(session: Session, account: str, address: str, limits: SignInLimits) -> None:
    """Refuse (RateLimited) when this account or address failed too often recently."""
    now = utcnow()
    since = now - limits.window
    for column, value, limit in (
        (SignInFailure.account, _normal(account), limits.per_account),
        (SignInFailure.address, address[:64], limits.per_address),
    ):
        count, oldest = session.execute(
            select(func.count(), func.min(SignInFailure.at)).where(
                column == value, SignInFailure.at > since
            )
        ).one()
        if count >= limit and oldest is not None:
            # The oldest failure in the window leaves it first; then one more try is allowed.
            # (SQLite returns the aggregate as naive UTC: compare in seconds.)
            oldest_at = oldest if isinstance(oldest, datetime) else datetime.fromisoformat(oldest)
            if oldest_at.tzinfo is None:
                oldest_at = oldest_at.replace(tzinfo=now.tzinfo)
            wait = (oldest_at + limits.window - now).total_seconds()
            raise RateLimited(
                "too many failed sign-ins; try again later", retry_after=int(wait) + 1
            )


def sign_in_failed(session: Session, account: str, address: str) -> None:
    session.add(SignInFailure(at=utcnow(), account=_normal(account), address=address[:64]))
    session.flush()


def sign_in_succeeded(session: Session, account: str) -> None:
    """A correct password clears the account's failures; they still count for their
    addresses (a known password must not reset an address that guesses others)."""
    session.execute(
        update(SignInFailure)
        .where(SignInFailure.account == _normal(account))
        .values(account="")
        .execution_options(synchronize_session=False)
    )


def prune(session: Session, *, keep: timedelta) -> int:
    """Delete rate windows and failed sign-ins older than `keep`."""
    cutoff = utcnow() - keep
    windows = session.execute(delete(RateWindow).where(RateWindow.window_start < cutoff))
    failures = session.execute(delete(SignInFailure).where(SignInFailure.at < cutoff))
    return int(windows.rowcount or 0) + int(failures.rowcount or 0)  # type: ignore[attr-defined]
