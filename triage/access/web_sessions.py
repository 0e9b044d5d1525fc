"""Signed-in browsers for the review UI: server-side sessions with a CSRF token each.

`sign_in` checks the sign-in throttle, the password, opens the session and audits
each outcome. The cookie carries a random secret; only its SHA-256 is stored. A
session ends on sign-out, or after `idle` without a request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from triage.access import audit, throttle
from triage.access.accounts import Principal, authenticate_password, principal_for
from triage.core.errors import RateLimited, Unauthenticated
from triage.storage.db import utcnow
from triage.storage.tables import User, WebSession

#: last_seen_at is written at most this often, so reading pages does not write every time.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class WebIdentity:
    """The person behind a browser, their UI language and the session's CSRF token."""

    principal: Principal
    locale: str
    csrf_token: str
    session_id: int

    def csrf_ok(self, token: str | None) -> bool:
        return token is not None and hmac.compare_digest(self.csrf_token, token)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start_session(session: Session, principal: Principal) -> str:
    """A new session for a signed-in person; returns the cookie secret (never stored)."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        WebSession(
            user_id=principal.id,
            secret_hash=_digest(secret),
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
        )
    )
    session.flush()
    return secret


def sign_in(
    session: Session, email: str, password: str, *, address: str, limits: throttle.SignInLimits
) -> str:
    """Sign a person in from `address`; returns the new session's cookie secret.

    Refused with `RateLimited` (before the password is checked) while the account or
    the address has failed too often, and with `Unauthenticated` on a wrong e-mail or
    password. Every outcome is in the audit log (`sign_in`, `sign_in_throttled`,
    `sign_in_failed`); a failure also counts against the throttle. Those rows are
    flushed before the error is raised: the caller must commit its unit of work after
    catching the error (render the refusal), or the failure is forgotten.
    """
    subject = email.strip().lower()[:200]
    try:
        throttle.check_sign_in(session, email, address, limits)
    except RateLimited:
        audit.record(
            session, "web", "sign_in_throttled", subject=subject, details={"address": address}
        )
        raise
    try:
        principal = authenticate_password(session, email, password)
    except Unauthenticated:
        throttle.sign_in_failed(session, email, address)
        audit.record(session, "web", "sign_in_failed", subject=subject)
        raise
    throttle.sign_in_succeeded(session, email)
    audit.record(session, principal, "sign_in")
    return start_session(session, principal)


def identify(session: Session, secret: str, *, idle: timedelta) -> WebIdentity:
    """The identity of a live session, or Unauthenticated (unknown, ended, idle too long)."""
    now = utcnow()
    row = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(
            WebSession.secret_hash == _digest(secret),
            WebSession.ended_at.is_(None),
            WebSession.last_seen_at > now - idle,
            User.disabled_at.is_(None),
        )
        .options(selectinload(User.properties))
    ).first()
    if row is None:
        raise Unauthenticated("not signed in, or the session has expired")
    web, user = row
    if now - web.last_seen_at >= TOUCH_EVERY:
        session.execute(
            update(WebSession)
            .where(WebSession.id == web.id)
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
    return WebIdentity(principal_for(user), user.locale or "en", web.csrf_token, web.id)


def end_session(session: Session, secret: str) -> None:
    """Sign out: the session can never be used again."""
    session.execute(
        update(WebSession)
        .where(WebSession.secret_hash == _digest(secret), WebSession.ended_at.is_(None))
        .values(ended_at=utcnow())
        .execution_options(synchronize_session=False)
    )
