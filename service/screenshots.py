"""Screenshots of the review UI on demo data: `python -m service.screenshots --out DIR`.

Builds a temporary SQLite database with a demo property and ~40 German and English
reviews routed by the keyword double (spread over three weeks), serves the app with
uvicorn, and saves PNGs of the queue, a review, the dashboard, the guest journey and the
kudos at 1280 px, and the queue at 390 px.
"""

from __future__ import annotations

import argparse
import logging
import socket
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import select, update

from models.double import KeywordClassifier
from service.app import create_app
from triage.access import accounts
from triage.casework import queue
from triage.core.settings import Settings
from triage.storage import migrate
from triage.storage.db import make_engine, make_session_factory, unit_of_work
from triage.storage.tables import Review, ReviewTouchpoint
from triage.verdicts import labels

log = logging.getLogger(__name__)
PASSWORD = "demo password 1"
#: The audit log's actor for the accounts the screenshots are taken with.
ACTOR = "screenshots"
REVIEWS = [
    "The room was dirty and the staff at reception were rude. Breakfast was cold.",
    "Wonderful stay, friendly staff and a clean, comfortable room. We recommend it!",
    "Das Zimmer war leider schmutzig und laut. Das Frühstück war kalt.",
    "Super Lage, sehr freundliches Personal und ein sauberes Zimmer.",
    "There was mould in the shower and the bathroom smelled. Disappointing.",
    "The conference room was fine, coffee breaks on time.",
    "Great breakfast, lovely view. But the air conditioning was broken all night.",
    "Hervorragendes Essen, wunderbarer Service. Gerne wieder!",
    "Check-in was slow and nobody apologised. The bed was comfortable though.",
    "Our wedding reception was perfect, the events team was amazing.",
    "Die Klimaanlage war kaputt und niemand hat sich gekümmert. Enttäuschend.",
    "Nice hotel, good location, helpful concierge.",
    "Terrible noise from the bar until 2 am. Never again.",
    "Das Personal war unfreundlich und die Rechnung falsch.",
    "Beautiful spa, excellent massage, clean pool.",
    "Room OK. Wifi slow.",
    "Best hotel in town, the staff made our anniversary special.",
    "Im Bad war Schimmel. Das geht gar nicht.",
    "Awful experience: dirty towels and a broken lamp.",
    "Sehr gutes Frühstück, freundliche Mitarbeiter, sauber.",
    "The bill was wrong and the manager was rude about it.",
    "Lovely staff, great cocktails, comfortable beds.",
    "Meeting went well, but the projector was broken and the room cold.",
    "Schönes Hotel, tolle Aussicht, perfekter Service.",
    "Booked a quiet room, got one next to the lift. Disappointed.",
    "Wonderful, friendly and clean. Would recommend.",
    "Das Essen war kalt und der Kellner langsam.",
    "Perfect location for the trade fair, helpful front desk.",
    "Dirty carpet, smelly room, rude night manager.",
    "Excellent conference catering, the events team was great.",
    "Das Frühstück war super. Leider war das Bad dreckig.",
    "Frau Keller an der Rezeption war super freundlich. Das Zimmer war sauber.",
    "The wifi was terrible and kept dropping. Great breakfast though.",
    "Check-in was slow and the reception staff were rude.",
    "Lovely bar, friendly staff, and the spa was wonderful.",
    "Das WLAN war langsam und das Zimmer laut.",
    "Mr. Patel at the front desk was wonderful and very helpful.",
    "The bathroom was dirty and the shower broken.",
    "Tolles Frühstück, sehr sauberes Zimmer, freundliches Personal.",
    "Parking was expensive and the bill was wrong.",
    "Excellent breakfast buffet and a lovely, clean room.",
    "Der Tagungsraum war super, die Technik hat perfekt funktioniert.",
]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build(data_dir: Path) -> tuple[Settings, str]:
    settings = Settings(data_dir=data_dir, load_model=False)
    engine = make_engine(settings.effective_database_url)
    migrate.upgrade(engine)
    with unit_of_work(make_session_factory(engine)) as s:
        accounts.add_property(s, "demo-hotel", "Demo Hotel")
        accounts.add_property(s, "demo-venue", "Demo Convention Centre")
        _, key = accounts.create_api_key(s, ACTOR, ["demo-hotel", "demo-venue"])
        accounts.add_user(s, ACTOR, "anna@demo-hotel.example", PASSWORD, "agent", ["demo-hotel"])
        accounts.add_user(
            s, ACTOR, "ben@demo-hotel.example", PASSWORD, "admin", ["demo-hotel", "demo-venue"]
        )
        accounts.add_user(s, ACTOR, "cara@demo-hotel.example", PASSWORD, "trainer", ["demo-hotel"])
    engine.dispose()
    return settings, key


def spread_over_weeks(settings: Settings, days: int = 21) -> None:
    """Move the demo reviews back over the last weeks, so the journey charts have a time
    axis (the API stamps every review with the time it arrived)."""
    engine = make_engine(settings.effective_database_url)
    with unit_of_work(make_session_factory(engine)) as s:
        for review in s.scalars(select(Review).order_by(Review.id)):
            when = review.received_at - timedelta(days=(review.id * 5) % days, hours=review.id % 9)
            review.received_at = when
            s.execute(
                update(ReviewTouchpoint)
                .where(ReviewTouchpoint.review_id == review.id)
                .values(received_at=when)
            )
    engine.dispose()


