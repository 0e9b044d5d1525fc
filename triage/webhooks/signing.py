"""The signature on every delivery, in the scheme Stripe and GitHub document:

    Triage-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

A receiver recomputes the HMAC over the timestamp, a dot and the raw body bytes with its
endpoint's secret, compares in constant time, and refuses a timestamp older than its
tolerance (five minutes here), which stops a captured delivery from being replayed later;
the event id (`Triage-Event-Id`, also in the body) lets it drop a duplicate inside the
window. While a secret is being rotated, a header may carry several `v1=` values.
docs/webhooks.md shows verification in Python and with openssl.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

HEADER = "Triage-Signature"
SCHEME = "v1"
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<body>` under `secret`."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def header_value(secrets_in_use: list[str], timestamp: int, body: bytes) -> str:
    """The header for a delivery signed with each secret in use (one, or two while
    rotating)."""
    parts = [f"t={timestamp}"]
    parts += [f"{SCHEME}={signature(s, timestamp, body)}" for s in secrets_in_use]
    return ",".join(parts)


class SignatureError(ValueError):
    """The header is missing, malformed, too old, or no signature matches."""


def verify(
    secret: str,
    header: str | None,
    body: bytes,
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """Check a delivery as a receiver does; return its timestamp or raise SignatureError."""
    if not header:
        raise SignatureError("no signature header")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == SCHEME and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError("the header has no timestamp or no v1 signature")
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise SignatureError("the timestamp is outside the tolerance")
    expected = signature(secret, timestamp, body)
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        raise SignatureError("no signature matches")
    return timestamp
