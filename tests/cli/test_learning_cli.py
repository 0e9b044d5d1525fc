"""`triage export`: decisions and labels out as JSONL, for learning."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.cli.helpers import JSONL_REVIEWS, PASSWORD, add_user, run, write_jsonl
from triage.access import accounts
from triage.casework import queue
from triage.storage.db import unit_of_work
from triage.storage.tables import Label, QueueItem, Review


@pytest.fixture
def resolved_one(
    two_hotels: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sessions: sessionmaker[Session],
    tmp_path: Path,
) -> int:
    """Import the JSONL reviews; an agent of hotel-a resolves the first one."""
    path = write_jsonl(tmp_path / "reviews.jsonl", [json.dumps(r) for r in JSONL_REVIEWS])
    assert run(capsys, "import", str(path), "--quiet")[0] == 0
    add_user(
        capsys,
        monkeypatch,
        "agent@example.com",
        PASSWORD,
        "--role",
        "agent",
        "--property",
        "hotel-a",
    )
    token = run(capsys, "tokens", "create", "agent@example.com")[1][-1]
    with unit_of_work(sessions) as s:
        agent = accounts.authenticate_bearer(s, token)
        claimed = queue.claim_next(s, agent, lease=timedelta(minutes=5))
        assert claimed.item is not None
        queue.resolve(
            s, agent, claimed.item.id, queue.Verdict("negative", "replied", "Called the guest.")
        )
        return claimed.review.id


def test_export_writes_decisions_and_labels_as_jsonl(
    resolved_one: int,
    capsys: pytest.CaptureFixture[str],
    sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    target = tmp_path / "export.jsonl"

    assert run(capsys, "export", "--output", str(target)) == (0, [], ["exported 3 reviews"])

    records = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    with sessions() as s:
        reviews = {r.id: r for r in s.scalars(select(Review))}
        items = {i.review_id: i for i in s.scalars(select(QueueItem))}
        label = s.scalars(select(Label)).one()
    assert [r["external_id"] for r in records] == ["j-1", "j-2", "j-3"]
    for record in records:
        review = reviews[record["id"]]
        item = items[record["id"]]
        assert record["reasons"] == review.reasons
        assert (record["route"], record["priority"], record["due_at"]) == (
            "human",
            review.priority,
            review.due_at.isoformat(),  # type: ignore[union-attr]
        )
        assert record["sentiment"] is None
        assert record["model_version"] is None
        assert record["received_at"] == review.received_at.isoformat()
        if record["id"] == resolved_one:
            assert record["status"] == "resolved"
            assert record["queue"] == {
                "state": "resolved",
                "resolved_at": item.resolved_at.isoformat(),  # type: ignore[union-attr]
                "action": "replied",
                "note": "Called the guest.",
            }
            assert record["labels"] == [
                {
                    "label": "negative",
                    "kind": "queue_verdict",
                    "user_id": label.user_id,
                    "role": "agent",
                    "created_at": label.created_at.isoformat(),
                    "model_version": None,
                    "predicted_label": None,
                    "predicted_probabilities": None,
                }
            ]
        else:
            assert record["status"] == "queued"
            assert record["queue"] == {
                "state": "open",
                "resolved_at": None,
                "action": None,
                "note": None,
            }
            assert record["labels"] == []
    first = next(r for r in records if r["external_id"] == "j-1")
    assert {
        k: first[k]
        for k in (
            "property_id",
            "source",
            "text",
            "rating",
            "language",
            "submitted_at",
            "guest",
            "metadata",
        )
    } == {
        "property_id": "hotel-a",
        "source": "google",
        "text": "Lovely stay, friendly staff.",
        "rating": {"value": 5.0, "scale": 5},
        "language": "en",
        "submitted_at": None,
        "guest": {
            "stay_from": None,
            "stay_to": None,
            "room": None,
            "segment": None,
            "booking_reference": None,
        },
        "metadata": None,
    }


def test_export_to_stdout_filters_by_property(
    resolved_one: int, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "export", "--property", "hotel-b")

    assert (code, err) == (0, ["exported 1 reviews"])
    records = [json.loads(line) for line in out]
    assert [(r["property_id"], r["external_id"], r["text"]) for r in records] == [
        ("hotel-b", "j-3", "Breakfast was fine, nothing special.")
    ]
