"""Fixtures for the `triage` command tests: a fresh SQLite file as the whole configuration."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.cli.helpers import run
from triage.storage.db import make_engine, make_session_factory


@pytest.fixture
def database_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The command's whole configuration: a fresh SQLite file, no model."""
    path = tmp_path / "cli.db"
    monkeypatch.setenv("TRIAGE_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRIAGE_LOAD_MODEL", "false")
    return path


@pytest.fixture
def sessions(database_file: Path) -> Iterator[sessionmaker[Session]]:
    """Sessions on the same file, to look at what the command did."""
    engine = make_engine(f"sqlite:///{database_file}")
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def two_hotels(database_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for hotel, name in (("hotel-a", "Hotel A"), ("hotel-b", "Hotel B")):
        assert run(capsys, "properties", "add", hotel, "--name", name) == (
            0,
            [f"property {hotel} added"],
            [],
        )
