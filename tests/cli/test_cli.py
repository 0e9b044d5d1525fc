"""The `triage` command, run in-process on a real SQLite file, and once as the real script."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from models.double import KeywordClassifier
from triage.access import accounts
from triage.casework import queue
from triage.decisions.policy import policy_for
from triage.storage.db import make_engine, make_session_factory, unit_of_work, utcnow
from triage.storage.tables import ApiKey, Label, Property, QueueItem, Review, User, UserToken
from triage_cli.main import main

PASSWORD = "correct horse battery"


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


Run = tuple[int, list[str], list[str]]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    """Exit code, stdout lines and stderr lines (log records aside) of one command."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    problems = [line for line in err.splitlines() if " INFO " not in line]
    return code, out.splitlines(), problems


@pytest.fixture
def two_hotels(database_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for hotel, name in (("hotel-a", "Hotel A"), ("hotel-b", "Hotel B")):
        assert run(capsys, "properties", "add", hotel, "--name", name) == (
            0,
            [f"property {hotel} added"],
            [],
        )


def test_properties_add_and_list(
    two_hotels: None, capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session]
) -> None:
    assert run(capsys, "properties", "add", "venue-c") == (0, ["property venue-c added"], [])

    assert run(capsys, "properties", "list") == (
        0,
        ["hotel-a\tHotel A", "hotel-b\tHotel B", "venue-c\tvenue-c"],
        [],
    )
    with sessions() as s:
        rows = s.execute(
            select(Property.id, Property.name, Property.policy).order_by(Property.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("hotel-a", "Hotel A", {}),
        ("hotel-b", "Hotel B", {}),
        ("venue-c", "venue-c", {}),
    ]


@pytest.mark.parametrize(
    ("property_id", "problem"),
    [
        ("hotel-a", ["error: property 'hotel-a' exists already"]),
        (
            "Hotel A!",
            [
                "error: invalid property id",
                "  id: lower-case letters, digits, '-' or '_', 1-64 long (pattern)",
            ],
        ),
    ],
)
def test_properties_add_refuses_duplicates_and_bad_ids(
    two_hotels: None,
    capsys: pytest.CaptureFixture[str],
    sessions: sessionmaker[Session],
    property_id: str,
    problem: list[str],
) -> None:
    assert run(capsys, "properties", "add", property_id) == (2, [], problem)
    with sessions() as s:
        assert list(s.scalars(select(Property.id).order_by(Property.id))) == ["hotel-a", "hotel-b"]


def test_keys_create_prints_the_key_alone_on_the_last_line(
    two_hotels: None, capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session]
) -> None:
    code, out, err = run(
        capsys, "keys", "create", "--property", "hotel-a", "--property", "hotel-b", "--name", "PMS"
    )

    assert (code, err) == (0, [])
    assert out[:-1] == ["API key 1 for hotel-a, hotel-b (shown once, store it now):"]
    secret = out[-1]
    assert secret.startswith("gtk_")
    assert secret == secret.strip()
    assert len(secret) == 4 + 43
    with unit_of_work(sessions) as s:
        principal = accounts.authenticate_bearer(s, secret)
        key = s.scalars(select(ApiKey).options(selectinload(ApiKey.properties))).one()
        assert (key.name, key.prefix, key.revoked_at) == ("PMS", secret[:10], None)
        assert secret not in key.secret_hash
    assert principal == accounts.Principal(
        kind="api_key", id=1, role="system", property_ids=frozenset({"hotel-a", "hotel-b"})
    )


def test_keys_create_for_an_unknown_property_fails(
    two_hotels: None, capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session]
) -> None:
    assert run(capsys, "keys", "create", "--property", "nowhere") == (
        2,
        [],
        ["error: unknown properties: nowhere"],
    )
    with sessions() as s:
        assert list(s.scalars(select(ApiKey))) == []


def add_user(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    email: str,
    password: str,
    *options: str,
) -> Run:
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    return run(capsys, "users", "add", email, *options)


