"""The pure rules of webhooks: the signature scheme, where an endpoint may point, and the
retry schedule."""

from __future__ import annotations

import hashlib
import hmac
import random
from datetime import timedelta

import pytest

from triage.core.errors import InvalidInput
from triage.webhooks import addresses, signing
from triage.webhooks.deliveries import RetryPolicy

BODY = b'{"id":"evt_1","type":"review.routed"}'


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    header = signing.header_value(["whsec_abc"], 1_700_000_000, BODY)
    expected = hmac.new(b"whsec_abc", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert signing.verify("whsec_abc", header, BODY, now=1_700_000_100) == 1_700_000_000


@pytest.mark.parametrize(
    ("header", "body", "now", "why"),
    [
        (None, BODY, 1_700_000_000, "no signature header"),
        ("v1=abc", BODY, 1_700_000_000, "no timestamp"),
        ("t=1700000000", BODY, 1_700_000_000, "no timestamp or no v1"),
        ("SIGNED", BODY, 1_700_000_400, "outside the tolerance"),
        ("SIGNED", BODY, 1_699_999_000, "outside the tolerance"),
        ("SIGNED", BODY + b" ", 1_700_000_000, "no signature matches"),
        ("OTHER", BODY, 1_700_000_000, "no signature matches"),
    ],
)
def test_a_bad_delivery_is_refused(header: str | None, body: bytes, now: int, why: str) -> None:
    if header == "SIGNED":
        header = signing.header_value(["whsec_abc"], 1_700_000_000, BODY)
    elif header == "OTHER":
        header = signing.header_value(["whsec_other"], 1_700_000_000, BODY)
    with pytest.raises(signing.SignatureError, match=why.split(" or ")[0]):
        signing.verify("whsec_abc", header, body, now=now)


def test_while_rotating_either_secret_verifies() -> None:
    header = signing.header_value(["whsec_new", "whsec_old"], 1_700_000_000, BODY)
    for secret in ("whsec_new", "whsec_old"):
        assert signing.verify(secret, header, BODY, now=1_700_000_000)


def test_new_secrets_are_long_and_unique() -> None:
    made = {signing.new_secret() for _ in range(100)}
    assert len(made) == 100
    assert all(s.startswith("whsec_") and len(s) >= 40 for s in made)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.com/hook", "must start with https://"),
        ("file:///etc/passwd", "must start with https://"),
        ("gopher://127.0.0.1:6379/_FLUSHALL", "must start with https://"),
        ("https://", "no host"),
        ("https://user:pw@example.com/hook", "credentials"),
        ("https://example.com/hook#x", "fragment"),
        ("https://example.com:99999/hook", "not a URL"),
        ("https://127.0.0.1/hook", "private or reserved address (127.0.0.1)"),
        ("http://localhost:8000/hook", "private or reserved address"),
        ("http://10.1.2.3/hook", "private or reserved address"),
        ("http://192.168.0.10/hook", "private or reserved address"),
        ("http://169.254.169.254/latest/meta-data/", "private or reserved address"),
        ("http://[::1]/hook", "private or reserved address"),
        ("http://[::ffff:10.0.0.1]/hook", "private or reserved address"),
        ("http://100.64.0.1/hook", "private or reserved address"),
        ("http://0.0.0.0/hook", "private or reserved address"),
    ],
)
def test_urls_that_are_refused(url: str, why: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        addresses.check_for_saving(url, allow_private=False)
    assert why in refused.value.problems[0].message


def test_an_admin_may_allow_a_private_address() -> None:
    target = addresses.check_for_saving("http://10.1.2.3:8080/hook", allow_private=True)
    assert (target.scheme, target.host, target.port) == ("http", "10.1.2.3", 8080)


def test_public_addresses_and_names_that_do_not_resolve_are_accepted() -> None:
    assert addresses.check_for_saving("https://93.184.215.14/hook", allow_private=False).port == 443
    unresolved = "https://hooks.invalid/guest-triage"  # .invalid never resolves
    assert addresses.check_for_saving(unresolved, allow_private=False).host == "hooks.invalid"


def test_retries_back_off_exponentially_with_full_jitter() -> None:
    policy = RetryPolicy(base_seconds=10, cap_seconds=3600)
    rng = random.Random(7)
    for attempts, ceiling in ((1, 10), (2, 20), (5, 160), (9, 2560), (12, 3600), (40, 3600)):
        delays = [policy.delay(attempts, rng) for _ in range(200)]
        assert all(timedelta(seconds=1) <= d <= timedelta(seconds=ceiling) for d in delays)
        assert max(delays) > timedelta(seconds=ceiling * 0.8)  # spread over the whole range
    # A day of retries at these settings is about 30 attempts.
    total, n = timedelta(0), 0
    while total < timedelta(hours=24):
        n += 1
        total += policy.delay(n, rng)
    assert 20 <= n <= 60
