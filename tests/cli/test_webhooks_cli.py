"""`triage webhooks`: an operator registers, lists, reads deliveries, re-sends, removes."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.cli.helpers import run
from triage.events import outbox
from triage.storage.db import unit_of_work
from triage.storage.tables import AuditEvent, WebhookDelivery, WebhookEndpoint
from triage.webhooks import deliveries


def test_an_operator_manages_webhooks(
    two_hotels: None, capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session]
) -> None:
    code, out, err = run(
        capsys,
        "webhooks",
        "add",
        "--property",
        "hotel-a",
        "--url",
        "http://10.0.0.7/hooks",
        "--event",
        "review.resolved",
    )
    assert (code, out) == (2, [])
    assert err[0] == "error: invalid webhook URL"
    assert "private or reserved address (10.0.0.7)" in err[1] and err[1].endswith(
        "(private_address)"
    )

    code, out, err = run(
        capsys,
        "webhooks",
        "add",
        "--property",
        "hotel-a",
        "--url",
        "http://10.0.0.7/hooks",
        "--event",
        "review.resolved",
        "--allow-private",
        "--redact-notes",
    )
    assert code == 0, err
    assert out[0].startswith("webhook 1 for hotel-a")
    secret = out[-1]
    assert secret.startswith("whsec_")
    with unit_of_work(sessions) as s:
        endpoint = s.scalars(select(WebhookEndpoint)).one()
        assert (endpoint.events, endpoint.allow_private, endpoint.redact_notes) == (
            ["review.resolved"],
            True,
            True,
        )
        assert endpoint.secret == secret
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "webhook.create")).one()
        assert audit.actor.startswith("cli:") and secret not in str(audit.details)
        # An event and its delivery, failed for good.
        outbox.emit(s, "review.resolved", property_id="hotel-a", data={"label": "negative"})
    with unit_of_work(sessions) as s:
        deliveries.publish(s, deliveries.RetryPolicy())
        delivery = s.scalars(select(WebhookDelivery)).one()
        delivery.status = "failed"

    code, out, _ = run(capsys, "webhooks", "list")
    assert code == 0
    assert out == [
        "1\thotel-a\thttp://10.0.0.7/hooks\tenabled\treview.resolved\t"
        "pending=0 sending=0 delivered=0 failed=1"
    ]
    code, out, _ = run(capsys, "webhooks", "deliveries", "1", "--status", "failed")
    assert code == 0 and len(out) == 1
    assert out[0].split("\t")[1:2] == ["review.resolved"] and "failed" in out[0]

    assert run(capsys, "webhooks", "resend", str(delivery.id)) == (
        0,
        [f"delivery {delivery.id} will be sent again now"],
        [],
    )
    with unit_of_work(sessions) as s:
        assert s.get(WebhookDelivery, delivery.id).status == "pending"  # type: ignore[union-attr]
    code, _, err = run(capsys, "webhooks", "resend", str(delivery.id))
    assert code == 2 and "pending already" in err[0]

    assert run(capsys, "webhooks", "remove", "1") == (0, ["webhook 1 removed"], [])
    with unit_of_work(sessions) as s:
        assert s.scalars(select(WebhookDelivery)).all() == []
    code, _, err = run(capsys, "webhooks", "remove", "1")
    assert code == 2 and err == ["error: webhook 1 not found"]
