"""Time the review UI pages on 100,000 reviews: `python -m bench.ui_pages [--postgres URL]`.

Seeds a temporary SQLite file (and a PostgreSQL database when given) with bulk
inserts: mostly auto-handled reviews, about 10% queued for people, some resolved
with verdicts; then times each page through the TestClient and prints median and
p95 milliseconds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert, text

from models.double import KeywordClassifier
from service.app import create_app
from triage.access import accounts
from triage.core.settings import Settings
from triage.storage import migrate
from triage.storage.db import make_engine, make_session_factory, unit_of_work, utcnow
from triage.storage.tables import Label, QueueItem, Review

PASSWORD = "bench password 1"
WORDS = [
    "room",
    "staff",
    "breakfast",
    "clean",
    "dirty",
    "rude",
    "friendly",
    "noisy",
    "view",
    "bed",
    "pool",
    "bill",
]


def seed(url: str, count: int) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    rng = random.Random(7)
    now = utcnow()
    with unit_of_work(make_session_factory(engine)) as s:
        accounts.add_property(s, "bench-hotel", "Bench Hotel")
        accounts.add_user(s, "bench", "bench@example.com", PASSWORD, "agent", ["bench-hotel"])
    with engine.begin() as conn:
        for start in range(0, count, 5000):
            reviews, items, labels = [], [], []
            for n in range(start, min(count, start + 5000)):
                human = n % 10 == 0
                received = now - timedelta(minutes=rng.randrange(90 * 24 * 60))
                label = "negative" if human else "positive"
                reviews.append(
                    {
                        "id": n + 1,
                        "property_id": "bench-hotel",
                        "source": rng.choice(["google", "booking", "survey"]),
                        "external_id": f"b{n}",
                        "text": " ".join(rng.choices(WORDS, k=30)),
                        "received_at": received,
                        "status": "queued" if human else "auto_handled",
                        "route": "human" if human else "auto",
                        "language": rng.choice(["en", "de"]),
                        "reasons": [{"code": "negative_sentiment", "explanation": "Negative."}]
                        if human
                        else [{"code": "confident_positive", "explanation": "Positive."}],
                        "priority": 2 if human else None,
                        "due_at": received + timedelta(hours=12) if human else None,
                        "sentiment_label": label,
                        "sentiment_probabilities": {
                            "negative": 0.8,
                            "neutral": 0.1,
                            "positive": 0.1,
                        }
                        if human
                        else {"negative": 0.05, "neutral": 0.05, "positive": 0.9},
                        "sentences": [],
                        "model_version": "bench",
                        "booking_reference": f"BK-{n % 20000}",
                    }
                )
                if human:
                    resolved = n % 20 == 0
                    items.append(
                        {
                            "review_id": n + 1,
                            "property_id": "bench-hotel",
                            "state": "resolved" if resolved else "open",
                            "priority": 2,
                            "due_at": received + timedelta(hours=12),
                            "created_at": received,
                            "resolved_at": received + timedelta(hours=rng.randrange(1, 30))
                            if resolved
                            else None,
                        }
                    )
                    if resolved:
                        labels.append(
                            {
                                "review_id": n + 1,
                                "label": rng.choice(["negative", "neutral"]),
                                "kind": "queue_verdict",
                                "created_at": received + timedelta(hours=2),
                                "predicted_label": "negative",
                            }
                        )
            conn.execute(insert(Review), reviews)
            conn.execute(insert(QueueItem), items)
            if labels:
                conn.execute(insert(Label), labels)
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
    engine.dispose()


def time_pages(url: str, data_dir: Path, rounds: int) -> None:
    settings = Settings(database_url=url, data_dir=data_dir, load_model=False)
    app = create_app(settings, classifier=KeywordClassifier())
    with TestClient(app) as client:
        form = client.get("/ui/signin").text
        csrf = form.split('name="csrf" value="')[1].split('"')[0]
        client.post(
            "/ui/signin", data={"email": "bench@example.com", "password": PASSWORD, "csrf": csrf}
        )
        page = client.get("/ui/queue").text
        item = page.split('href="/ui/items/')[1].split('"')[0]
        pages = {
            "queue": "/ui/queue",
            "queue filtered": "/ui/queue?sentiment=negative&overdue=true&language=de",
            "review": f"/ui/items/{item}",
            "auto-handled": "/ui/auto",
            "auto-handled search": "/ui/auto?q=dirty+rude&language=en",
            "dashboard 30 d": "/ui/dashboard?days=30",
            "dashboard 90 d": "/ui/dashboard?days=90",
        }
        for name, path in pages.items():
            times = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            print(f"  {name:22s} median {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reviews", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--postgres", help="an empty PostgreSQL database URL to seed and time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        urls = [f"sqlite:///{Path(tmp) / 'bench.db'}"]
        if args.postgres:
            urls.append(args.postgres)
        for url in urls:
            t0 = time.perf_counter()
            seed(url, args.reviews)
            print(
                f"{url.split(':')[0]}: {args.reviews} reviews seeded in "
                f"{time.perf_counter() - t0:.0f} s"
            )
            time_pages(url, Path(tmp), args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
