"""Figures 2 and 5: a real server process under load, its start-up time and memory.

The server is `triage serve` (the real model) or, for tests, the same app with
the keyword double (`python -m bench.serving --double --port N`). Clients are
threads, each with its own HTTP connection, posting single reviews or batches with unique
external ids, synchronously or with `Prefer: respond-async` (`bench.async_ingest`); latency
is measured per request, throughput over the wall time.
"""

from __future__ import annotations

import argparse
import itertools
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bench.processes import child_env
from triage.access import accounts
from triage.storage import migrate
from triage.storage.db import make_engine, make_session_factory, unit_of_work
from triage.storage.tables import Property, Review

PROPERTY = "bench-hotel"


def prepare_database(url: str) -> str:
    """Migrate, add the benchmark property and return a new API key for it."""
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        with unit_of_work(make_session_factory(engine)) as s:
            if s.get(Property, PROPERTY) is None:
                accounts.add_property(s, PROPERTY, "Benchmark hotel")
            _, secret = accounts.create_api_key(s, "bench", [PROPERTY], name="bench")
        return secret
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    ready_s: float
    log: Path
    #: What runs the model's encoder, as `/v1/readyz` reported it when ready
    #: (`models.engines.EngineReport`; None for the keyword double).
    engine: dict[str, Any] | None = None

    @property
    def pid(self) -> int:
        return self.process.pid


@contextmanager
def running_server(
    url: str,
    cache_dir: Path,
    log: Path,
    *,
    double: bool = False,
    timeout: float = 600,
    env: Mapping[str, str] | None = None,
) -> Iterator[Server]:
    """Start the server process (`env`: more of its settings, TRIAGE_...), wait for
    `/v1/readyz` to say 200, stop it afterwards."""
    port = free_port()
    if double:
        command = [sys.executable, "-m", "bench.serving", "--double", "--port", str(port)]
    else:
        command = [sys.executable, "-m", "triage_cli.main", "serve", "--port", str(port)]
    environment = child_env(
        TRIAGE_DATABASE_URL=url,
        TRIAGE_DATA_DIR=str(cache_dir),
        TRIAGE_LOAD_MODEL="true",
        **(env or {}),
    )
    base_url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=environment, stdout=out, stderr=subprocess.STDOUT)
        try:
            ready_s, ready = _wait_ready(process, base_url, started, timeout)
            yield Server(process, base_url, ready_s, log, ready.get("model_engine"))
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(
    process: subprocess.Popen[bytes], base_url: str, started: float, timeout: float
) -> tuple[float, dict[str, Any]]:
    """Seconds from start until `/v1/readyz` answered 200, and that answer."""
    with httpx.Client(timeout=5) as client:
        while time.perf_counter() - started < timeout:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with status {process.returncode}")
            try:
                answer = client.get(base_url + "/v1/readyz")
                if answer.status_code == 200:
                    ready: dict[str, Any] = answer.json()
                    return time.perf_counter() - started, ready
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    raise TimeoutError(f"the server was not ready within {timeout:.0f} s")


Reviews = list[tuple[str, str | None]]


def review_body(review: tuple[str, str | None], external_id: str) -> dict[str, Any]:
    text, language = review
    body = {"property_id": PROPERTY, "source": "other", "external_id": external_id, "text": text}
    return {**body, "language": language} if language else body


def model_read_share(url: str) -> dict[str, Any]:
    """How many stored reviews the model read (a review it skipped would flatter the speed)."""
    engine = make_engine(url)
    try:
        with unit_of_work(make_session_factory(engine)) as s:
            total = int(s.scalar(select(func.count()).select_from(Review)) or 0)
            read = int(
                s.scalar(
                    select(func.count())
                    .select_from(Review)
                    .where(Review.sentiment_label.is_not(None))
                )
                or 0
            )
        return {"reviews_stored": total, "read_by_model": read}
    finally:
        engine.dispose()


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass
class Load:
    """What concurrent clients got back: a latency and an HTTP status per request, a status
    and an id per review (a single review is its own item; a batch has one per review)."""

    clients: int
    #: `time.perf_counter()` when the clients were let go (the first request's start).
    started: float
    wall_s: float
    latencies_ms: list[float]
    statuses: Counter[int]
    item_statuses: Counter[int]
    review_ids: list[int]

    def figures(self) -> dict[str, Any]:
        """Requests, requests/s over the wall time, and p50 / p99 / max of the answers."""
        ms = self.latencies_ms
        return {
            "requests": len(ms),
            "requests_per_s": round(len(ms) / self.wall_s, 2),
            "p50_ms": round(statistics.median(ms), 1),
            "p99_ms": round(percentile(ms, 99), 1),
            "max_ms": round(max(ms), 1),
        }


def combined(loads: list[Load]) -> Load:
    """Several loads (rounds) as one: their answers together, their wall times added."""
    return Load(
        clients=loads[0].clients,
        started=loads[0].started,
        wall_s=sum(x.wall_s for x in loads),
        latencies_ms=[ms for x in loads for ms in x.latencies_ms],
        statuses=sum((x.statuses for x in loads), Counter()),
        item_statuses=sum((x.item_statuses for x in loads), Counter()),
        review_ids=[i for x in loads for i in x.review_ids],
    )


