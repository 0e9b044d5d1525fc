"""Asynchronous ingest (`Prefer: respond-async`) against the synchronous default, on a real
server: `python -m bench.async_ingest [--quick] [--double] [--json]`.

On PostgreSQL (a throwaway database; `--postgres ''` for SQLite only) and on SQLite, one
`triage serve` process each (`bench.serving`, the real default model; `--double`: the
keyword double):

1. Single reviews from 1, 8 and 32 clients, synchronous and asynchronous in the same run:
   each level runs both modes, one after the other, in an order that alternates by level
   and by round (a busy machine slows both alike). For each mode: requests/s, p50 and p99
   of the HTTP answer, and the time from the first request until every posted review is
   routed (`/v1/readyz` reports no backlog and the database holds none of them `received`).
2. The morning import: `--import-count` reviews (default 50,000) through the asynchronous
   batch endpoint, 500 a batch from a few clients: the time until all are accepted, until
   all are routed, the backlog's peak on `/v1/readyz`, the server's peak memory.

The server counts every request against its rate limit as in production (one counter row
per API key and minute), with a limit no run reaches (`--rate-limit`; 0 turns it off). The
server's engine (`/v1/readyz`, `model_engine`) is reported with its figures. Review texts
come from `bench.texts` and are never logged. Exit status 1 when a posted review was refused
or not routed.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from bench import machine, report
from bench.backlog import Watch, metrics_backlog, wait_routed
from bench.databases import DEFAULT_POSTGRES, postgres_database, postgres_problem, sqlite_url
from bench.serving import (
    Load,
    Reviews,
    Server,
    combined,
    load_batches,
    load_singles,
    model_read_share,
    prepare_database,
    running_server,
)
from bench.suite import check
from bench.texts import review_texts
from triage.core.settings import Settings
from triage.intake.ingest import backlog
from triage.storage.db import make_engine, make_session_factory, unit_of_work

log = logging.getLogger(__name__)

MODES = ("sync", "async")
#: The issue's target, reported (met or not) beside the figure, per engine.
TARGET_P99_MS = 300.0
#: High enough that no run is refused, while every request is still counted as in production.
RATE_LIMIT = 1_000_000


@dataclass
class Options:
    quick: bool = False
    double: bool = False
    data_dir: Path = Path("../shared/data")
    cache_dir: Path = Path("var")
    postgres_url: str | None = DEFAULT_POSTGRES
    per_file: int | None = None
    rounds: int | None = None
    #: requests per mode and round, by number of clients
    requests: dict[int, int] = field(default_factory=dict)
    import_count: int | None = None
    import_batch: int = 500
    import_clients: int = 4
    #: the server's TRIAGE_RATE_LIMIT_PER_MINUTE (0: off, the counter not written)
    rate_limit: int = RATE_LIMIT
    #: where the SQLite database and the server logs go (None: a temporary folder, removed)
    work_dir: Path | None = None

    def resolved(self) -> Options:
        quick = self.quick
        return Options(
            quick=quick,
            double=self.double,
            data_dir=self.data_dir.resolve(),
            cache_dir=self.cache_dir.resolve(),
            postgres_url=self.postgres_url,
            per_file=self.per_file or (10 if quick else 100),
            rounds=self.rounds or (1 if quick else 2),
            requests=self.requests
            or ({1: 8, 8: 32, 32: 96} if quick else {1: 60, 8: 240, 32: 640}),
            import_count=self.import_count or (1_000 if quick else 50_000),
            import_batch=self.import_batch,
            import_clients=self.import_clients,
            rate_limit=self.rate_limit,
            work_dir=self.work_dir.resolve() if self.work_dir else None,
        )


@dataclass(frozen=True)
class Target:
    """What a phase posts to: the server and its key, the texts, the server's database."""

    server: Server
    key: str
    texts: Reviews
    sessions: sessionmaker[Session]

    def post(self, clients: int, requests: int, *, prefer_async: bool) -> Load:
        """Single reviews from `clients` connections, each a new one."""
        return load_singles(
            self.server.base_url,
            self.key,
            self.texts,
            clients=clients,
            requests=requests,
            prefer_async=prefer_async,
        )


def _mode_figures(runs: list[tuple[Load, float]], expected: int) -> dict[str, Any]:
    """One mode at one level, its rounds together."""
    load = combined([posted for posted, _ in runs])
    routed_s = sum(seconds for _, seconds in runs)
    return {
        **load.figures(),
        "answered": {str(status): n for status, n in sorted(load.statuses.items())},
        "failed": len(load.latencies_ms) - load.statuses[expected],
        "routed_s": round(routed_s, 2),
        "routed_per_s": round(len(load.latencies_ms) / routed_s, 2),
        "routed_s_per_round": [round(seconds, 2) for _, seconds in runs],
    }


