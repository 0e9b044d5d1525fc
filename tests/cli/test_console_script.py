"""The `triage` command once as the real installed script, in its own process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from triage.access import accounts
from triage.storage.db import make_engine, make_session_factory, unit_of_work


def test_the_installed_console_script_works(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("triage")
    env = {
        **os.environ,
        "TRIAGE_DATABASE_URL": f"sqlite:///{tmp_path / 'script.db'}",
        "TRIAGE_DATA_DIR": str(tmp_path),
        "TRIAGE_LOAD_MODEL": "false",
    }

    def triage(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(script), *argv], env=env, capture_output=True, text=True, timeout=120, check=False
        )

    added = triage("properties", "add", "hotel-x", "--name", "Hotel X")
    key = triage("keys", "create", "--property", "hotel-x")
    missing = triage("properties", "add", "hotel-x")

    assert (added.returncode, added.stdout) == (0, "property hotel-x added\n"), added.stderr
    assert key.returncode == 0, key.stderr
    secret = key.stdout.splitlines()[-1]
    assert secret.startswith("gtk_")
    assert missing.returncode == 2
    assert "error: property 'hotel-x' exists already" in missing.stderr
    engine = make_engine(f"sqlite:///{tmp_path / 'script.db'}")
    try:
        with unit_of_work(make_session_factory(engine)) as s:
            principal = accounts.authenticate_bearer(s, secret)
    finally:
        engine.dispose()
    assert (principal.kind, principal.role, principal.property_ids) == (
        "api_key",
        "system",
        frozenset({"hotel-x"}),
    )
