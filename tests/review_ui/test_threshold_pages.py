"""The dashboard's thresholds: what is in force and why, for everyone; pin and unpin forms
for admins only; the review page names the threshold for reviews like it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import World
from tests.review_ui.helpers import sign_in
from triage.storage.db import unit_of_work
from triage.storage.tables import AuditEvent, LearnedThreshold

PIN = {"property": "hotel-a", "language": "en", "group": "top_rating"}


def test_admins_pin_and_unpin_from_the_dashboard(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in(client, "admin@example.com")
    page = client.get("/ui/dashboard", params={"property": "hotel-a"})
    assert page.status_code == 200
    assert "Auto-handling thresholds" in page.text
    assert "missed complaints stay under 1.0% with 95% confidence" in page.text
    assert page.text.count('action="/ui/thresholds/pin"') == 4  # de, en x two groups
    assert 'action="/ui/thresholds/unpin"' not in page.text

    pinned = client.post(
        "/ui/thresholds/pin", data={**PIN, "value": "0.97", "csrf": csrf}, follow_redirects=False
    )
    assert pinned.status_code == 303
    assert pinned.headers["location"] == "/ui/dashboard?property=hotel-a#thresholds"
    with unit_of_work(sessions) as s:
        row = s.get(LearnedThreshold, ("hotel-a", "en", "top_rating"))
        assert row is not None
        assert (row.pinned_value, row.pinned_by) == (0.97, "admin@example.com")
        (event,) = s.scalars(select(AuditEvent).where(AuditEvent.action == "threshold.pin"))
        assert event.details is not None
        assert event.details["explanation"] == (
            "Pinned at 97% for top-rated English reviews of hotel-a by admin@example.com."
        )
    page = client.get("/ui/dashboard", params={"property": "hotel-a"})
    assert "<strong>97.0%</strong></td>" in page.text
    assert "pinned (by admin@example.com)" in page.text
    assert page.text.count('action="/ui/thresholds/unpin"') == 1

    unpinned = client.post(
        "/ui/thresholds/unpin", data={**PIN, "csrf": csrf}, follow_redirects=False
    )
    assert unpinned.status_code == 303
    with unit_of_work(sessions) as s:
        row = s.get(LearnedThreshold, ("hotel-a", "en", "top_rating"))
        assert row is not None and row.pinned_value is None


def test_people_see_thresholds_but_only_admins_pin(client: TestClient, world: World) -> None:
    csrf = sign_in(client, "agent.a@example.com")
    page = client.get("/ui/dashboard", params={"property": "hotel-a"})
    assert page.status_code == 200
    assert "Auto-handling thresholds" in page.text and "the model&#39;s" in page.text
    assert "/ui/thresholds/pin" not in page.text
    refused = client.post(
        "/ui/thresholds/pin", data={**PIN, "value": "0.5", "csrf": csrf}, follow_redirects=False
    )
    assert refused.status_code == 403


def test_the_review_page_names_the_threshold_for_reviews_like_it(
    client: TestClient, world: World
) -> None:
    posted = client.post(
        "/v1/reviews",
        headers=world.auth(world.key_a),
        json={
            "property_id": "hotel-a",
            "external_id": "fair-1",
            "source": "google",
            "text": "The room was nice and the view over the old town at night was lovely.",
        },
    )
    assert posted.status_code == 201
    review = posted.json()
    assert review["route"] == "auto"
    sign_in(client, "agent.a@example.com")
    page = client.get(f"/ui/reviews/{review['id']}")
    assert page.status_code == 200
    assert "Threshold now for such reviews (all others): 80.0%, the model&#39;s." in page.text
