"""Helpers for the `triage` command tests: run one command in-process, add a user, write JSONL."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import pytest

from triage_cli.main import main

PASSWORD = "correct horse battery"


Run = tuple[int, list[str], list[str]]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    """Exit code, stdout lines and stderr lines (log records aside) of one command."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    problems = [line for line in err.splitlines() if " INFO " not in line]
    return code, out.splitlines(), problems


def add_user(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    email: str,
    password: str,
    *options: str,
) -> Run:
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    return run(capsys, "users", "add", email, *options)


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