def test_users_add_reads_the_password_from_stdin(
    two_hotels: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sessions: sessionmaker[Session],
) -> None:
    result = add_user(
        capsys,
        monkeypatch,
        "Agent.A@Example.com",
        PASSWORD,
        "--role",
        "agent",
        "--property",
        "hotel-a",
    )

    assert result == (0, ["user agent.a@example.com (agent) added"], [])
    with unit_of_work(sessions) as s:
        user = s.scalars(select(User).options(selectinload(User.properties))).one()
        assert (user.email, user.role, [p.id for p in user.properties], user.disabled_at) == (
            "agent.a@example.com",
            "agent",
            ["hotel-a"],
            None,
        )
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        principal = accounts.authenticate_password(s, "agent.a@example.com", PASSWORD)
    assert principal == accounts.Principal(
        kind="user",
        id=user.id,
        role="agent",
        property_ids=frozenset({"hotel-a"}),
        email="agent.a@example.com",
    )


@pytest.mark.parametrize(
    ("email", "password", "options", "problem"),
    [
        (
            "agent@example.com",
            "too short",
            ["--role", "agent", "--property", "hotel-a"],
            ["error: invalid user", "  password: at least 10 characters (min_length)"],
        ),
        (
            "not-an-email",
            PASSWORD,
            ["--role", "agent", "--property", "hotel-a"],
            ["error: invalid user", "  email: an e-mail address (format)"],
        ),
        (
            "agent@example.com",
            PASSWORD,
            ["--role", "agent", "--property", "nowhere"],
            ["error: unknown properties: nowhere"],
        ),
    ],
    ids=["short-password", "bad-email", "unknown-property"],
)
def test_users_add_refuses_bad_input(
    two_hotels: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sessions: sessionmaker[Session],
    email: str,
    password: str,
    options: list[str],
    problem: list[str],
) -> None:
    assert add_user(capsys, monkeypatch, email, password, *options) == (2, [], problem)
    with sessions() as s:
        assert list(s.scalars(select(User))) == []


def test_users_add_refuses_an_unknown_role(
    two_hotels: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))

    with pytest.raises(SystemExit) as exited:
        main(["users", "add", "a@example.com", "--role", "owner", "--property", "hotel-a"])

    assert exited.value.code == 2
    assert "invalid choice: 'owner'" in capsys.readouterr().err


def test_tokens_create_prints_the_token_alone_on_the_last_line(
    two_hotels: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sessions: sessionmaker[Session],
) -> None:
    add_user(
        capsys,
        monkeypatch,
        "trainer@example.com",
        PASSWORD,
        "--role",
        "trainer",
        "--property",
        "hotel-a",
        "--property",
        "hotel-b",
    )

    code, out, err = run(capsys, "tokens", "create", "trainer@example.com")

    assert (code, err) == (0, [])
    assert out[:-1] == ["personal token for trainer@example.com (shown once, store it now):"]
    secret = out[-1]
    assert secret.startswith("gtu_")
    assert len(secret) == 4 + 43
    with unit_of_work(sessions) as s:
        principal = accounts.authenticate_bearer(s, secret)
        token = s.scalars(select(UserToken)).one()
        assert (token.user_id, token.prefix, token.revoked_at) == (principal.id, secret[:10], None)
        assert secret not in token.secret_hash
    assert principal == accounts.Principal(
        kind="user",
        id=principal.id,
        role="trainer",
        property_ids=frozenset({"hotel-a", "hotel-b"}),
        email="trainer@example.com",
    )


def test_tokens_create_for_an_unknown_user_fails(
    two_hotels: None, capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session]
) -> None:
    assert run(capsys, "tokens", "create", "nobody@example.com") == (
        2,
        [],
        ["error: no active user nobody@example.com"],
    )
    with sessions() as s:
        assert list(s.scalars(select(UserToken))) == []