def singles(target: Target, options: Options) -> dict[str, Any]:
    """Each level in both modes, alternating which goes first; every review routed before
    the next load starts."""
    assert options.rounds
    watch = Watch(target.server)
    runs: dict[tuple[int, str], list[tuple[Load, float]]] = {}
    levels = sorted(options.requests.items())
    for round_ in range(options.rounds):
        for index, (clients, requests) in enumerate(levels):
            order = MODES if (round_ + index) % 2 == 0 else MODES[::-1]
            for mode in order:
                posted = target.post(clients, requests, prefer_async=mode == "async")
                routed = wait_routed(
                    watch, target.sessions, posted, poll_s=0.05, timeout_s=120 + requests
                )
                log.info(
                    "%d client(s), %s, round %d: %d requests, all routed after %.2f s",
                    clients,
                    mode,
                    round_ + 1,
                    requests,
                    routed,
                )
                runs.setdefault((clients, mode), []).append((posted, routed))
    out: dict[str, Any] = {}
    for clients, _ in levels:
        level = {
            mode: _mode_figures(runs[(clients, mode)], 202 if mode == "async" else 201)
            for mode in MODES
        }
        sync, asynchronous = level["sync"], level["async"]
        level["async_vs_sync_p99"] = round(asynchronous["p99_ms"] / sync["p99_ms"], 3)
        level["async_vs_sync_routed_s"] = round(asynchronous["routed_s"] / sync["routed_s"], 3)
        out[str(clients)] = level
    return out


def morning_import(target: Target, options: Options) -> dict[str, Any]:
    """`import_count` reviews through the asynchronous batch endpoint, until all are routed."""
    count = options.import_count
    assert count
    watch = Watch(target.server)
    with watch.sampling(every_s=0.5):
        posted = load_batches(
            target.server.base_url,
            target.key,
            target.texts,
            reviews=count,
            batch_size=options.import_batch,
            clients=options.import_clients,
            prefer_async=True,
        )
    log.info("import: %d reviews accepted in %.1f s", count, posted.wall_s)
    routed_s = wait_routed(watch, target.sessions, posted, poll_s=0.5, timeout_s=300 + count / 5)
    log.info("import: all routed after %.1f s", routed_s)
    batches = posted.figures()
    return {
        "reviews": count,
        "batch_size": options.import_batch,
        "clients": options.import_clients,
        "batches": batches["requests"],
        "batches_answered": {str(k): n for k, n in sorted(posted.statuses.items())},
        "reviews_answered": {str(k): n for k, n in sorted(posted.item_statuses.items())},
        "failed": count - posted.item_statuses[202],
        "batch_p50_ms": batches["p50_ms"],
        "batch_p99_ms": batches["p99_ms"],
        "accepted_s": round(posted.wall_s, 2),
        "accepted_per_s": round(count / posted.wall_s, 2),
        "routed_s": round(routed_s, 2),
        "routed_per_s": round(count / routed_s, 2),
        "peak_backlog": watch.peak_backlog,
        "peak_oldest_received_s": round(watch.peak_oldest_s, 2),
        "rss_max_sampled_mb": watch.peak_rss_mb,
    }


def one_engine(url: str, options: Options, texts: Reviews, work: Path) -> dict[str, Any]:
    key = prepare_database(url)
    env = {"TRIAGE_RATE_LIMIT_PER_MINUTE": str(options.rate_limit)}
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    out: dict[str, Any] = {}
    try:
        log_file = work / f"server-{url.split(':')[0]}.log"
        with running_server(
            url, options.cache_dir, log_file, double=options.double, env=env
        ) as server:
            ready = httpx.get(server.base_url + "/v1/readyz", timeout=30).json()
            out["model_version"] = ready["model_version"]
            out["model_engine"] = server.engine
            out["startup_s"] = round(server.ready_s, 2)
            target = Target(server, key, texts, sessions)
            warm = Watch(server)
            for prefer_async in (False, True):  # warm up, not counted
                posted = target.post(4, 8, prefer_async=prefer_async)
                wait_routed(warm, sessions, posted, poll_s=0.05, timeout_s=300)
            out["singles"] = singles(target, options)
            out["import"] = morning_import(target, options)
            out["import"]["memory_mb"] = machine.process_memory_mb(server.pid)
            out["metrics_ingest_backlog_after"] = metrics_backlog(server.base_url)
        with unit_of_work(sessions) as s:
            out["reviews_received_after"] = backlog(s).reviews
    finally:
        engine.dispose()
    out.update(model_read_share(url))
    return out


