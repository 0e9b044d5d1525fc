"""Helpers for the access tests: a review body, a call with or without one, the problem expected."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from triage.storage.tables import Label, QueueItem, Review

PROBLEM = "application/problem+json"
VERDICT = {"label": "negative", "action": "replied", "note": "Apologised by phone."}


def review_body(property_id: str, external_id: str, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "property_id": property_id,
        "external_id": external_id,
        "source": "booking",
        "text": text,
        **extra,
    }


def call(
    client: TestClient, method: str, path: str, body: object, headers: dict[str, str]
) -> Response:
    if body is None:
        return client.request(method, path, headers=headers)
    return client.request(method, path, json=body, headers=headers)


def problem(status: int, slug: str, title: str, detail: str) -> dict[str, Any]:
    return {
        "type": f"urn:guest-triage:problem:{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "errors": [],
    }


def not_found(detail: str) -> dict[str, Any]:
    return problem(404, "not-found", "Not found", detail)


def assert_problem(response: Response, expected: dict[str, Any]) -> None:
    assert response.status_code == expected["status"], response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == expected


def counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as s:
        return {
            table.__tablename__: s.scalar(select(func.count()).select_from(table)) or 0
            for table in (Review, QueueItem, Label)
        }


NOTHING = {"reviews": 0, "queue_items": 0, "labels": 0}
