"""Helpers for the review UI tests: sign in like a browser, post forms, ingest reviews."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, World

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
COMPLAINT = "The room was dirty and the staff were rude. Terrible breakfast, cold coffee."
PRAISE = "Wonderful hotel, friendly staff and a clean, comfortable room. We will recommend it."


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no csrf field on the page"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the session's CSRF token."""
    client.cookies.clear()
    form = client.get("/ui/signin")
    assert form.status_code == 200
    response = client.post(
        "/ui/signin",
        data={"email": email, "password": password, "csrf": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    page = client.get("/ui/queue")
    assert page.status_code == 200
    return csrf_of(page.text)


def ingest(
    client: TestClient,
    world: World,
    external_id: str,
    text: str = COMPLAINT,
    property_id: str = "hotel-a",
    **extra: Any,
) -> int:
    key = world.key_a if property_id == "hotel-a" else world.key_b
    response = client.post(
        "/v1/reviews",
        headers=world.auth(key),
        json={
            "property_id": property_id,
            "external_id": external_id,
            "source": "google",
            "text": text,
            **extra,
        },
    )
    assert response.status_code in (200, 201), response.text
    return int(response.json()["id"])


def post(client: TestClient, url: str, csrf: str, **data: str) -> Any:
    return client.post(url, data={"csrf": csrf, **data}, follow_redirects=False)
