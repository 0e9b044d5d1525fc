"""The composition root: one app serves the machine API and the people UI, each in its
own manner (problem+json and an OpenAPI document; HTML pages with security headers)."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from models.double import KeywordClassifier
from review_ui.pages import SECURITY_HEADERS
from service.app import create_app
from service.model_loading import load_keyword_double
from tests.conftest import World
from triage.core.settings import Settings


def test_one_app_serves_the_api_and_the_ui(client: TestClient, world: World) -> None:
    health = client.get("/v1/healthz")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert not set(SECURITY_HEADERS) & set(health.headers)  # the UI's headers are the UI's

    signin = client.get("/ui/signin")
    assert signin.status_code == 200
    assert signin.headers["content-type"].startswith("text/html")
    for name, value in SECURITY_HEADERS.items():
        assert signin.headers[name] == value
    assert client.get("/ui/static/ui.css").status_code == 200

    for home in ("/", "/ui", "/ui/"):
        moved = client.get(home, follow_redirects=False)
        assert (moved.status_code, moved.headers["location"]) == (303, "/ui/queue")


def test_an_unknown_address_is_a_problem_not_a_page(client: TestClient) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "urn:guest-triage:problem:http",
        "title": "Not found",
        "status": 404,
        "detail": "Not Found",
        "errors": [],
    }


def test_the_openapi_document_holds_the_machine_api_only() -> None:
    # Building the app touches nothing (no database, no model): only its schema is read.
    app = create_app(Settings(load_model=False), classifier=KeywordClassifier())
    paths = set(app.openapi()["paths"])
    assert paths == {
        "/v1/reviews",
        "/v1/reviews/batch",
        "/v1/reviews/{review_id}",
        "/v1/queue",
        "/v1/queue/claim",
        "/v1/queue/{item_id}",
        "/v1/queue/{item_id}/release",
        "/v1/queue/{item_id}/resolve",
        "/v1/healthz",
        "/v1/readyz",
        "/v1/audit",
        "/v1/erasures",
        "/v1/thresholds",
        "/v1/thresholds/pin",
        "/v1/thresholds/unpin",
        "/v1/events",
        "/v1/webhooks",
        "/v1/webhooks/{webhook_id}",
        "/v1/webhooks/{webhook_id}/rotate-secret",
        "/v1/webhooks/{webhook_id}/deliveries",
        "/v1/webhooks/deliveries/{delivery_id}/resend",
    }


def test_the_keyword_double_is_named_after_the_model_directory(tmp_path: Path) -> None:
    assert load_keyword_double(tmp_path).info.version == KeywordClassifier().info.version
    (tmp_path / "model.json").write_text(json.dumps({"version": "kw-2"}), encoding="utf-8")
    assert load_keyword_double(tmp_path).info.version == "kw-2"
