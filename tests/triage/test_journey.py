"""The guest journey: touchpoints per review, departments to act, kudos, journey data."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.touchpoints import DetectorConfig, detect
from tests.conftest import World
from triage.core.errors import InvalidInput, NotFound
from triage.decisions.policy import validate_overrides
from triage.journeys.journey import (
    DEFAULT_DEPARTMENTS,
    department_map,
    departments_for,
    kudos,
    summarise,
    with_property_terms,
)
from triage.storage.db import unit_of_work
from triage.storage.tables import ReviewTouchpoint


def s(start: int, end: int, label: str, *codes: str) -> dict[str, Any]:
    return {"start": start, "end": end, "label": label, "touchpoints": list(codes)}


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("Das Frühstücksbuffet war reichhaltig.", ["breakfast"]),
        ("Die Tiefgarage kostet 25 Euro pro Nacht.", ["location", "value"]),
        ("Im Bad war Schimmel an den Fugen der Dusche.", ["cleanliness", "bathroom"]),
        ("We could hear every word through the thin walls.", ["noise"]),
        ("The projector in the seminar room did not work.", ["meetings_events"]),
        ("Frau Keller an der Rezeption war super.", ["staff"]),
        ("Die Rechnung war falsch, die Minibar doppelt berechnet.", ["room", "billing"]),
        ("Wir kommen gerne wieder.", []),
    ],
)
def test_lexicon_finds_touchpoints_in_both_languages(text: str, codes: list[str]) -> None:
    assert sorted(detect(text, None, DetectorConfig())) == sorted(codes)


def test_summary_sentiment_and_departments() -> None:
    sentences = [
        s(0, 30, "positive", "room", "breakfast"),
        s(31, 60, "negative", "check_in"),
        s(61, 90, "neutral", "room"),
        s(91, 120, "neutral", "wifi"),
        s(121, 150, "negative", "cleanliness", "room"),
    ]
    summary = {t.touchpoint: (t.sentiment, len(t.sentences)) for t in summarise(sentences)}
    assert summary == {
        "check_in": ("negative", 1),
        "room": ("negative", 3),  # one negative sentence makes the touchpoint negative
        "cleanliness": ("negative", 1),
        "breakfast": ("positive", 1),
        "wifi": ("neutral", 1),
    }
    assert list(summary) == [
        "check_in",
        "room",
        "cleanliness",
        "breakfast",
        "wifi",
    ]  # journey order
    found = departments_for(summarise(sentences), DEFAULT_DEPARTMENTS)
    assert found == ["housekeeping", "front_office", "maintenance"]
    # a property maps its own way
    custom = department_map({"departments": {"check_in": ["management"], "room": []}})
    assert departments_for(summarise(sentences), custom) == ["housekeeping", "management"]


def test_property_terms_add_touchpoints() -> None:
    text = "Der Shuttle zum Messegelände kam zu spät. Tolles Zimmer."
    sentences = [s(0, 41, "negative"), s(42, 55, "positive", "room")]
    found = with_property_terms(text, sentences, {"location": ["shuttle"]})
    assert found == [["location"], ["room"]]
    assert with_property_terms(text, sentences, {}) == [[], ["room"]]


def test_policy_validates_journey_settings() -> None:
    assert validate_overrides({"departments": {"bar": ["food_and_beverage", "management"]}}) == {
        "departments": {"bar": ["food_and_beverage", "management"]}
    }
    assert validate_overrides({"touchpoint_terms": {"spa": [" Therme ", "Therme"]}}) == {
        "touchpoint_terms": {"spa": ["Therme"]}
    }
    for bad in (
        {"departments": {"bar": ["kitchen"]}},
        {"departments": {"lobby": ["management"]}},
        {"touchpoint_terms": {"spa": ["x"]}},
        {"touchpoint_terms": ["spa"]},
    ):
        with pytest.raises(InvalidInput):
            validate_overrides(bad)


def test_kudos_collects_praise_for_teams_and_named_staff() -> None:
    text = (
        "Frau Keller an der Rezeption war wunderbar. Das Frühstück war super. "
        "Das Bad war dreckig. Alles gut."
    )
    sentences = [
        s(0, 43, "positive", "staff"),
        s(44, 68, "positive", "breakfast"),
        s(69, 89, "negative", "bathroom", "cleanliness"),
        s(90, 100, "positive"),
    ]
    found = kudos(text, sentences, DEFAULT_DEPARTMENTS)
    assert [(k.start, k.touchpoints, k.departments, k.staff_named) for k in found] == [
        (0, ["staff"], ["management"], True),
        (44, ["breakfast"], ["food_and_beverage"], False),
    ]
    named = kudos("Tom at reception saved our trip.", [s(0, 32, "positive")], DEFAULT_DEPARTMENTS)
    assert named[0].touchpoints == ["staff"] and named[0].staff_named


def test_routed_reviews_carry_touchpoints_departments_and_journey_rows(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    text = (
        "Das Zimmer war schön und das Frühstück lecker. "
        "Leider war das Bad dreckig und der Check-in dauerte ewig."
    )
    created = client.post(
        "/v1/reviews",
        headers=world.auth(world.key_a),
        json={"property_id": "hotel-a", "external_id": "j-1", "source": "survey", "text": text},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    by_code = {t["touchpoint"]: t for t in body["touchpoints"]}
    assert by_code["breakfast"]["sentiment"] == "positive"
    assert by_code["bathroom"]["sentiment"] == "negative"
    assert by_code["check_in"]["sentiment"] == "negative"
    span = by_code["bathroom"]["sentences"][0]
    assert "Bad" in text[span["start"] : span["end"]]
    assert body["departments"] == ["housekeeping", "front_office", "maintenance"]
    assert all("touchpoints" in sentence for sentence in body["sentences"])
    with unit_of_work(sessions) as session:
        rows = {
            (r.touchpoint, r.sentiment, r.route) for r in session.scalars(select(ReviewTouchpoint))
        }
    assert ("bathroom", "negative", body["route"]) in rows
    assert ("breakfast", "positive", body["route"]) in rows
    # the queue filters by department
    agent = world.auth(world.agent_a)
    for department, expected in (("housekeeping", 1), ("events", 0)):
        page = client.get(f"/v1/queue?department={department}", headers=agent).json()
        assert page["total"] == expected
    assert client.get("/v1/queue?department=kitchen", headers=agent).status_code == 422


def test_journey_data_and_kudos(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    from tests.triage.loop_data import principal
    from triage.journeys.journey_stats import journey, kudos_for

    texts = [
        "Das Frühstück war super. Leider war das Bad dreckig.",
        "Frau Keller an der Rezeption war wunderbar. Der Check-in war schlecht und langsam.",
        "The breakfast was great and the bar staff lovely.",
        "The bathroom was dirty and the shower broken.",
    ]
    for i, text in enumerate(texts):
        response = client.post(
            "/v1/reviews",
            headers=world.auth(world.key_a),
            json={
                "property_id": "hotel-a",
                "external_id": f"k-{i}",
                "source": "survey",
                "text": text,
            },
        )
        assert response.status_code == 201
    client.post(
        "/v1/reviews",
        headers=world.auth(world.key_b),
        json={
            "property_id": "hotel-b",
            "external_id": "k-b",
            "source": "survey",
            "text": "The breakfast was great.",
        },
    )
    agent = principal(sessions, world.agent_a)
    other = principal(sessions, world.agent_b)
    with unit_of_work(sessions) as s:
        data = journey(s, agent, "hotel-a", days=7)
        food = kudos_for(s, agent, "hotel-a", department="food_and_beverage")
        management = kudos_for(s, agent, "hotel-a", department="management")
        every = kudos_for(s, agent, "hotel-a")
        with pytest.raises(NotFound):
            journey(s, other, "hotel-a")
        with pytest.raises(NotFound):
            kudos_for(s, agent, "hotel-a", department="kitchen")
    assert data.totals["breakfast"] == {"negative": 0, "neutral": 0, "positive": 2}
    assert data.totals["bathroom"]["negative"] == 2
    assert data.share_negative("bathroom") == 1.0
    assert data.negative_drivers[0] == ("bathroom", 2)
    assert ("check_in", 1) in data.negative_drivers
    assert sum(n for _, n, _, _ in [(d, a, b, c) for d, a, b, c in data.trend["bathroom"]]) == 2
    assert data.kudos_by_department["food_and_beverage"] >= 2
    assert {k.text for k in food} >= {
        "Das Frühstück war super.",
        "The breakfast was great and the bar staff lovely.",
    }
    assert "The breakfast was great." not in {k.text for k in every}  # another property
    assert any(k.passage.staff_named for k in management)
    assert all("dreckig" not in k.text for k in every)