JSONL_REVIEWS: list[dict[str, Any]] = [
    {
        "property_id": "hotel-a",
        "external_id": "j-1",
        "source": "google",
        "language": "en",
        "text": "Lovely stay, friendly staff.",
        "rating": {"value": 5, "scale": 5},
    },
    {
        "property_id": "hotel-a",
        "external_id": "j-2",
        "source": "tripadvisor",
        "language": "de",
        "text": "Das Zimmer war leider schmutzig.",
        "submitted_at": "2024-05-01T10:00:00+02:00",
        "guest": {"stay_from": "2024-04-28", "stay_to": "2024-04-30", "room": "204"},
        "metadata": {"channel": "app"},
    },
    {
        "property_id": "hotel-b",
        "external_id": "j-3",
        "source": "survey",
        "text": "Breakfast was fine, nothing special.",
    },
]


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def stored_reviews(sessions: sessionmaker[Session]) -> list[tuple[Any, ...]]:
    with sessions() as s:
        rows = s.execute(
            select(
                Review.property_id,
                Review.source,
                Review.external_id,
                Review.text,
                Review.status,
                Review.route,
            ).order_by(Review.id)
        ).all()
    return [tuple(r) for r in rows]


def test_import_jsonl_twice_creates_then_finds_existing(
    two_hotels: None,
    capsys: pytest.CaptureFixture[str],
    sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    path = write_jsonl(tmp_path / "reviews.jsonl", [json.dumps(r) for r in JSONL_REVIEWS])

    first = run(capsys, "import", str(path), "--quiet")
    second = run(capsys, "import", str(path), "--quiet")

    assert first == (0, ['{"created": 3, "existing": 0, "failed": 0}'], [])
    assert second == (0, ['{"created": 0, "existing": 3, "failed": 0}'], [])
    # Without a model every review goes to a person, and says why.
    assert stored_reviews(sessions) == [
        (r["property_id"], r["source"], r["external_id"], r["text"], "queued", "human")
        for r in JSONL_REVIEWS
    ]
    with sessions() as s:
        second_review = s.scalars(select(Review).where(Review.external_id == "j-2")).one()
        assert (
            second_review.rating_value,
            second_review.submitted_at.isoformat(),  # type: ignore[union-attr]
            str(second_review.stay_from),
            str(second_review.stay_to),
            second_review.room,
            second_review.extra,
            second_review.language,
        ) == (
            None,
            "2024-05-01T08:00:00+00:00",
            "2024-04-28",
            "2024-04-30",
            "204",
            {"channel": "app"},
            "de",
        )
        assert [r["code"] for r in second_review.reasons or []] == ["model_unavailable"]
        assert (
            s.scalar(select(QueueItem.review_id).where(QueueItem.review_id == second_review.id))
            == second_review.id
        )


def test_import_reports_bad_lines_with_their_numbers(
    two_hotels: None,
    capsys: pytest.CaptureFixture[str],
    sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    good = JSONL_REVIEWS[0]
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            json.dumps(good),  # 1
            "",  # 2
            "{not json",  # 3
            json.dumps([good]),  # 4
            json.dumps({**good, "external_id": "x-5", "text": "   "}),  # 5
            json.dumps({**good, "external_id": "x-6", "property_id": "nowhere"}),  # 6
            json.dumps({**good, "external_id": "x-7", "rating": {"value": 9, "scale": 5}}),  # 7
            json.dumps({**good, "external_id": "x-8", "stars": 5}),  # 8
            json.dumps({**good, "external_id": "x-9"}),  # 9
        ],
    )
    with path.open("ab") as handle:
        handle.write(b'{"property_id": "hotel-a", "text": "caf\xe9"}\n')  # 10

    code, out, err = run(capsys, "import", str(path), "--quiet")

    assert code == 1
    assert out == ['{"created": 2, "existing": 0, "failed": 7}']
    assert err == [
        "line 3: not JSON: Expecting property name enclosed in double quotes",
        "line 4: not a JSON object",
        "line 5: text: text must contain more than white space",
        "line 7: rating: value must not exceed scale",
        "line 8: stars: Extra inputs are not permitted",
        "line 10: not UTF-8",
        "line 6: property 'nowhere' not found",
    ]
    assert [r[2] for r in stored_reviews(sessions)] == ["j-1", "x-9"]


