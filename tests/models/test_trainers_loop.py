"""The trainers' loop end to end, on the real transformers path with a tiny encoder.

Reviews come in through the API; agents correct verdicts in the queue; a trainer
adjudicates a gold set; the export holds the labels with provenance; `triage train`
turns them into a candidate; the gate refuses a worse candidate and accepts a better
one; promotion switches the version in the running app without a restart; rollback
restores the previous one.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from safetensors.numpy import save_file

from models.model_dir import load_model_dir
from service.app import create_app
from tests.conftest import World, build_world
from tests.models.conftest import write_jsonl
from tests.models.test_finetune import train_tiny
from tests.triage.loop_data import principal
from triage.core.settings import Settings
from triage.storage.db import make_engine, make_session_factory, unit_of_work
from triage.verdicts.labels import add_label
from triage_cli.main import main

pytestmark = pytest.mark.slow

GOOD = ["sehr gut und sauber", "the room was great", "das zimmer war sauber und gut", "great"]
BAD = ["leider kalt und schlecht", "the room was bad", "das zimmer war schlecht", "bad"]


def _wait_for_version(client: TestClient, version: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    seen = None
    while time.monotonic() < deadline:
        seen = client.get("/v1/readyz").json().get("model_version")
        if seen == version:
            return
        time.sleep(0.1)
    raise AssertionError(f"the app still serves {seen}, not {version}")


def _constant_copy(source: Path, dest: Path, version: str) -> Path:
    """The same model with its head replaced by one that always says `negative`."""
    shutil.copytree(source, dest)
    card = json.loads((dest / "model.json").read_text())
    card["version"] = version
    (dest / "model.json").write_text(json.dumps(card))
    from models.model_dir import HEAD_FILE

    head = load_model_dir(source).head
    save_file(
        {
            "weight": np.zeros_like(head.weight),
            "bias": np.array([5.0, 0.0, 0.0], dtype=np.float32),
        },
        str(dest / HEAD_FILE),
    )
    return dest


def test_verdicts_to_a_promoted_model_and_back(
    tiny_encoder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database_url = f"sqlite:///{tmp_path / 'triage.db'}"
    (tmp_path / "v0").mkdir()
    served = train_tiny(tiny_encoder, tmp_path / "v0", "tiny-v0")
    worse = _constant_copy(served, tmp_path / "worse", "tiny-worse")
    env = {
        "TRIAGE_DATABASE_URL": database_url,
        "TRIAGE_DATA_DIR": str(tmp_path / "var"),
        "TRIAGE_MODEL_DIR": str(served),
        "TRIAGE_ENCODER": str(tiny_encoder),
        "TRIAGE_MODEL_THREADS": "1",
        "TRIAGE_MODEL_POLL_SECONDS": "0.2",
        # Every promotion exports the new version and picks its engine, as in production.
        "TRIAGE_MODEL_ENGINE": "auto",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    engine = make_engine(database_url)
    from triage.storage import migrate

    migrate.upgrade(engine)
    sessions = make_session_factory(engine)
    world: World = build_world(sessions)

    app = create_app(settings)
    with TestClient(app) as client:
        _wait_for_version(client, "tiny-v0")
        # 1. reviews come in
        texts = [f"{t} {i}" for i in range(4) for t in GOOD + BAD]
        response = client.post(
            "/v1/reviews/batch",
            headers=world.auth(world.key_a),
            json={
                "reviews": [
                    {
                        "property_id": "hotel-a",
                        "external_id": f"r{i}",
                        "source": "survey",
                        "text": text,
                        "language": "de",
                    }
                    for i, text in enumerate(texts)
                ]
            },
        )
        assert response.status_code in (200, 201, 207), response.text
        assert all(r["review"]["model_version"] == "tiny-v0" for r in response.json()["results"])
        # 2. an agent works the queue and corrects every verdict to the truth
        agent = world.auth(world.agent_a)
        corrected = 0
        while True:
            claimed = client.post("/v1/queue/claim", headers=agent)
            if claimed.status_code == 204:
                break
            item = claimed.json()
            truth = "positive" if any(item["text"].startswith(g) for g in GOOD) else "negative"
            corrected += truth != (item["sentiment"] or {}).get("label")
            done = client.post(
                f"/v1/queue/{item['queue']['item_id']}/resolve",
                headers=agent,
                json={"label": truth, "action": "no_action"},
            )
            assert done.status_code == 200, done.text
        # 3. a trainer adjudicates a gold set (reviews never exported for training)
        trainer = principal(sessions, world.trainer_a)
        gold_texts = {f"{t} gold": ("positive" if t in GOOD else "negative") for t in GOOD + BAD}
        client.post(
            "/v1/reviews/batch",
            headers=world.auth(world.key_a),
            json={
                "reviews": [
                    {
                        "property_id": "hotel-a",
                        "external_id": f"g{i}",
                        "source": "survey",
                        "text": text,
                        "language": "de",
                    }
                    for i, text in enumerate(gold_texts)
                ]
            },
        )
        from sqlalchemy import select

        from triage.storage.tables import Review

        with unit_of_work(sessions) as s:
            for review in s.scalars(select(Review).where(Review.external_id.like("g%"))):
                add_label(
                    s, trainer, review.id, gold_texts[review.text or ""], "adjudication", gold=True
                )
        # 4. the export holds the verdicts with their provenance, and no gold review
        exported = tmp_path / "labels.jsonl"
        assert main(["export", "--training", "--redact", "--output", str(exported)]) == 0
        rows = [json.loads(line) for line in exported.read_text().splitlines()]
        assert rows and all(r["provenance"]["kind"] == "queue_verdict" for r in rows)
        assert all(r["provenance"]["role"] == "agent" for r in rows)
        assert all(r["provenance"]["model_version"] == "tiny-v0" for r in rows)
        assert not any(r["text"].endswith("gold") for r in rows)

        # 5. a (tiny) training run on them produces a candidate
        def rows(suffix: str) -> list[dict[str, str]]:
            return [
                {
                    "id": f"t{i}{suffix}",
                    "text": f"{t}{suffix}",
                    "label": "positive" if t in GOOD else "negative",
                    "lang": "de",
                    "source": "sb10k",
                }
                for i, t in enumerate(GOOD + BAD)
            ]

        write_jsonl(tmp_path / "train.jsonl", [r for x in ("", " !", " .", " x") for r in rows(x)])
        write_jsonl(tmp_path / "dev.jsonl", rows(" ?") + rows(" gut"))
        candidate = tmp_path / "candidate"
        assert (
            main(
                [
                    "train",
                    "--train",
                    str(tmp_path / "train.jsonl"),
                    "--dev",
                    str(tmp_path / "dev.jsonl"),
                    "--labels",
                    str(exported),
                    "--epochs",
                    "3",
                    "--version",
                    "tiny-v1",
                    "--set",
                    "first_trained_layer=1",
                    "--set",
                    "rank=4",
                    "--set",
                    "alpha=8",
                    "--set",
                    "batch_size=4",
                    "--set",
                    "max_length=24",
                    "--set",
                    "lr=0.005",
                    "--window",
                    "24",
                    "--out",
                    str(candidate),
                ]
            )
            == 0
        )
        card = load_model_dir(candidate).card
        assert any("verdict" in a.lower() for a in card.attributions)
        # 6. registry: the gate refuses the worse candidate and accepts the better one
        assert main(["models", "register", str(worse)]) == 0  # also registers tiny-v0 as active
        assert main(["models", "register", str(candidate)]) == 0
        for version in ("tiny-worse", "tiny-v1"):
            assert main(["models", "evaluate", version, "--set", "gold"]) == 0
        assert main(["models", "promote", "tiny-worse"]) == 2
        _wait_for_version(client, "tiny-v0")
        assert main(["models", "promote", "tiny-v1"]) == 0
        # 7. the running app switches without a restart, and new reviews carry the version
        _wait_for_version(client, "tiny-v1")
        fresh = client.post(
            "/v1/reviews",
            headers=world.auth(world.key_a),
            json={
                "property_id": "hotel-a",
                "external_id": "after",
                "source": "survey",
                "text": "the room was great",
            },
        )
        assert fresh.json()["model_version"] == "tiny-v1"
        # 8. rollback restores the previous version
        assert main(["models", "rollback", "--reason", "test"]) == 0
        _wait_for_version(client, "tiny-v0")
    engine.dispose()