def _review_id(settings: Settings, text: str) -> int:
    engine = make_engine(settings.effective_database_url)
    with unit_of_work(make_session_factory(engine)) as s:
        found = s.scalar(select(Review.id).where(Review.text == text))
    engine.dispose()
    assert found is not None
    return int(found)


def resolve_some(settings: Settings, count: int) -> None:
    engine = make_engine(settings.effective_database_url)
    with unit_of_work(make_session_factory(engine)) as s:
        ben = accounts.authenticate_password(s, "ben@demo-hotel.example", PASSWORD)
        for n in range(count):
            view = queue.claim_next(s, ben, lease=timedelta(minutes=15), property_id="demo-hotel")
            assert view.item is not None and view.review.sentiment_label is not None
            label = view.review.sentiment_label if n % 4 else "neutral"
            queue.resolve(s, ben, view.item.id, queue.Verdict(label, "replied"))
    engine.dispose()


def label_some(settings: Settings) -> None:
    """Second opinions on the resolved reviews, so the trainers' pages have work: Anna
    disagrees with some of Ben's verdicts (adjudication), Cara relabels one (model vs
    people), and Anna spot-checks auto-handled reviews."""
    engine = make_engine(settings.effective_database_url)
    with unit_of_work(make_session_factory(engine)) as s:
        anna = accounts.authenticate_password(s, "anna@demo-hotel.example", PASSWORD)
        cara = accounts.authenticate_password(s, "cara@demo-hotel.example", PASSWORD)
        resolved = list(
            s.scalars(select(Review).where(Review.status == "resolved").order_by(Review.id))
        )
        for n, review in enumerate(resolved[:3]):
            other = "neutral" if review.sentiment_label != "neutral" else "negative"
            labels.add_label(s, anna, review.id, other if n < 2 else "negative", "double_label")
        if len(resolved) > 3:
            labels.add_label(s, cara, resolved[3].id, "positive", "relabel")
        auto = s.scalars(select(Review).where(Review.route == "auto").order_by(Review.id))
        for review in list(auto)[:4]:
            labels.add_label(s, anna, review.id, "positive", "spot_check")
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings, key = build(Path(tmp))
        port = _port()
        app = create_app(settings, classifier=KeywordClassifier())
        server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        for n, text in enumerate(REVIEWS):
            httpx.post(
                f"{base}/v1/reviews",
                headers={"Authorization": f"Bearer {key}"},
                json={
                    "property_id": "demo-hotel",
                    "source": ("google", "booking", "survey", "tripadvisor")[n % 4],
                    "external_id": f"demo-{n}",
                    "text": text,
                    "rating": {"value": 1 + n % 5, "scale": 5},
                    "guest": {
                        "booking_reference": f"BK-{n % 7}",
                        "stay_from": "2026-11-10",
                        "stay_to": "2026-11-13",
                        "room": str(200 + n),
                        "segment": ("leisure", "business", "meetings_events")[n % 3],
                    },
                },
            ).raise_for_status()
        spread_over_weeks(settings)
        resolve_some(settings, 5)
        label_some(settings)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{base}/ui/signin")
            page.get_by_label("E-mail").fill("anna@demo-hotel.example")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{base}/ui/queue")
            page.screenshot(path=str(args.out / "queue.png"), full_page=True)
            page.get_by_role("button", name="Take next").click()
            page.wait_for_url("**/ui/items/*")
            page.screenshot(path=str(args.out / "review.png"), full_page=True)
            page.goto(f"{base}/ui/dashboard?days=7")
            page.screenshot(path=str(args.out / "dashboard.png"), full_page=True)
            page.goto(f"{base}/ui/journey?days=30")
            page.screenshot(path=str(args.out / "journey.png"), full_page=True)
            page.goto(f"{base}/ui/kudos?days=30")
            page.screenshot(path=str(args.out / "kudos.png"), full_page=True)
            trainer = browser.new_page(viewport={"width": 1280, "height": 900})
            trainer.goto(f"{base}/ui/signin")
            trainer.get_by_label("E-mail").fill("cara@demo-hotel.example")
            trainer.get_by_label("Password").fill(PASSWORD)
            trainer.get_by_role("button", name="Sign in").click()
            trainer.wait_for_url(f"{base}/ui/queue")
            mixed = _review_id(settings, "Das Frühstück war super. Leider war das Bad dreckig.")
            trainer.goto(f"{base}/ui/reviews/{mixed}")
            trainer.get_by_role("button", name="Bathroom").click()
            trainer.locator("details.tp-fix").nth(1).locator("summary").click()
            trainer.screenshot(path=str(args.out / "review-touchpoints.png"), full_page=True)
            trainer.goto(f"{base}/ui/train")
            trainer.screenshot(path=str(args.out / "train.png"), full_page=True)
            trainer.goto(f"{base}/ui/train/adjudicate")
            trainer.screenshot(path=str(args.out / "train-adjudicate.png"), full_page=True)
            phone = browser.new_page(viewport={"width": 390, "height": 844})
            phone.context.add_cookies(page.context.cookies())  # type: ignore[arg-type]
            phone.goto(f"{base}/ui/queue")
            phone.screenshot(path=str(args.out / "queue-phone.png"), full_page=False)
            browser.close()
        server.should_exit = True
        thread.join(timeout=10)
    log.info("screenshots written to %s", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