CSV_TEXT = (
    "property_id,external_id,source,text,rating,rating_scale,stay_from,stay_to,room,"
    "guest_email,language\n"
    'hotel-a,c-1,booking,"Great stay, friendly staff.",9,10,2024-05-01,2024-05-03,101,'
    "guest@example.com,en\n"
    'hotel-b,c-2,website,"First line of the review.\nSecond line, still the same review.",'
    ",,,,,,en\n"
    "hotel-a,c-3,booking,Fine,lots,5,,,,,\n"
    "hotel-a,c-4,booking,,4,5,,,,,\n"
    "hotel-a,c-5,booking,Quiet room,4,5,2024-05-03,2024-05-01,,,\n"
    "hotel-b,c-6,email,Nice pool,3,,,,,,\n"
)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["utf8", "utf8-with-bom"])
def test_import_csv_maps_columns_and_is_idempotent(
    two_hotels: None,
    capsys: pytest.CaptureFixture[str],
    sessions: sessionmaker[Session],
    tmp_path: Path,
    bom: bytes,
) -> None:
    path = tmp_path / "reviews.csv"
    path.write_bytes(bom + CSV_TEXT.encode())

    first = run(capsys, "import", str(path), "--quiet")
    second = run(capsys, "import", str(path), "--quiet")

    # A quoted field spans lines 3-4, so the rows after it start one line later.
    problems = [
        "line 5: bad rating: could not convert string to float: 'lots'",
        "line 6: text: Field required",
        "line 7: guest: stay_to must not be before stay_from",
    ]
    assert first == (1, ['{"created": 3, "existing": 0, "failed": 3}'], problems)
    assert second == (1, ['{"created": 0, "existing": 3, "failed": 3}'], problems)
    with sessions() as s:
        rows = s.execute(
            select(
                Review.external_id,
                Review.text,
                Review.rating_value,
                Review.rating_scale,
                Review.stay_from,
                Review.stay_to,
                Review.room,
                Review.guest_email,
                Review.language_hint,
            ).order_by(Review.id)
        ).all()
    assert [tuple(map(lambda v: None if v is None else str(v), r)) for r in rows] == [
        (
            "c-1",
            "Great stay, friendly staff.",
            "9.0",
            "10",
            "2024-05-01",
            "2024-05-03",
            "101",
            "guest@example.com",
            "en",
        ),
        (
            "c-2",
            "First line of the review.\nSecond line, still the same review.",
            None,
            None,
            None,
            None,
            None,
            None,
            "en",
        ),
        ("c-6", "Nice pool", "3.0", "5", None, None, None, None, None),
    ]


def test_import_of_a_missing_file_fails_cleanly(
    two_hotels: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nope.jsonl"

    code, out, err = run(capsys, "import", str(missing), "--quiet")

    assert (code, out) == (2, [])
    assert err == [
        f"error: cannot read {missing}: [Errno 2] No such file or directory: '{missing}'"
    ]


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


def test_properties_policy_validates_and_routing_uses_it(
    two_hotels: None, capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session]
) -> None:
    code, out, _ = run(
        capsys,
        "properties",
        "policy",
        "hotel-a",
        "--set",
        '{"auto_threshold": 0.95, "sla_hours": {"1": 1}, "safety_terms": ["Legionellen"]}',
    )
    assert code == 0
    assert json.loads("\n".join(out)) == {
        "auto_threshold": 0.95,
        "safety_terms": ["Legionellen"],
        "sla_hours": {"1": 1.0},
    }
    code, out, err = run(
        capsys, "properties", "policy", "hotel-a", "--set", '{"auto_threshold": 2}'
    )
    assert (code, err) == (
        2,
        ["error: invalid policy", "  auto_threshold: a number from 0 to 1 (range)"],
    )
    code, out, _ = run(capsys, "properties", "policy", "hotel-a", "--set", '{"sla_hours": null}')
    assert json.loads("\n".join(out)) == {"auto_threshold": 0.95, "safety_terms": ["Legionellen"]}
    with sessions() as s:
        prop = s.get(Property, "hotel-a")
        assert prop is not None
        policy = policy_for(prop.policy, KeywordClassifier())
    assert policy.auto_threshold == 0.95
    assert policy.safety_terms == ("Legionellen",)


