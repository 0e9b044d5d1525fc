"""HTTPS receivers: the sender connects to the address it checked and still verifies the
certificate against the URL's name (the name goes as TLS server name and Host), with
the certificate authorities of TRIAGE_WEBHOOK_CA_FILE when set."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.double import KeywordClassifier
from service.app import create_app
from tests.conftest import World, make_settings
from tests.webhooks.conftest import QUICK, register, review, statuses, wait_until
from tests.webhooks.receiver import Receiver, start
from triage.storage.db import unit_of_work
from triage.storage.tables import WebhookAttempt, WebhookDelivery


@pytest.fixture
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_receiver(authority: trustme.CA) -> Iterator[Receiver]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(context)
    found = start(tls=context)
    yield found
    found.close()


def errors(sessions: sessionmaker[Session], endpoint_id: int) -> set[str | None]:
    with unit_of_work(sessions) as s:
        return set(
            s.scalars(
                select(WebhookAttempt.error)
                .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
                .where(WebhookDelivery.endpoint_id == endpoint_id)
            )
        )


def test_https_with_the_name_verified_against_the_configured_authority(
    database_url: str,
    tmp_path: Path,
    world: World,
    authority: trustme.CA,
    tls_receiver: Receiver,
    sessions: sessionmaker[Session],
) -> None:
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    settings = make_settings(database_url, tmp_path, **QUICK, webhook_ca_file=ca_file)
    with TestClient(create_app(settings, classifier=KeywordClassifier())) as client:
        good = register(client, world, f"https://localhost:{tls_receiver.port}/ok")
        # The certificate names localhost, not the address: refused, though it is the same
        # server.
        wrong = register(client, world, f"https://127.0.0.1:{tls_receiver.port}/wrong-name")
        client.post("/v1/reviews", headers=world.auth(world.key_a), json=review("r1"))
        (got,) = tls_receiver.wait_for("/ok", 1)
        assert got.headers["Host"] == f"localhost:{tls_receiver.port}"
        wait_until(lambda: statuses(sessions, good["id"]) == ["delivered"], what="delivered")
        wait_until(lambda: bool(errors(sessions, wrong["id"])), what="tried")
        assert errors(sessions, wrong["id"]) == {"TLS certificate not trusted"}
        assert tls_receiver.on("/wrong-name") == []


def test_without_the_authority_the_certificate_is_not_trusted(
    app_client: TestClient, world: World, tls_receiver: Receiver, sessions: sessionmaker[Session]
) -> None:
    hook = register(app_client, world, f"https://localhost:{tls_receiver.port}/ok")
    app_client.post("/v1/reviews", headers=world.auth(world.key_a), json=review("r1"))
    wait_until(lambda: bool(errors(sessions, hook["id"])), what="tried")
    assert errors(sessions, hook["id"]) == {"TLS certificate not trusted"}
    assert statuses(sessions, hook["id"]) == ["pending"]
