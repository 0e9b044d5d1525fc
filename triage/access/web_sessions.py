"""Signed-in browsers for the review UI: server-side sessions with a CSRF token each.

The cookie carries a random secret; only its SHA-256 is stored. A session ends on
sign-out, or after `idle` without a request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from triage.access.accounts import Principal, principal_for
from triage.core.errors import Unauthenticated
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