def test_account_and_policy_changes_are_in_the_audit_log_without_secrets(
    two_hotels: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sessions: sessionmaker[Session],
) -> None:
    import getpass

    from triage.storage.tables import AuditEvent

    me = f"cli:{getpass.getuser()}"
    _, out, _ = run(capsys, "keys", "create", "--property", "hotel-a")
    key = out[-1]
    add_user(
        capsys,
        monkeypatch,
        "night@example.com",
        PASSWORD,
        "--role",
        "agent",
        "--property",
        "hotel-b",
    )
    _, out, _ = run(capsys, "tokens", "create", "night@example.com")
    token = out[-1]
    run(capsys, "properties", "policy", "hotel-a", "--set", '{"auto_threshold": 0.9}')

    with sessions() as s:
        events = s.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        rows = [(e.actor, e.action, e.property_id, e.subject, e.details) for e in events]
    assert rows == [
        (me, "api_key.create", "hotel-a", "key:1", {"prefix": key[:10], "properties": ["hotel-a"]}),
        (
            me,
            "user.create",
            "hotel-b",
            "night@example.com",
            {"role": "agent", "properties": ["hotel-b"]},
        ),
        (me, "user_token.create", "hotel-b", "night@example.com", {"prefix": token[:10]}),
        (me, "policy.set", "hotel-a", None, {"before": {}, "after": {"auto_threshold": 0.9}}),
    ]
    assert all(e.at is not None for e in events)
    logged = json.dumps(rows)
    assert key not in logged and token not in logged and PASSWORD not in logged


def test_erase_and_retention_commands(
    two_hotels: None, capsys: pytest.CaptureFixture[str], sessions: sessionmaker[Session]
) -> None:
    from triage.storage.tables import AuditEvent

    with unit_of_work(sessions) as s:
        for n, (booking, email, age) in enumerate(
            [("BK-1", "a@example.com", 1), ("BK-1", None, 1), ("BK-2", "b@example.com", 400)]
        ):
            s.add(
                Review(
                    property_id="hotel-a",
                    source="survey",
                    external_id=f"r{n}",
                    text="Private words",
                    booking_reference=booking,
                    guest_email=email,
                    received_at=utcnow() - timedelta(days=age),
                    status="received",
                )
            )

    assert run(capsys, "erase", "--property", "hotel-a", "--booking", "BK-1") == (
        0,
        ['{"property_id": "hotel-a", "anonymised_review_ids": [1, 2]}'],
        [],
    )
    code, _, err = run(capsys, "erase", "--property", "hotel-x", "--email", "a@example.com")
    assert (code, err) == (2, ["error: property 'hotel-x' not found"])
    code, _, err = run(capsys, "retention", "run")
    assert (code, err) == (
        2,
        ["error: no retention period: set TRIAGE_RETENTION_DAYS or pass --days"],
    )
    assert run(capsys, "retention", "run", "--days", "365") == (
        0,
        ['{"anonymised": 1, "days": 365}'],
        [],
    )
    with sessions() as s:
        texts = s.scalars(select(Review.text).order_by(Review.id)).all()
        actions = s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert texts == [None, None, None]
    assert actions == ["guest.erase", "retention.anonymise"]
