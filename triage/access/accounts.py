"""Properties, API keys, users and personal tokens; who a caller is and what they may see.

Creating a key, a person or a token is audited here, as the acting principal's (or
the command line's). `Principal` itself lives in `principals` (the audit log and the
permissions need it without the accounts).

API keys and personal tokens are random 256-bit secrets: only their SHA-256 is
stored (a fast hash is safe for such secrets and lets a lookup use an index).
Passwords are hashed with Argon2id, a memory-hard hash.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from triage.access import audit
from triage.access.principals import Principal as Principal  # re-exported: callers find it here
from triage.core.errors import Conflict, FieldProblem, InvalidInput, NotFound, Unauthenticated
from triage.storage.db import utcnow
from triage.storage.tables import (
    ApiKey,
    Property,
    User,
    UserToken,
    api_key_properties,
    user_properties,
)

Role = Literal["agent", "trainer", "admin"]
ROLES: tuple[Role, ...] = ("agent", "trainer", "admin")
PROPERTY_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
KEY_PREFIX = "gtk_"
TOKEN_PREFIX = "gtu_"

_hasher = PasswordHasher()


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def add_property(session: Session, property_id: str, name: str) -> Property:
    if not PROPERTY_ID.match(property_id):
        raise InvalidInput(
            "invalid property id",
            [FieldProblem("id", "pattern", "lower-case letters, digits, '-' or '_', 1-64 long")],
        )
    if session.get(Property, property_id) is not None:
        raise Conflict(f"property {property_id!r} exists already")
    prop = Property(id=property_id, name=name, policy={})
    session.add(prop)
    session.flush()
    return prop


def _audit_per_property(
    session: Session,
    actor: Principal | str,
    action: str,
    property_ids: list[str],
    *,
    subject: str,
    details: dict[str, object],
) -> None:
    """An account event is recorded once for each property it grants access to, so that an
    admin sees those of their own properties only (`audit.page_for`), never another
    property's people. One that grants none is recorded once, without a property."""
    targets: list[str | None] = [*sorted(set(property_ids))] or [None]
    for property_id in targets:
        audit.record(
            session, actor, action, property_id=property_id, subject=subject, details=details
        )


def _properties(session: Session, property_ids: list[str]) -> list[Property]:
    if not property_ids:
        raise InvalidInput(
            "at least one property", [FieldProblem("property", "required", "name a property")]
        )
    found = list(session.scalars(select(Property).where(Property.id.in_(property_ids))))
    missing = sorted(set(property_ids) - {p.id for p in found})
    if missing:
        raise NotFound(f"unknown properties: {', '.join(missing)}")
    return found


def create_api_key(
    session: Session, actor: Principal | str, property_ids: list[str], name: str = ""
) -> tuple[ApiKey, str]:
    """A new key for a hotel system, audited as `actor`'s. The secret is returned once and
    never stored."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name or "api key",
        prefix=secret[:10],
        secret_hash=_secret_hash(secret),
        properties=_properties(session, property_ids),
    )
    session.add(key)
    session.flush()
    _audit_per_property(
        session,
        actor,
        "api_key.create",
        property_ids,
        subject=f"key:{key.id}",
        details={"prefix": key.prefix, "properties": sorted(property_ids)},
    )
    return key, secret


def add_user(
    session: Session,
    actor: Principal | str,
    email: str,
    password: str,
    role: str,
    property_ids: list[str],
) -> User:
    """A new person with a role on some properties, audited as `actor`'s."""
    email = email.strip().lower()
    problems = []
    if not EMAIL.match(email):
        problems.append(FieldProblem("email", "format", "an e-mail address"))
    if role not in ROLES:
        problems.append(FieldProblem("role", "enum", f"one of {', '.join(ROLES)}"))
    if len(password) < 10:
        problems.append(FieldProblem("password", "min_length", "at least 10 characters"))
    if problems:
        raise InvalidInput("invalid user", problems)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"user {email} exists already")
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role,
        properties=_properties(session, property_ids),
    )
    session.add(user)
    session.flush()
    _audit_per_property(
        session,
        actor,
        "user.create",
        property_ids,
        subject=user.email,
        details={"role": user.role, "properties": sorted(property_ids)},
    )
    return user


def set_password(session: Session, email: str, password: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"no user {email}")
    user.password_hash = hash_password(password)
    session.flush()
    return user


def create_user_token(
    session: Session, actor: Principal | str, email: str
) -> tuple[UserToken, str]:
    """A personal API token for an active person, audited as `actor`'s. The secret is
    returned once and never stored."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or user.disabled_at is not None:
        raise NotFound(f"no active user {email}")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = UserToken(user_id=user.id, prefix=secret[:10], secret_hash=_secret_hash(secret))
    session.add(token)
    session.flush()
    property_ids = list(
        session.scalars(
            select(user_properties.c.property_id).where(user_properties.c.user_id == user.id)
        )
    )
    _audit_per_property(
        session,
        actor,
        "user_token.create",
        property_ids,
        subject=user.email,
        details={"prefix": token.prefix},
    )
    return token, secret


def principal_for(user: User) -> Principal:
    """The principal of a signed-in person (their properties must be loaded)."""
    return _user_principal(user)


def _user_principal(user: User) -> Principal:
    return Principal(
        kind="user",
        id=user.id,
        role=user.role,  # type: ignore[arg-type]
        property_ids=frozenset(p.id for p in user.properties),
        email=user.email,
    )


def authenticate_bearer(session: Session, secret: str) -> Principal:
    """The principal behind an API key or personal token, or Unauthenticated."""
    digest = _secret_hash(secret)
    if secret.startswith(KEY_PREFIX):
        # One query, on every API request: the key and its properties (none: no row).
        rows = session.execute(
            select(ApiKey.id, api_key_properties.c.property_id)
            .outerjoin(api_key_properties, api_key_properties.c.api_key_id == ApiKey.id)
            .where(ApiKey.secret_hash == digest, ApiKey.revoked_at.is_(None))
        ).all()
        if rows:
            return Principal(
                kind="api_key",
                id=int(rows[0][0]),
                role="system",
                property_ids=frozenset(p for _, p in rows if p is not None),
            )
    elif secret.startswith(TOKEN_PREFIX):
        row = session.execute(
            select(UserToken, User)
            .join(User, User.id == UserToken.user_id)
            .where(
                UserToken.secret_hash == digest,
                UserToken.revoked_at.is_(None),
                User.disabled_at.is_(None),
            )
            .options(selectinload(User.properties))
        ).first()
        if row is not None:
            return _user_principal(row[1])
    raise Unauthenticated("unknown or revoked credentials")


def authenticate_password(session: Session, email: str, password: str) -> Principal:
    user = session.scalar(
        select(User)
        .where(User.email == email.strip().lower(), User.disabled_at.is_(None))
        .options(selectinload(User.properties))
    )
    if user is None:
        # Spend the same time as a real check, so timing does not reveal accounts.
        verify_password(_dummy_hash(), password)
        raise Unauthenticated("wrong e-mail or password")
    if not verify_password(user.password_hash, password):
        raise Unauthenticated("wrong e-mail or password")
    return _user_principal(user)


def revoke_api_key(session: Session, key_id: int) -> None:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"no api key {key_id}")
    key.revoked_at = utcnow()
    session.flush()


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("not a real password")
