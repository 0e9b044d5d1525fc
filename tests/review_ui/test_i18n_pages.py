"""Plurals, numbers, percentages and dates on the real pages, in English and German."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import World
from tests.review_ui.helpers import ingest, post, sign_in
from triage.storage.db import unit_of_work
from triage.storage.tables import User

#: (locale, one item, two items, rating 4.5 of 10, "sure" with its percent sign, date)
CASES = [
    (
        "en",
        "1 open item<",
        "2 open items<",
        "4.5 of 10",
        r"\d+% sure",
        r"[A-Z][a-z]{2} \d+, \d{4}, ",
    ),
    (
        "de",
        "1 offener Eintrag<",
        "2 offene Einträge<",
        "4,5 von 10",
        r"zu \d+\u00a0% sicher",
        r"\d\d\.\d\d\.\d{4}, \d\d:\d\d UTC",
    ),
]


@pytest.mark.parametrize(("locale", "one", "two", "rating", "sure", "date"), CASES)
def test_counts_numbers_and_dates_follow_the_persons_language(
    client: TestClient,
    world: World,
    sessions: sessionmaker[Session],
    locale: str,
    one: str,
    two: str,
    rating: str,
    sure: str,
    date: str,
) -> None:
    with unit_of_work(sessions) as s:
        s.execute(update(User).where(User.email == "agent.a@example.com").values(locale=locale))
    ingest(client, world, "n1", rating={"value": 4.5, "scale": 10})
    csrf = sign_in(client, "agent.a@example.com")
    queue = client.get("/ui/queue").text
    assert one in queue and "1 open items" not in queue
    ingest(client, world, "n2")
    assert two in client.get("/ui/queue").text

    page = client.get(post(client, "/ui/queue/next", csrf).headers["location"]).text
    assert rating in page
    assert re.search(sure, page), sure
    assert re.search(date, page), date


def test_dashboard_percentages_and_plural_counts(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    ingest(client, world, "v1")
    csrf = sign_in(client, "agent.a@example.com")
    url = post(client, "/ui/queue/next", csrf).headers["location"]
    post(client, f"{url}/resolve", csrf, label="negative", action="replied")
    english = client.get("/ui/dashboard?property=hotel-a&days=7").text
    assert "1 of 1 verdict<" in english and "last 7 days" in english
    assert re.search(r"<strong>\d+\.\d%</strong>", english)  # the threshold in force

    with unit_of_work(sessions) as s:
        s.execute(update(User).where(User.email == "agent.a@example.com").values(locale="de"))
    sign_in(client, "agent.a@example.com")
    german = client.get("/ui/dashboard?property=hotel-a&days=7").text
    assert "1 von 1 Urteil<" in german and "letzte 7 Tage" in german
    assert re.search(r"<strong>\d+,\d\u00a0%</strong>", german)
