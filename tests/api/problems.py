"""Helpers for the bad-input tests: send a body, read a problem+json, count what was stored."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from triage.storage.tables import Label, QueueItem, Review

PROBLEM_KEYS = {"type", "title", "status", "detail", "errors"}
VALID: dict[str, Any] = {
    "property_id": "hotel-a",
    "external_id": "ext-1",
    "source": "google",
    "text": "Lovely stay, friendly staff and a clean room.",
}
SCHEMA = {
    "type": "urn:guest-triage:problem:validation",
    "title": "Invalid request",
    "status": 422,
    "detail": "The request breaks the rules of its schema.",
}


def problem_body(response: Response, status: int) -> dict[str, Any]:
    """The response is a problem+json with exactly the RFC 9457 keys we promise."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) == PROBLEM_KEYS
    return body


def schema_problem(*errors: tuple[str, str, str]) -> dict[str, Any]:
    return {**SCHEMA, "errors": [{"field": f, "rule": r, "message": m} for f, r, m in errors]}


def stored(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as s:
        return {
            table.__tablename__: s.scalar(select(func.count()).select_from(table)) or 0
            for table in (Review, QueueItem, Label)
        }


NOTHING = {"reviews": 0, "queue_items": 0, "labels": 0}


def send(client: TestClient, path: str, body: object, headers: dict[str, str]) -> Response:
    """POST `body` as JSON; NaN and Infinity are written the way Python's json writes them."""
    return client.post(
        path,
        content=json.dumps(body).encode(),
        headers={**headers, "Content-Type": "application/json"},
    )


def review(**changes: Any) -> dict[str, Any]:
    return {**VALID, **changes}
