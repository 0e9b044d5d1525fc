"""docs/webhooks.md tells receivers how to verify a delivery: its Python and openssl
examples are run here, as written, against a real delivery from the app."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import World
from tests.webhooks.conftest import register, review
from tests.webhooks.receiver import Receiver

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def block(language: str) -> str:
    found = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(found) == 1, f"one {language} example expected in {DOC.name}"
    return str(found[0])


def test_the_documented_examples_verify_a_real_delivery(
    app_client: TestClient, world: World, receiver: Receiver, tmp_path: Path
) -> None:
    hook = register(app_client, world, f"{receiver.base}/ok", ["review.routed"])
    app_client.post("/v1/reviews", headers=world.auth(world.key_a), json=review("r1"))
    (got,) = receiver.wait_for("/ok", 1)
    header, secret = got.headers["Triage-Signature"], hook["secret"]

    namespace: dict[str, object] = {}
    exec(block("python"), namespace)
    verify = namespace["verify"]
    assert verify(secret, header, got.body) is True  # type: ignore[operator]
    assert verify(secret, header, got.body + b"\n") is False  # type: ignore[operator]
    assert verify("whsec_wrong", header, got.body) is False  # type: ignore[operator]

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    (tmp_path / "body.json").write_bytes(got.body)
    fields = dict(part.split("=", 1) for part in header.split(","))
    for key, expected in ((secret, "signature ok"), ("whsec_wrong", "signature mismatch")):
        run = subprocess.run(
            ["sh", "-c", block("sh")],
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin", "T": fields["t"], "V1": fields["v1"], "SECRET": key},
            capture_output=True,
            text=True,
            check=True,
        )
        assert run.stdout.strip() == expected