Send = Callable[[httpx.Client, int], httpx.Response]


def _drive(base_url: str, headers: dict[str, str], clients: int, jobs: int, send: Send) -> Load:
    """`jobs` requests (`send(client, n)`, n = 0 .. jobs-1) over `clients` connections."""
    numbers = itertools.count()
    lock = threading.Lock()
    answers: list[tuple[float, httpx.Response]] = []
    barrier = threading.Barrier(clients + 1)

    def client_loop() -> None:
        with httpx.Client(base_url=base_url, headers=headers, timeout=600) as client:
            client.get("/v1/healthz")  # connect before the clock starts
            barrier.wait()
            while (n := next(numbers)) < jobs:
                started = time.perf_counter()
                response = send(client, n)
                elapsed = time.perf_counter() - started
                with lock:
                    answers.append((elapsed * 1000, response))

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    load = Load(clients, started, wall, [ms for ms, _ in answers], Counter(), Counter(), [])
    for _, response in answers:
        load.statuses[response.status_code] += 1
        for status, review_id in _items(response):
            load.item_statuses[status] += 1
            if review_id is not None:
                load.review_ids.append(review_id)
    return load


def _items(response: httpx.Response) -> list[tuple[int, int | None]]:
    """(status, review id) per review an answer speaks of: a batch's items, or the one."""
    try:
        body = response.json()
    except ValueError:
        return [(response.status_code, None)]
    if not response.is_success or not isinstance(body, dict):
        return [(response.status_code, None)]
    if "results" not in body:  # a single review: ReviewRead or ReviewAccepted
        return [(response.status_code, int(body["id"]))]
    out: list[tuple[int, int | None]] = []
    for item in body["results"]:
        found = item.get("accepted") or item.get("review")
        out.append((int(item["status"]), int(found["id"]) if found else None))
    return out


def _headers(api_key: str, prefer_async: bool) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {api_key}"}
    return {**headers, "Prefer": "respond-async"} if prefer_async else headers


def load_singles(
    base_url: str,
    api_key: str,
    texts: Reviews,
    *,
    clients: int,
    requests: int,
    prefer_async: bool = False,
) -> Load:
    """`requests` single-review POSTs spread over `clients` concurrent connections, each a
    new review; with `prefer_async`, `Prefer: respond-async` (answered 202, routed later)."""
    run = uuid.uuid4().hex[:8]

    def send(client: httpx.Client, n: int) -> httpx.Response:
        body = review_body(texts[n % len(texts)], f"bench-{run}-{clients}-{n}")
        return client.post("/v1/reviews", json=body)

    return _drive(base_url, _headers(api_key, prefer_async), clients, requests, send)


def post_singles(
    base_url: str, api_key: str, texts: Reviews, *, clients: int, requests: int
) -> dict[str, Any]:
    """`requests` synchronous single-review POSTs over `clients` concurrent connections."""
    load = load_singles(base_url, api_key, texts, clients=clients, requests=requests)
    failed = sum(n for status, n in load.statuses.items() if status != 201)
    return {"clients": clients, **load.figures(), "failed": failed}


def load_batches(
    base_url: str,
    api_key: str,
    texts: Reviews,
    *,
    reviews: int,
    batch_size: int,
    clients: int = 1,
    prefer_async: bool = False,
) -> Load:
    """`reviews` new reviews through `POST /v1/reviews/batch`, `batch_size` a batch (the
    last one holds the rest), the batches shared out over `clients` connections."""
    run = uuid.uuid4().hex[:8]

    def send(client: httpx.Client, b: int) -> httpx.Response:
        numbers = range(b * batch_size, min(reviews, (b + 1) * batch_size))
        batch = [review_body(texts[n % len(texts)], f"bench-{run}-b{n}") for n in numbers]
        return client.post("/v1/reviews/batch", json={"reviews": batch})

    batches = -(-reviews // batch_size)
    return _drive(base_url, _headers(api_key, prefer_async), clients, batches, send)


def post_batches(
    base_url: str, api_key: str, texts: Reviews, *, batch_size: int, batches: int
) -> dict[str, Any]:
    """Reviews/s through `POST /v1/reviews/batch`, one client, `batches` batches."""
    reviews = batch_size * batches
    load = load_batches(base_url, api_key, texts, reviews=reviews, batch_size=batch_size)
    created = load.item_statuses[201]
    return {
        "batch_size": batch_size,
        "reviews": reviews,
        "created": created,
        "failed": reviews - created - load.item_statuses[200],
        "reviews_per_s": round(reviews / load.wall_s, 2),
    }


def main() -> None:
    """Serve the real app with the keyword double as its model (tests and dry runs)."""
    import uvicorn

    from models.double import KeywordClassifier
    from service.app import create_app
    from triage.core.settings import Settings

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--double", action="store_true", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = create_app(Settings(), classifier=KeywordClassifier())
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