def run(options: Options) -> dict[str, Any]:
    options = options.resolved()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    assert options.per_file and options.rounds and options.import_count
    result: dict[str, Any] = {
        "mode": "quick" if options.quick else "full",
        "model": "keyword-double" if options.double else "default",
        "machine": machine.describe(),
        "rounds": options.rounds,
        "rate_limit_per_minute": options.rate_limit,
        "requests_per_mode_and_round": {str(c): n for c, n in sorted(options.requests.items())},
    }
    texts = review_texts(options.data_dir, options.per_file)
    result["texts"] = {"source": texts.source, "count": len(texts.rows)}
    problem = postgres_problem(options.postgres_url) if options.postgres_url else "not given"
    result["skipped"] = [f"postgresql: {problem}"] if problem else []
    engines: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="gt-bench-async-") as tmp:
        work = options.work_dir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if not problem:
            assert options.postgres_url
            log.info("asynchronous ingest on postgresql")
            with postgres_database(options.postgres_url) as url:
                engines["postgresql"] = one_engine(url, options, texts.reviews, work)
        log.info("asynchronous ingest on sqlite")
        engines["sqlite"] = one_engine(sqlite_url(work), options, texts.reviews, work)
    result["engines"] = engines
    top = str(max(options.requests))
    limits: dict[str, tuple[str, float]] = {}
    for engine, figures in engines.items():
        result[f"async_p99_ms_{top}_clients_{engine}"] = figures["singles"][top]["async"]["p99_ms"]
        limits[f"async_p99_ms_{top}_clients_{engine}"] = ("<", TARGET_P99_MS)
    result["machine"]["load_average_at_end"] = machine.load_average()
    result["targets"] = check(result, limits)
    result["problems"] = problems(engines)
    return result


def problems(engines: dict[str, Any]) -> list[str]:
    """Reviews refused, or left unrouted: what makes the run fail."""
    out: list[str] = []
    for engine, figures in engines.items():
        for clients, level in figures["singles"].items():
            for mode in MODES:
                if level[mode]["failed"]:
                    out.append(
                        f"{engine}, {clients} client(s), {mode}: {level[mode]['failed']} "
                        f"requests not answered as expected ({level[mode]['answered']})"
                    )
        if figures["import"]["failed"]:
            out.append(f"{engine}, import: {figures['import']['failed']} reviews not accepted")
        if figures["reviews_received_after"]:
            out.append(f"{engine}: {figures['reviews_received_after']} reviews never routed")
    return out


def requests_per_level(text: str) -> dict[int, int]:
    """`1=60,8=240,32=640`: requests per mode and round, by number of clients."""
    pairs = (part.split("=") for part in text.split(",") if part.strip())
    return {int(clients): int(requests) for clients, requests in pairs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small counts (the smoke test)")
    parser.add_argument("--double", action="store_true", help="the keyword double, not the model")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--import-count", type=int, default=None, help="default 50,000")
    parser.add_argument("--import-clients", type=int, default=4)
    parser.add_argument(
        "--requests", type=requests_per_level, default={}, help="CLIENTS=N,...: per mode and round"
    )
    parser.add_argument("--rounds", type=int, default=None, help="default 2 (quick: 1)")
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=RATE_LIMIT,
        help="the server's TRIAGE_RATE_LIMIT_PER_MINUTE (default: counted, never reached; 0: off)",
    )
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--cache-dir", type=Path, default=None, help="default TRIAGE_DATA_DIR")
    parser.add_argument(
        "--work-dir", type=Path, default=None, help="keep the SQLite database and server logs"
    )
    parser.add_argument(
        "--postgres",
        default=DEFAULT_POSTGRES,
        help="a PostgreSQL server to create a throwaway database on ('' for SQLite only)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    result = run(
        Options(
            quick=args.quick,
            double=args.double,
            data_dir=args.data_dir,
            cache_dir=args.cache_dir or Settings().data_dir,
            postgres_url=args.postgres or None,
            rounds=args.rounds,
            requests=args.requests,
            import_count=args.import_count,
            import_clients=args.import_clients,
            rate_limit=args.rate_limit,
            work_dir=args.work_dir,
        )
    )
    print(json.dumps(result, indent=2) if args.json else report.async_ingest_markdown(result))
    for problem in result["problems"]:
        print(f"bench.async_ingest: {problem}", file=sys.stderr)
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
