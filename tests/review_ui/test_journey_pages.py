"""The guest journey in the review UI through the real app on SQLite and PostgreSQL:
touchpoint chips and departments on the review page, trainers' touchpoint corrections,
the queue's department filter, the kudos page and the journey dashboard, each scoped to
the person's properties. Reviews are seeded through the API; the keyword double finds
touchpoints with the lexicon."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from review_ui import charts
from tests.conftest import World
from tests.review_ui.helpers import ingest, post, sign_in
from triage.storage.db import unit_of_work
from triage.storage.tables import AuditEvent, QueueItem, TouchpointLabel, User

MIXED = "Das Frühstück war super. Leider war das Bad dreckig."
CHECK_IN = "Check-in was slow and the reception staff were rude."
SPA = "The spa was wonderful and the pool very clean."
OTHER = "Wonderful breakfast at the other hotel, very friendly staff."
SECOND = len("Das Frühstück war super."), len(MIXED)  # " Leider war das Bad dreckig."


def touchpoint_labels(sessions: sessionmaker[Session]) -> list[TouchpointLabel]:
    with unit_of_work(sessions) as s:
        return list(s.scalars(select(TouchpointLabel).order_by(TouchpointLabel.id)))


def chips(html: str) -> list[tuple[str, str, str]]:
    """(sentiment, name, sentence numbers) of each touchpoint button on a review page."""
    found = re.findall(
        r'<button type="button" class="chip chip-(\w+)" data-sentences="([\d ]+)"[^>]*>([^<]+?) <',
        html,
    )
    return [(sentiment, name, numbers) for sentiment, numbers, name in found]


def test_review_page_shows_touchpoints_their_sentences_and_departments(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    review_id = ingest(client, world, "j1", MIXED)
    sign_in(client, "agent.a@example.com")
    page = client.get(f"/ui/reviews/{review_id}").text
    assert chips(page) == [
        ("negative", "Cleanliness", "2"),
        ("negative", "Bathroom", "2"),
        ("positive", "Breakfast and restaurant", "1"),
    ]
    assert "<strong>Departments to act:</strong> Housekeeping, Maintenance" in page
    # without script: each chip links its sentences, each sentence names its touchpoints
    assert '<a href="#sentence-2">Sentence 2</a>' in page
    assert '<li id="sentence-1" data-sentence="1">' in page
    assert "Model: Cleanliness, Bathroom" in page
    # the text's sentence spans carry the numbers the chips point at
    assert page.count('data-sentence="1"') == 2 and page.count('data-sentence="2"') == 2
    # an agent reads, but gets no correction form
    assert "/touchpoints" not in page
    (item_id,) = [i.id for i in _items(sessions)]
    assert "Housekeeping, Maintenance" in client.get(f"/ui/items/{item_id}").text


def test_review_page_in_german(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with unit_of_work(sessions) as s:
        s.execute(update(User).where(User.email == "agent.a@example.com").values(locale="de"))
    review_id = ingest(client, world, "j1", MIXED)
    sign_in(client, "agent.a@example.com")
    page = client.get(f"/ui/reviews/{review_id}").text
    assert [name for _, name, _ in chips(page)] == ["Sauberkeit", "Bad", "Frühstück und Restaurant"]
    assert "<strong>Zuständige Abteilungen:</strong> Housekeeping, Haustechnik" in page
    assert ">Lob</a>" in page and ">Gästereise</a>" in page


def test_a_trainer_corrects_a_sentences_touchpoints(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    review_id = ingest(client, world, "j1", MIXED)
    csrf = sign_in(client, "trainer.a@example.com")
    page = client.get(f"/ui/reviews/{review_id}").text
    forms = re.findall(
        r'<form method="post" action="/ui/reviews/\d+/touchpoints".*?</form>', page, re.S
    )
    assert len(forms) == 2  # one per sentence
    assert re.findall(r'value="(\w+)" checked', forms[1]) == ["cleanliness", "bathroom"]
    assert len(re.findall(r'type="checkbox" name="touchpoints"', forms[1])) == 15
    url = f"/ui/reviews/{review_id}/touchpoints"
    done = client.post(
        url,
        data={
            "csrf": csrf,
            "start": str(SECOND[0]),
            "end": str(SECOND[1]),
            "back": f"/ui/reviews/{review_id}",
            "touchpoints": ["bathroom", "room"],
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/ui/reviews/{review_id}?msg=touchpoints"
    (row,) = touchpoint_labels(sessions)
    assert (row.review_id, row.start, row.end, row.touchpoints, row.role) == (
        review_id,
        SECOND[0],
        SECOND[1],
        ["room", "bathroom"],
        "trainer",
    )
    with unit_of_work(sessions) as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "label.touchpoints")).one()
        assert event.subject == f"review:{review_id}" and event.property_id == "hotel-a"
    after = client.get(done.headers["location"]).text
    assert "The sentence&#39;s touchpoints are recorded." in after
    assert re.search(r"Corrected by trainer\.a@example\.com \([^)]+\): Room, Bathroom", after)
    forms = re.findall(
        r'<form method="post" action="/ui/reviews/\d+/touchpoints".*?</form>', after, re.S
    )
    assert re.findall(r'value="(\w+)" checked', forms[1]) == ["room", "bathroom"]
    # no touchpoint at all is a correction too
    cleared = post(
        client, url, csrf, start="0", end=str(SECOND[0]), back=f"/ui/reviews/{review_id}"
    )
    assert cleared.status_code == 303
    assert touchpoint_labels(sessions)[-1].touchpoints == []
    # unknown codes, spans outside the text and foreign back links are refused
    bad = [
        {"touchpoints": "minibar"},
        {"end": "999"},
        {"back": "https://evil.example/"},
    ]
    for change in bad:
        form = {
            "csrf": csrf,
            "start": "0",
            "end": str(SECOND[0]),
            "back": f"/ui/reviews/{review_id}",
            **change,
        }
        assert client.post(url, data=form, follow_redirects=False).status_code == 422, change
    assert len(touchpoint_labels(sessions)) == 2


def test_agents_cannot_correct_touchpoints_and_forms_need_csrf(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    review_id = ingest(client, world, "j1", MIXED)
    form = {"start": "0", "end": str(SECOND[0]), "back": f"/ui/reviews/{review_id}"}
    csrf = sign_in(client, "agent.a@example.com")
    url = f"/ui/reviews/{review_id}/touchpoints"
    refused = post(client, url, csrf, touchpoints="breakfast", **form)
    assert refused.status_code == 403 and "trainers and admins" in refused.text
    csrf = sign_in(client, "trainer.a@example.com")
    assert post(client, url, "forged", **form).status_code == 403
    # a trainer of hotel-a does not find hotel-b's review
    other = ingest(client, world, "b1", MIXED, property_id="hotel-b")
    assert post(client, f"/ui/reviews/{other}/touchpoints", csrf, **form).status_code == 404
    assert touchpoint_labels(sessions) == []


def _items(sessions: sessionmaker[Session]) -> list[QueueItem]:
    with unit_of_work(sessions) as s:
        return list(s.scalars(select(QueueItem).order_by(QueueItem.id)))


def test_queue_department_filter_with_counts(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    ingest(client, world, "q1", MIXED)
    ingest(client, world, "q2", CHECK_IN)
    csrf = sign_in(client, "admin@example.com")
    page = client.get("/ui/queue").text
    assert "2 open items" in page
    for name, n in (
        ("Housekeeping", 1),
        ("Maintenance", 1),
        ("Front office", 1),
        ("Management", 1),
    ):
        assert f">{name} ({n})</option>" in page
    assert "Departments to act: Housekeeping, Maintenance" in page
    assert "Departments to act: Front office, Management" in page
    narrowed = client.get("/ui/queue?department=housekeeping").text
    assert "1 open item<" in narrowed
    assert "Leider war das Bad dreckig" in narrowed and "Check-in was slow" not in narrowed
    assert ">Front office (1)</option>" in narrowed  # the department counts keep the others
    assert 'value="housekeeping" selected' in narrowed
    # an item escalated to a department is that department's too
    check_in = _items(sessions)[1]
    post(client, f"/ui/items/{check_in.id}/escalate", csrf, target="department:housekeeping")
    assert "2 open items" in client.get("/ui/queue?department=housekeeping").text
    assert "0 open items" in client.get("/ui/queue?department=events").text
    assert client.get("/ui/queue?department=kitchen").status_code == 422


def test_kudos_lists_praise_per_department_for_the_chosen_property(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    ingest(client, world, "k1", MIXED)
    ingest(client, world, "k2", SPA)
    ingest(client, world, "k3", "Frau Keller an der Rezeption war super freundlich.")
    ingest(client, world, "k4", OTHER, property_id="hotel-b")
    sign_in(client, "agent.a@example.com")
    page = client.get("/ui/kudos?days=7")
    assert page.status_code == 200
    text = page.text
    assert '<blockquote class="passage">Das Frühstück war super.</blockquote>' in text
    assert "The spa was wonderful and the pool very clean." in text
    assert "dreckig" not in text  # the negative sentence is no praise
    assert "other hotel" not in text  # another property's praise
    assert text.count('<li class="card item kudos-item">') == 3
    assert "★ names a member of staff" in text
    assert '<span class="chip chip-positive">Breakfast and restaurant' in text
    assert re.search(r'href="/ui/reviews/\d+">Open review \d+</a>', text)
    # tabs with counts: positive mentions per department
    assert re.search(
        r'department=food_and_beverage" >Food and beverage <span class="count"[^>]*>1<', text
    )
    tab = client.get("/ui/kudos?days=7&department=food_and_beverage").text
    assert "Das Frühstück war super." in tab and "The spa was wonderful" not in tab
    assert 'department=food_and_beverage" aria-current="page"' in tab
    # the period form keeps the chosen department
    assert '<input type="hidden" name="department" value="food_and_beverage">' in tab
    assert client.get("/ui/kudos?department=kitchen").status_code == 422
    assert client.get("/ui/kudos?days=12").status_code == 422


def test_kudos_escapes_what_guests_wrote(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    ingest(
        client,
        world,
        "x1",
        "Lovely breakfast and friendly staff. <script>alert(1)</script> Great bar!",
    )
    sign_in(client, "agent.a@example.com")
    text = client.get("/ui/kudos").text
    assert (
        "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt; Great bar!" in text
    )


def test_journey_page_renders_the_charts(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    ingest(client, world, "p1", MIXED)
    ingest(client, world, "p2", CHECK_IN)
    ingest(client, world, "p3", SPA)
    ingest(client, world, "p4", OTHER, property_id="hotel-b")
    sign_in(client, "agent.a@example.com")
    page = client.get("/ui/journey?property=hotel-a&days=30")
    assert page.status_code == 200
    text = page.text
    captions = re.findall(r"<figcaption><strong>([^<]+)</strong>", text)
    # journey order; the other property's breakfast praise is not counted here
    assert captions == [
        "Arrival and check-in",
        "Cleanliness",
        "Bathroom",
        "Staff and service",
        "Breakfast and restaurant",
        "Spa and leisure",
    ]
    assert text.count('class="chart small"') == len(captions)
    assert 'aria-label="Bathroom" class="chart small"' in text
    assert re.search(r"<title>\d{4}-\d\d-\d\d: negative 1, neutral 0, positive 0</title>", text)
    # the table: cleanliness once negative (the bath), once positive (the pool)
    assert re.search(
        r'<th scope="row">Cleanliness</th><td class="num">1</td><td class="num">0</td>'
        r'<td class="num">1</td><td class="num heat" data-level="2">50%</td>',
        text,
    )
    drivers = text.split('id="drivers-title"')[1].split("</section>")[0]
    # most first, then by code: bathroom, check_in, cleanliness, staff
    assert re.findall(r'text-anchor="end" font-size="13" fill="#1d2939">([^<]+)<', drivers) == [
        "Bathroom",
        "Arrival and check-in",
        "Cleanliness",
        "Staff and service",
    ]
    kudos = text.split('id="kudos-title"')[1].split("</section>")[0]
    assert ">Food and beverage</text>" in kudos and "/ui/kudos?property=hotel-a" in kudos
    empty = client.get("/ui/journey?days=7&property=hotel-a")
    assert empty.status_code == 200
    dashboard = client.get("/ui/dashboard?property=hotel-a&days=30").text
    assert '<h2>Kudos</h2><p class="big">3</p>' in dashboard
    assert "/ui/kudos?property=hotel-a&amp;days=30&amp;department=food_and_beverage" in dashboard


def test_another_propertys_journey_and_kudos_are_not_found(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    ingest(client, world, "o1", OTHER, property_id="hotel-b")
    sign_in(client, "agent.a@example.com")
    for url in (
        "/ui/journey?property=hotel-b",
        "/ui/kudos?property=hotel-b",
        "/ui/kudos?property=hotel-b&department=food_and_beverage",
        "/ui/journey?property=nowhere",
    ):
        page = client.get(url)
        assert page.status_code == 404, url
        assert "other hotel" not in page.text
    assert client.get("/ui/journey?days=12").status_code == 422
    # the admin of both sees hotel-b's praise
    sign_in(client, "admin@example.com")
    assert "other hotel" in client.get("/ui/kudos?property=hotel-b").text


def test_sentiment_chart_escapes_its_text() -> None:
    svg = str(charts.sentiment_days("<t>", [("<d>", 1, 0, 2)], ("<n>", "u", "p")))
    assert "<t>" not in svg and "<d>" not in svg and "&lt;n&gt; 1" in svg
    assert svg.count("<rect") == 2  # zero counts draw nothing
