"""A server's routing backlog: `/v1/readyz` sampled (with the server's memory), the
database asked which reviews are still `received`, `/metrics` read."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bench import machine
from bench.serving import Load, Server
from triage.storage.db import unit_of_work
from triage.storage.tables import Review


class Watch:
    """The server's `/v1/readyz` backlog and its memory, sampled; the peaks seen."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.peak_backlog = 0
        self.peak_oldest_s = 0.0
        self.peak_rss_mb = 0.0
        self._lock = threading.Lock()

    def sample(self, client: httpx.Client) -> int:
        """Reviews the server reports received and not routed yet."""
        backlog = client.get(self.server.base_url + "/v1/readyz").json()["backlog"]
        rss = machine.process_memory_mb(self.server.pid)["VmRSS"]
        with self._lock:
            self.peak_backlog = max(self.peak_backlog, backlog["reviews_received"])
            self.peak_oldest_s = max(self.peak_oldest_s, backlog["oldest_received_seconds"])
            self.peak_rss_mb = max(self.peak_rss_mb, rss)
        return int(backlog["reviews_received"])

    @contextmanager
    def sampling(self, every_s: float) -> Iterator[None]:
        """Sample in a thread of its own while the block runs."""
        stop = threading.Event()

        def loop() -> None:
            with httpx.Client(timeout=30) as client:
                while not stop.wait(every_s):
                    self.sample(client)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()


def still_received(sessions: sessionmaker[Session], review_ids: list[int]) -> int:
    """How many of these reviews the database still holds unrouted."""
    waiting = 0
    with unit_of_work(sessions) as s:
        for start in range(0, len(review_ids), 1000):
            chunk = review_ids[start : start + 1000]
            waiting += int(
                s.scalar(
                    select(func.count())
                    .select_from(Review)
                    .where(Review.id.in_(chunk), Review.status == "received")
                )
                or 0
            )
    return waiting


def wait_routed(
    watch: Watch,
    sessions: sessionmaker[Session],
    load: Load,
    *,
    poll_s: float,
    timeout_s: float,
) -> float:
    """Seconds from the load's first request until the server reports no backlog and none
    of the load's reviews is `received` (to the poll's resolution)."""
    with httpx.Client(timeout=30) as client:
        while True:
            waiting = watch.sample(client)
            seen = time.perf_counter()
            if waiting == 0 and still_received(sessions, load.review_ids) == 0:
                return seen - load.started
            if seen - load.started > timeout_s:
                raise TimeoutError(
                    f"{waiting} reviews still waiting {timeout_s:.0f} s after the first request"
                )
            time.sleep(poll_s)


def metrics_backlog(base_url: str) -> float | None:
    """`triage_ingest_backlog` as `/metrics` reports it."""
    for line in httpx.get(base_url + "/metrics", timeout=30).text.splitlines():
        if line.startswith("triage_ingest_backlog "):
            return float(line.split()[1])
    return None
