"""The review UI in a real browser (Debian's chromium through Playwright) against a real
uvicorn server on a temporary SQLite database."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from models.double import KeywordClassifier
from service.app import create_app
from tests.conftest import PASSWORD, World, build_world, make_settings
from tests.review_ui.helpers import COMPLAINT
from triage.storage.db import make_engine, make_session_factory

playwright_sync = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")
#: `make test` sets this: there a missing browser is a failure, never a skip.
REQUIRED = os.environ.get("TRIAGE_BROWSER_TESTS") == "required"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() and not REQUIRED, reason="Debian chromium is not installed"
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, base: str, world: World) -> None:
        self.base = base
        self.world = world

    def ingest(self, external_id: str, text: str, property_id: str = "hotel-a") -> int:
        key = self.world.key_a if property_id == "hotel-a" else self.world.key_b
        response = httpx.post(
            f"{self.base}/v1/reviews",
            headers=self.world.auth(key),
            json={
                "property_id": property_id,
                "external_id": external_id,
                "source": "google",
                "text": text,
            },
        )
        assert response.status_code in (200, 201), response.text
        return int(response.json()["id"])


@pytest.fixture
def server(sqlite_url: str, tmp_path: Path) -> Iterator[Server]:
    engine = make_engine(sqlite_url)
    world = build_world(make_session_factory(engine))
    engine.dispose()
    app = create_app(make_settings(sqlite_url, tmp_path), classifier=KeywordClassifier())
    port = _free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield Server(f"http://127.0.0.1:{port}", world)
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[object]:
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield b
        b.close()


def sign_in(page: object, base: str, email: str) -> None:
    page.goto(f"{base}/ui/queue")  # type: ignore[attr-defined]
    page.get_by_label("E-mail").fill(email)  # type: ignore[attr-defined]
    page.get_by_label("Password").fill(PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    page.wait_for_url(f"{base}/ui/queue")  # type: ignore[attr-defined]


def test_take_correct_with_keys_resolve_and_the_next_opens(server: Server, browser: object) -> None:
    server.ingest("b1", COMPLAINT)
    server.ingest("b2", "Awful, dirty and noisy room. Never again.")
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    sign_in(page, server.base, "agent.a@example.com")
    assert "2 open items" in page.content()
    page.keyboard.press("j")
    page.wait_for_url("**/ui/items/*")
    first_url = page.url
    assert page.get_by_text("You hold this item").is_visible()
    page.keyboard.press("u")
    assert page.locator('input[name="label"][value="neutral"]').is_checked()
    page.keyboard.press("r")
    page.wait_for_url("**/ui/items/*?msg=resolved")
    assert page.url.split("?")[0] != first_url
    assert page.get_by_text("Resolved. This is the next item.").is_visible()
    page.keyboard.press("?")
    assert page.locator("#shortcuts").is_visible()


def test_two_people_never_get_the_same_item(server: Server, browser: object) -> None:
    for n in range(4):
        server.ingest(f"t{n}", COMPLAINT)
    one = browser.new_context().new_page()  # type: ignore[attr-defined]
    two = browser.new_context().new_page()  # type: ignore[attr-defined]
    sign_in(one, server.base, "agent.a@example.com")
    sign_in(two, server.base, "trainer.a@example.com")
    seen = []
    for page in (one, two, one, two):
        page.goto(f"{server.base}/ui/queue")
        page.get_by_role("button", name="Take next").click()
        page.wait_for_url("**/ui/items/*")
        seen.append(page.url)
    assert len(set(seen)) == 4


def test_a_script_in_a_review_is_shown_as_text(server: Server, browser: object) -> None:
    evil = 'Dirty room <script>alert("x")</script><img src=x onerror="alert(1)"> done.'
    server.ingest("x1", evil)
    page = browser.new_page()  # type: ignore[attr-defined]
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, server.base, "agent.a@example.com")
    page.get_by_role("button", name="Take next").click()
    page.wait_for_url("**/ui/items/*")
    page.wait_for_timeout(300)
    assert dialogs == []
    assert '<script>alert("x")</script>' in page.locator(".guest-text").inner_text()
    assert page.locator(".guest-text img").count() == 0


def test_an_agent_cannot_open_another_propertys_item(server: Server, browser: object) -> None:
    server.ingest("o1", COMPLAINT, property_id="hotel-b")
    page = browser.new_page()  # type: ignore[attr-defined]
    sign_in(page, server.base, "agent.a@example.com")
    response = page.goto(f"{server.base}/ui/items/1")
    assert response.status == 404
    assert page.get_by_text("Not found").is_visible()


def test_a_trainer_adjudicates_and_the_review_leaves_the_list(
    server: Server, browser: object, sqlite_url: str
) -> None:
    from triage.access.accounts import authenticate_bearer
    from triage.storage.db import unit_of_work
    from triage.verdicts.labels import add_label

    review_id = server.ingest("a1", COMPLAINT)
    engine = make_engine(sqlite_url)
    with unit_of_work(make_session_factory(engine)) as s:
        agent = authenticate_bearer(s, server.world.agent_a)
        trainer = authenticate_bearer(s, server.world.trainer_a)
        add_label(s, agent, review_id, "neutral", "spot_check")
        add_label(s, trainer, review_id, "negative", "relabel")
    engine.dispose()

    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    sign_in(page, server.base, "trainer.a@example.com")
    page.get_by_role("link", name="Train").click()
    page.wait_for_url(f"{server.base}/ui/train")
    page.get_by_role("link", name="Adjudication").first.click()
    page.wait_for_url(f"{server.base}/ui/train/adjudicate")
    item = page.locator(f"#review-{review_id}")
    assert item.is_visible()
    assert item.get_by_text("agent.a@example.com (agent)").is_visible()
    assert item.get_by_label("Add to the gold set").is_checked()
    item.get_by_label("Negative").check()
    item.get_by_label("Note (optional)").fill("Dirty room and rude staff")
    item.get_by_role("button", name="Adjudicate").click()
    page.wait_for_url("**/ui/train/adjudicate?msg=adjudicated")
    assert page.get_by_text("Adjudicated. The review left this list.").is_visible()
    assert page.locator(f"#review-{review_id}").count() == 0
    assert page.get_by_text("Nothing waiting here.").is_visible()


def test_an_admin_registers_a_webhook_and_sees_the_delivery(
    server: Server, browser: object, tmp_path: Path
) -> None:
    """Through the browser: add an endpoint (a private address, allowed), copy its secret,
    and watch a review's `review.routed` event arrive at a real receiver, signed with it."""
    from tests.webhooks.receiver import start
    from triage.webhooks import signing

    receiver = start()
    try:
        page = browser.new_page()  # type: ignore[attr-defined]
        sign_in(page, server.base, "admin@example.com")
        page.get_by_role("link", name="Webhooks").click()
        page.get_by_label("URL").fill(f"{receiver.base}/ok")
        page.get_by_label("Allow a private address").check()
        page.get_by_role("button", name="Add endpoint").click()
        page.wait_for_url("**/ui/webhooks/*?made=created")
        secret = page.get_by_role("textbox", name="Signing secret").input_value()
        assert secret.startswith("whsec_")
        page.reload()
        assert page.get_by_role("textbox", name="Signing secret").count() == 0  # shown once

        server.ingest("hook-1", COMPLAINT)
        (got,) = receiver.wait_for("/ok", 1)
        assert got.event["type"] == "review.routed"
        signing.verify(secret, got.headers["Triage-Signature"], got.body)
        rows = page.locator("#deliveries tbody tr")
        deadline = time.monotonic() + 15
        while rows.count() == 0 or "HTTP 200" not in rows.first.inner_text():
            assert time.monotonic() < deadline, "the delivery did not show as delivered"
            time.sleep(0.3)
            page.reload()
        assert "review.routed" in rows.first.inner_text()
        assert "delivered" in rows.first.inner_text()
    finally:
        receiver.close()
