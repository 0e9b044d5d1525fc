"""Figures 2 and 5: a real server process under load, its start-up time and memory.

The server is `triage serve` (the real model) or, for tests, the same app with
the keyword double (`python -m bench.serving --double --port N`). Clients are
threads, each with its own HTTP connection, posting single reviews with unique
external ids; latency is measured per request, throughput over the wall time.
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
from collections.abc import Iterator
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
    #: Seconds from process start until the compiled encoder served (None: it never did).
    compiled_s: float | None = None

    @property
    def pid(self) -> int:
        return self.process.pid


@contextmanager
def running_server(
    url: str, cache_dir: Path, log: Path, *, double: bool = False, timeout: float = 600
) -> Iterator[Server]:
    """Start the server process, wait for `/v1/readyz` to say 200, stop it afterwards."""
    port = free_port()
    if double:
        command = [sys.executable, "-m", "bench.serving", "--double", "--port", str(port)]
    else:
        command = [sys.executable, "-m", "triage_cli.main", "serve", "--port", str(port)]
    env = child_env(
        TRIAGE_DATABASE_URL=url, TRIAGE_DATA_DIR=str(cache_dir), TRIAGE_LOAD_MODEL="true"
    )
    base_url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            ready_s = _wait_ready(process, base_url, started, timeout)
            compiled_s = _wait_compiled(base_url, started, timeout)
            yield Server(process, base_url, ready_s, log, compiled_s)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(
    process: subprocess.Popen[bytes], base_url: str, started: float, timeout: float
) -> float:
    with httpx.Client(timeout=5) as client:
        while time.perf_counter() - started < timeout:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with status {process.returncode}")
            try:
                if client.get(base_url + "/v1/readyz").status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    raise TimeoutError(f"the server was not ready within {timeout:.0f} s")


def _wait_compiled(base_url: str, started: float, timeout: float) -> float | None:
    """Wait while the server compiles its encoder (it serves meanwhile, slower): load is
    measured on the steady state. Seconds from start until compiled, None if it is not."""
    with httpx.Client(timeout=5) as client:
        while time.perf_counter() - started < timeout:
            state = client.get(base_url + "/v1/readyz").json().get("model_encoder")
            if state != "compiling":
                return time.perf_counter() - started if state == "compiled" else None
            time.sleep(0.2)
    raise TimeoutError(f"the server's encoder did not compile within {timeout:.0f} s")


Reviews = list[tuple[str, str | None]]


def _review(review: tuple[str, str | None], external_id: str) -> dict[str, Any]:
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


def post_singles(
    base_url: str, api_key: str, texts: Reviews, *, clients: int, requests: int
) -> dict[str, Any]:
    """`requests` single-review POSTs spread over `clients` concurrent connections."""
    run = uuid.uuid4().hex[:8]
    numbers = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    failures: list[int] = []
    barrier = threading.Barrier(clients + 1)

    def client_loop(quota: int) -> None:
        headers = {"Authorization": f"Bearer {api_key}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=300) as client:
            client.get("/v1/healthz")  # connect before the clock starts
            barrier.wait()
            for _ in range(quota):
                n = next(numbers)
                body = _review(texts[n % len(texts)], f"bench-{run}-{clients}-{n}")
                started = time.perf_counter()
                response = client.post("/v1/reviews", json=body)
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if response.status_code != 201:
                        failures.append(response.status_code)

    quotas = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]
    threads = [threading.Thread(target=client_loop, args=(q,)) for q in quotas]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    ms = [v * 1000 for v in latencies]
    return {
        "clients": clients,
        "requests": len(ms),
        "failed": len(failures),
        "requests_per_s": round(len(ms) / wall, 2),
        "p50_ms": round(statistics.median(ms), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms), 1),
    }


def post_batches(
    base_url: str, api_key: str, texts: Reviews, *, batch_size: int, batches: int
) -> dict[str, Any]:
    """Reviews/s through `POST /v1/reviews/batch`, one client, `batches` batches."""
    run = uuid.uuid4().hex[:8]
    headers = {"Authorization": f"Bearer {api_key}"}
    created = 0
    failed = 0
    with httpx.Client(base_url=base_url, headers=headers, timeout=600) as client:
        client.get("/v1/healthz")
        started = time.perf_counter()
        for b in range(batches):
            reviews = [
                _review(texts[(b * batch_size + i) % len(texts)], f"bench-{run}-b{b}-{i}")
                for i in range(batch_size)
            ]
            response = client.post("/v1/reviews/batch", json={"reviews": reviews})
            response.raise_for_status()
            result = response.json()
            created += int(result["created"])
            failed += int(result["failed"])
        wall = time.perf_counter() - started
    return {
        "batch_size": batch_size,
        "reviews": batch_size * batches,
        "created": created,
        "failed": failed,
        "reviews_per_s": round(batch_size * batches / wall, 2),
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
