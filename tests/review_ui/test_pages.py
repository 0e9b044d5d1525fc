"""The review UI through the real app on SQLite and PostgreSQL: sessions, CSRF, scoping,
every action's effect on the database, escaping, and the pages' headers."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import World
from tests.review_ui.helpers import PRAISE, csrf_of, ingest, post, sign_in
from triage.storage.db import unit_of_work, utcnow
from triage.storage.tables import Label, QueueItem, Review, User, WebSession


def items(sessions: sessionmaker[Session]) -> list[QueueItem]:
    with unit_of_work(sessions) as s:
        return list(s.scalars(select(QueueItem).order_by(QueueItem.id)))


def test_sign_in_sets_a_hashed_session_and_sign_out_ends_it(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    first = client.get("/ui/queue", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"].startswith("/ui/signin?next=/ui/queue")
    for address in ("/", "/ui", "/ui/"):  # the README's and the demo's address
        assert client.get(address, follow_redirects=False).headers["location"] == "/ui/queue"

    form = client.get("/ui/signin")
    wrong = client.post(
        "/ui/signin",
        data={"email": "agent.a@example.com", "password": "nope", "csrf": csrf_of(form.text)},
    )
    assert wrong.status_code == 401
    assert "Wrong e-mail or password." in wrong.text

    csrf = sign_in(client, "agent.a@example.com")
    secret = client.cookies.get("triage_session")
    assert secret
    with unit_of_work(sessions) as s:
        row = s.scalars(select(WebSession)).one()
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest() != secret
    assert row.csrf_token == csrf and row.ended_at is None

    out = post(client, "/ui/signout", csrf)
    assert out.status_code == 303
    with unit_of_work(sessions) as s:
        assert s.scalars(select(WebSession)).one().ended_at is not None
    client.cookies.set("triage_session", secret)  # a stolen cookie is dead after sign-out
    assert client.get("/ui/queue", follow_redirects=False).status_code == 303


def test_session_cookie_flags(client: TestClient, world: World) -> None:
    form = client.get("/ui/signin")
    response = client.post(
        "/ui/signin",
        data={
            "email": "agent.a@example.com",
            "password": "correct horse battery",
            "csrf": csrf_of(form.text),
        },
        follow_redirects=False,
    )
    cookie = next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and "triage_session" in v
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie


def test_every_form_needs_the_session_csrf_token(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    ingest(client, world, "c1")
    sign_in(client, "agent.a@example.com")
    missing = client.post("/ui/queue/next", data={}, follow_redirects=False)
    wrong = client.post("/ui/queue/next", data={"csrf": "forged"}, follow_redirects=False)
    assert missing.status_code == wrong.status_code == 403
    assert "Not allowed" in wrong.text
    assert all(i.claimed_by is None for i in items(sessions))
    # the sign-in form has its own token, bound to a cookie
    client.cookies.clear()
    forged = client.post(
        "/ui/signin",
        data={"email": "agent.a@example.com", "password": "correct horse battery", "csrf": "x"},
    )
    assert forged.status_code == 403


def test_idle_sessions_expire(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    sign_in(client, "agent.a@example.com")
    with unit_of_work(sessions) as s:
        s.execute(update(WebSession).values(last_seen_at=utcnow() - timedelta(hours=13)))
    response = client.get("/ui/queue", follow_redirects=False)
    assert response.status_code == 303
    assert "expired=1" in response.headers["location"]
    assert "Your session has ended" in client.get(response.headers["location"]).text


def test_another_propertys_item_is_not_found(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    marker = "minibar of room 41.7"  # "." is outside the alphabet of the random CSRF token
    ingest(client, world, "a1", text=f"Dirty and rude staff, the {marker} was empty.")
    (item,) = items(sessions)
    csrf = sign_in(client, "agent.b@example.com")
    page = client.get(f"/ui/items/{item.id}")
    assert page.status_code == 404 and "Not found" in page.text
    assert client.get(f"/ui/reviews/{item.review_id}").status_code == 404
    done = post(client, f"/ui/items/{item.id}/resolve", csrf, label="negative", action="replied")
    assert done.status_code == 404
    assert items(sessions)[0].state == "open"
    queue = client.get("/ui/queue").text
    assert marker not in queue and f"/ui/items/{item.id}" not in queue
    assert client.get("/ui/dashboard?property=hotel-a").status_code == 404


def test_take_next_resolve_and_the_next_item_opens(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    ingest(client, world, "n1")
    ingest(client, world, "n2")
    csrf = sign_in(client, "agent.a@example.com")
    taken = post(client, "/ui/queue/next", csrf)
    first = items(sessions)[0]
    assert taken.headers["location"] == f"/ui/items/{first.id}"
    assert first.claimed_by is not None and first.lease_expires_at is not None
    page = client.get(taken.headers["location"])
    assert "You hold this item" in page.text
    assert "negative" in page.text and "% sure" in page.text

    done = post(
        client,
        f"/ui/items/{first.id}/resolve",
        csrf,
        label="neutral",
        action="compensated",
        note="voucher sent",
    )
    after = items(sessions)
    assert done.headers["location"] == f"/ui/items/{after[1].id}?msg=resolved"
    assert after[0].state == "resolved" and after[0].action == "compensated"
    assert after[0].note == "voucher sent"
    assert after[1].claimed_by == after[0].resolved_by
    with unit_of_work(sessions) as s:
        label = s.scalars(select(Label)).one()
        assert (label.label, label.kind, label.predicted_label) == (
            "neutral",
            "queue_verdict",
            "negative",
        )
        assert s.get(Review, first.review_id).status == "resolved"  # type: ignore[union-attr]
    last = post(
        client, f"/ui/items/{after[1].id}/resolve", csrf, label="negative", action="replied"
    )
    assert last.headers["location"] == "/ui/queue?msg=resolved_empty"
    assert "The queue is empty now" in client.get(last.headers["location"]).text
    assert post(client, "/ui/queue/next", csrf).headers["location"] == "/ui/queue?msg=empty"


def test_release_and_conflict(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    ingest(client, world, "r1")
    csrf = sign_in(client, "agent.a@example.com")
    item_url = post(client, "/ui/queue/next", csrf).headers["location"]
    released = post(client, f"{item_url}/release", csrf)
    assert released.headers["location"] == "/ui/queue?msg=released"
    assert items(sessions)[0].claimed_by is None
    # someone else (the trainer) holds it now: the agent's resolve is a conflict page
    csrf_t = sign_in(client, "trainer.a@example.com")
    post(client, "/ui/queue/next", csrf_t)
    csrf = sign_in(client, "agent.a@example.com")
    page = client.get(item_url)
    assert "trainer.a@example.com holds this item" in page.text
    conflict = post(client, f"{item_url}/resolve", csrf, label="negative", action="replied")
    assert conflict.status_code == 409 and "held by someone else" in conflict.text
    assert items(sessions)[0].state == "open"
    bad = post(client, f"{item_url}/resolve", csrf, label="angry", action="replied")
    assert bad.status_code == 422


def test_escalate_to_a_department_and_to_a_property(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    ingest(client, world, "e1")
    csrf = sign_in(client, "admin@example.com")
    item_url = post(client, "/ui/queue/next", csrf).headers["location"]
    before = items(sessions)[0]
    page = client.get(item_url)
    assert "department:housekeeping" in page.text and "property:hotel-b" in page.text
    done = post(client, f"{item_url}/escalate", csrf, target="department:maintenance")
    assert done.headers["location"] == "/ui/queue?msg=escalated"
    after = items(sessions)[0]
    assert after.escalated_to == "department:maintenance"
    assert after.state == "open" and after.claimed_by is None
    assert after.priority == max(1, before.priority - 1)
    assert after.escalated_by is not None and after.escalated_at is not None
    post(client, f"{item_url}/escalate", csrf, target="property:hotel-b")
    moved = items(sessions)[0]
    assert moved.property_id == "hotel-b" and moved.escalated_to == "property:hotel-b"
    # an agent of hotel-b now sees it, an agent of hotel-a no longer does
    sign_in(client, "agent.b@example.com")
    assert client.get(item_url).status_code == 200
    csrf = sign_in(client, "agent.a@example.com")
    assert client.get(item_url).status_code == 404
    assert post(client, f"{item_url}/escalate", csrf, target="department:x").status_code == 404


def test_escalation_target_must_be_allowed(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    ingest(client, world, "e2")
    csrf = sign_in(client, "agent.a@example.com")
    item_url = post(client, "/ui/queue/next", csrf).headers["location"]
    for target in ("property:hotel-b", "department:spa", "nowhere"):
        assert post(client, f"{item_url}/escalate", csrf, target=target).status_code == 422
    assert items(sessions)[0].escalated_to is None


def test_pull_back_an_auto_handled_review(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    review_id = ingest(client, world, "p1", PRAISE)
    ingest(client, world, "p2", "Great breakfast, lovely and friendly staff, very clean.")
    csrf = sign_in(client, "agent.a@example.com")
    listing = client.get("/ui/auto?q=WONDERFUL")
    assert "1 review<" in listing.text and f"/ui/reviews/{review_id}" in listing.text
    assert "2 reviews" in client.get("/ui/auto").text
    assert "0 reviews" in client.get("/ui/auto?from=2000-01-01&to=2000-01-02").text
    pulled = post(client, f"/ui/reviews/{review_id}/pull-back", csrf, label="negative")
    (item,) = items(sessions)
    assert pulled.headers["location"] == f"/ui/items/{item.id}?msg=pulled_back"
    assert item.origin == "pulled_back" and item.state == "open"
    with unit_of_work(sessions) as s:
        user_id = s.scalar(select(User.id).where(User.email == "agent.a@example.com"))
        label = s.scalars(select(Label)).one()
        review = s.get(Review, review_id)
        assert review is not None
        assert review.status == "queued" and review.route == "auto"
        assert review.reasons is not None and review.reasons[-1]["code"] == "pulled_back"
    assert item.created_by == user_id
    assert (label.kind, label.label, label.user_id, label.predicted_label) == (
        "spot_check",
        "negative",
        user_id,
        "positive",
    )
    page = client.get(pulled.headers["location"])
    assert "Pulled back into the queue by agent.a@example.com" in page.text
    again = post(client, f"/ui/reviews/{review_id}/pull-back", csrf, label="negative")
    assert again.status_code == 409


def test_guest_text_is_escaped_and_pages_forbid_inline_script(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    evil = (
        'Dirty room. <script>alert("x")</script> <img src=x onerror="alert(1)"> '
        '<a href="javascript:alert(2)">click</a> "quotes" & more'
    )
    ingest(client, world, "x1", evil, guest={"room": "<b>12</b>", "booking_reference": "<i>"})
    csrf = sign_in(client, "agent.a@example.com")
    url = post(client, "/ui/queue/next", csrf).headers["location"]
    page = client.get(url)
    for raw in ("<script>alert", "<img src=x", '<a href="javascript', "<b>12</b>", "<i>"):
        assert raw not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    assert "&lt;b&gt;12&lt;/b&gt;" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert "<script>" not in page.text.replace('<script src="/ui/static/ui.js" defer></script>', "")
    assert "&lt;script&gt;" in client.get("/ui/queue").text


def test_review_page_explains_and_highlights(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    text = "Lovely staff and a great view. But the bathroom was dirty, broken and smelly."
    ingest(
        client,
        world,
        "h1",
        text,
        rating={"value": 2, "scale": 5},
        guest={"booking_reference": "BK-7", "room": "301", "segment": "business"},
    )
    earlier = ingest(client, world, "h0", PRAISE, guest={"booking_reference": "BK-7"})
    csrf = sign_in(client, "agent.a@example.com")
    page = client.get(post(client, "/ui/queue/next", csrf).headers["location"]).text
    assert 'class="s s-positive"' in page and 'class="s s-negative"' in page
    assert "2 of 5" in page and "301" in page and "business" in page
    assert f"/ui/reviews/{earlier}" in page
    assert "Why it came to a person" in page
    assert 'data-key="r"' in page and "<kbd>r</kbd>" in page


def test_queue_filters_with_counts(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    ingest(client, world, "f1")
    ingest(client, world, "f2", "Es war leider laut und schmutzig, das Personal unfreundlich.")
    ingest(client, world, "f3", "The room was fine.")
    sign_in(client, "agent.a@example.com")
    page = client.get("/ui/queue").text
    assert "3 open items" in page
    assert ">negative (2)</option>" in page and ">neutral (1)</option>" in page
    assert ">Hotel A (3)</option>" in page
    filtered = client.get("/ui/queue?sentiment=neutral").text
    assert "1 open item<" in filtered and "The room was fine." in filtered
    # the sentiment counts stay those of the other filters, so one can switch
    assert ">negative (2)</option>" in filtered
    assert client.get("/ui/queue?sentiment=angry").status_code == 422


def test_german_ui_for_a_german_user(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    with unit_of_work(sessions) as s:
        s.execute(update(User).where(User.email == "agent.a@example.com").values(locale="de"))
    ingest(client, world, "d1")
    csrf = sign_in(client, "agent.a@example.com")
    page = client.get(post(client, "/ui/queue/next", csrf).headers["location"]).text
    assert '<html lang="de">' in page
    assert "Erledigen" in page and "zu " in page and "\u00a0% sicher" in page
    assert "Negativ, zu" in page  # the routing reason in German
    assert "Übersicht" in client.get("/ui/dashboard").text


def test_dashboard_renders_figures_and_charts(
    client: TestClient, world: World, sessions: sessionmaker[Session]
) -> None:
    ingest(client, world, "s1")
    ingest(client, world, "s2", PRAISE)
    csrf = sign_in(client, "agent.a@example.com")
    url = post(client, "/ui/queue/next", csrf).headers["location"]
    post(client, f"{url}/resolve", csrf, label="negative", action="replied")
    page = client.get("/ui/dashboard?property=hotel-a&days=7")
    assert page.status_code == 200
    assert page.text.count("<svg") >= 4
    assert "50%" in page.text  # one of two handled automatically
    assert "1 of 1 verdict" in page.text and "1 of 1 verdicts" not in page.text
    assert client.get("/ui/dashboard?days=12").status_code == 422
