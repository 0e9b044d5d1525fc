"""Start-up, warm-up, memory and three promotions of a real server, in one run:
`python -m bench.startup [--json]`.

One `triage serve` process (`bench.serving.running_server`: the served model, by default
the bundled one, on the engine the service picks; TRIAGE_MODEL_POLL_SECONDS=1) on a SQLite
file in a throwaway folder (`--database-url`: an empty database of yours instead), with
TRIAGE_DATA_DIR the service's data folder (`--cache-dir`, default TRIAGE_DATA_DIR, i.e.
`var`), so the encoder checkpoint and the served model's engine files already built there
are used as they would be in production.

1. Ready: seconds from the process's start until `/v1/readyz` answers 200.
2. Full speed: right after that, rounds of `--requests` (8) single reviews, one client,
   synchronous (`POST /v1/reviews`, answered when routed); each round posts the same
   reviews (new external ids), so that rounds differ only in how warm the server is. Per
   round: reviews/s and its end in seconds since the process started. Full speed is the
   end of the first round within 10% of the best round's rate (`full_speed_round`).
3. Memory after load: VmRSS and VmHWM of the server process after those rounds.
4. Promotions without a restart, as an operator makes them, through the CLI in child
   processes with the server's database and data folder: `triage models register <served
   model> --activate`, then three times: a copy of the served model directory with its
   `version` set to `<version>-bench-p<i>` and every tensor of its adapter file (model.json's
   `adapter`) multiplied by 1 + 0.001 * i. That makes it a new model as a retrained one is:
   the key of the engine files (`models.engines.files_key`) covers the adapter's bytes, so
   the server builds and checks its engine files before it serves it, as it would a real
   one's. Then `triage models register <copy>` and `triage models promote <version> --force
   benchmark`; timed from the promote command until `/v1/readyz` reports the version
   (polled every 0.2 s); then one round of reviews (checked in the database to have been
   routed by the new version), then VmRSS and VmHWM. The issue's aim: no growth of VmRSS
   from after the load to after the third promotion.

The engine folders the promoted copies add to `<cache-dir>/engines` (those that were not
there before the promotions) are deleted at the end; those of the served model are kept,
as `triage setup` would have built them (listed when the start-up built them: the ready
time then includes that one-off build). Warnings and errors of the server's log are
reported. Review texts come from `bench.texts` (`--data-dir`: the shared evaluation files
when present, else the repository's hand-written hotel reviews) and are never logged.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bench import machine
from bench.databases import sqlite_url
from bench.processes import child_env
from bench.serving import Load, Reviews, load_singles, prepare_database, running_server
from bench.texts import review_texts
from triage.core.settings import Settings
from triage.storage.db import make_engine, make_session_factory, unit_of_work
from triage.storage.tables import Review

log = logging.getLogger(__name__)

#: A round is at full speed within this share of the best round's rate.
FULL_SPEED_TOLERANCE = 0.10
#: How often `/v1/readyz` is asked whether a promoted version is served, and for how long.
POLL_SECONDS = 0.2
PROMOTION_TIMEOUT_S = 600.0
#: Log lines worth a reader's attention (Python's logging levels, and tracebacks).
PROBLEM_LINE = re.compile(r"\b(WARNING|ERROR|CRITICAL)\b|Traceback")


def full_speed_round(rates: Sequence[float], tolerance: float = FULL_SPEED_TOLERANCE) -> int:
    """The index of the first round whose rate is within `tolerance` of the best round's."""
    if not rates:
        raise ValueError("no rounds")
    floor = max(rates) * (1 - tolerance)
    return next(i for i, rate in enumerate(rates) if rate >= floor)


def interleaved(rows: Sequence[dict[str, str]], count: int) -> Reviews:
    """`count` reviews taking each source file in turn (so a short round still mixes the
    languages and lengths), as (text, language hint)."""
    by_file: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_file.setdefault(row["file"], []).append(row)
    mixed: list[dict[str, str]] = []
    for depth in range(max((len(group) for group in by_file.values()), default=0)):
        mixed += [group[depth] for group in by_file.values() if depth < len(group)]
    return [(r["text"], r.get("lang")) for r in mixed[:count]]


def promoted_copy(source: Path, dest: Path, n: int) -> str:
    """A copy of the model directory `source` at `dest` as the n-th promoted model: its
    version `<version>-bench-p<n>`, its adapter's tensors times 1 + 0.001 * n (the adapter's
    metadata kept). Returns the version."""
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    shutil.rmtree(dest, ignore_errors=True)  # a kept work folder's earlier copy
    shutil.copytree(source, dest)
    card_path = dest / "model.json"
    card = json.loads(card_path.read_text(encoding="utf-8"))
    version = f"{card['version']}-bench-p{n}"
    card["version"] = version
    card_path.write_text(json.dumps(card, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if not card.get("adapter"):
        raise ValueError(f"{source} has no adapter: its copies would share its engine files")
    adapter = dest / card["adapter"]
    with safe_open(str(adapter), framework="numpy") as handle:
        metadata = handle.metadata()
    factor = 1 + 0.001 * n
    tensors = {name: (t * factor).astype(t.dtype) for name, t in load_file(adapter).items()}
    save_file(tensors, adapter, metadata=metadata)
    return version


def problem_lines(log_text: str, limit: int = 40) -> list[str]:
    """The log's warnings, errors and tracebacks (the first `limit`)."""
    return [line for line in log_text.splitlines() if PROBLEM_LINE.search(line)][:limit]


def engine_folders(cache_dir: Path) -> set[str]:
    folder = cache_dir / "engines"
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


@contextmanager
def promoted_engines_removed(cache_dir: Path, removed: list[str]) -> Iterator[None]:
    """Delete the engine folders that appear in `cache_dir` meanwhile (listed in `removed`)."""
    before = engine_folders(cache_dir)
    try:
        yield
    finally:
        for name in sorted(engine_folders(cache_dir) - before):
            shutil.rmtree(cache_dir / "engines" / name, ignore_errors=True)
            removed.append(name)


def run_cli(env: Mapping[str, str], *args: str) -> float:
    """`triage <args>` in a child process; its seconds. Fails loudly with its output."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "triage_cli.main", *args],
        env=dict(env),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"triage {' '.join(args)} exited with {done.returncode}: "
            f"{(done.stdout + done.stderr).strip()[-2000:]}"
        )
    return time.perf_counter() - started


def wait_for_version(base_url: str, version: str, timeout: float) -> dict[str, Any]:
    """Poll `/v1/readyz` until it answers 200 with `model_version` `version`; that answer."""
    deadline = time.perf_counter() + timeout
    with httpx.Client(timeout=10) as client:
        while time.perf_counter() < deadline:
            try:
                answer = client.get(base_url + "/v1/readyz")
                body: dict[str, Any] = answer.json()
                if answer.status_code == 200 and body.get("model_version") == version:
                    return body
            except (httpx.TransportError, ValueError):
                pass
            time.sleep(POLL_SECONDS)
    raise TimeoutError(f"{version} was not served within {timeout:.0f} s")


def served_by(url: str, review_ids: list[int], version: str) -> int:
    """How many of the reviews the model `version` routed."""
    engine = make_engine(url)
    try:
        with unit_of_work(make_session_factory(engine)) as s:
            query = (
                select(func.count())
                .select_from(Review)
                .where(Review.id.in_(review_ids), Review.model_version == version)
            )
            return int(s.scalar(query) or 0)
    finally:
        engine.dispose()


def _engine_name(readiness: dict[str, Any] | None) -> str | None:
    report = (readiness or {}).get("model_engine")
    return str(report["engine"]) if report else None


def _failed(load: Load) -> int:
    return sum(n for status, n in load.statuses.items() if status != 201)


def measure(
    url: str,
    cache_dir: Path,
    work: Path,
    reviews: Reviews,
    *,
    model_dir: Path,
    rounds: int = 6,
    promotions: int = 3,
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Parts 1-4 of the module docstring on one server process; `reviews` is one round."""
    settings = {
        "TRIAGE_MODEL_POLL_SECONDS": "1",
        "TRIAGE_MODEL_DIR": str(model_dir),
        **(env or {}),
    }
    cli_env = child_env(TRIAGE_DATABASE_URL=url, TRIAGE_DATA_DIR=str(cache_dir), **settings)
    key = prepare_database(url)
    out: dict[str, Any] = {"round_requests": len(reviews)}
    removed: list[str] = []
    at_start = engine_folders(cache_dir)
    server_log = work / "server.log"
    try:
        with running_server(url, cache_dir, server_log, env=settings) as srv:
            origin = time.perf_counter() - srv.ready_s  # when the process was started
            out["ready_s"] = round(srv.ready_s, 2)
            out["engine_at_ready"] = srv.engine["engine"] if srv.engine else None
            out["engine_files_built_at_startup"] = sorted(engine_folders(cache_dir) - at_start)
            loads = [
                load_singles(srv.base_url, key, reviews, clients=1, requests=len(reviews))
                for _ in range(rounds)
            ]
            rates = [len(x.latencies_ms) / x.wall_s for x in loads]
            out["rounds"] = [
                {
                    "ends_s": round(x.started + x.wall_s - origin, 2),
                    "reviews_per_s": round(rate, 2),
                    "failed": _failed(x),
                }
                for x, rate in zip(loads, rates, strict=True)
            ]
            first = full_speed_round(rates)
            out["full_speed_round"] = first + 1
            out["full_speed_s"] = out["rounds"][first]["ends_s"]
            out["best_reviews_per_s"] = round(max(rates), 2)
            out["memory_after_load_mb"] = machine.process_memory_mb(srv.pid)
            with promoted_engines_removed(cache_dir, removed):
                served = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
                run_cli(cli_env, "models", "register", str(model_dir), "--activate")
                wait_for_version(srv.base_url, served["version"], PROMOTION_TIMEOUT_S)
                out["model_version"] = served["version"]
                out["promotions"] = [
                    _promote(srv.base_url, key, url, cli_env, reviews, model_dir, work, i, srv.pid)
                    for i in range(1, promotions + 1)
                ]
    finally:
        out["engine_folders_removed"] = removed
        out["server_log_problems"] = (
            problem_lines(server_log.read_text(encoding="utf-8", errors="replace"))
            if server_log.is_file()
            else []
        )
    if out["promotions"]:
        last = out["promotions"][-1]["memory_mb"]
        loaded = out["memory_after_load_mb"]
        out["rss_growth_mb"] = round(last["VmRSS"] - loaded["VmRSS"], 1)
        out["hwm_growth_mb"] = round(last["VmHWM"] - loaded["VmHWM"], 1)
    return out


def _promote(
    base_url: str,
    key: str,
    url: str,
    cli_env: Mapping[str, str],
    reviews: Reviews,
    model_dir: Path,
    work: Path,
    n: int,
    pid: int,
) -> dict[str, Any]:
    """The n-th promotion: copy, register, promote, wait until served, one round, memory."""
    copy = work / f"promoted-{n}"
    version = promoted_copy(model_dir, copy, n)
    run_cli(cli_env, "models", "register", str(copy))
    started = time.perf_counter()
    command_s = run_cli(cli_env, "models", "promote", version, "--force", "benchmark")
    readiness = wait_for_version(base_url, version, PROMOTION_TIMEOUT_S)
    serving_s = time.perf_counter() - started
    log.info("promotion %d: %s served after %.1f s", n, version, serving_s)
    load = load_singles(base_url, key, reviews, clients=1, requests=len(reviews))
    return {
        "version": version,
        "promote_command_s": round(command_s, 2),
        "serving_s": round(serving_s, 2),
        "engine": _engine_name(readiness),
        "round_reviews_per_s": round(len(load.latencies_ms) / load.wall_s, 2),
        "failed": _failed(load),
        "routed_by_it": served_by(url, load.review_ids, version),
        "memory_mb": machine.process_memory_mb(pid),
    }


def print_table(result: dict[str, Any]) -> None:
    print(
        f"model {result['model_version']} on {result['engine_at_ready']}, "
        f"texts: {result['texts']['source']}, {result['machine']['cores']} cores"
    )
    print(f"ready after {result['ready_s']} s", end="")
    built = result["engine_files_built_at_startup"]
    print(f" (including building its engine files: {', '.join(built)})" if built else "")
    print(
        f"full speed after {result['full_speed_s']} s (round {result['full_speed_round']}, "
        f"within {FULL_SPEED_TOLERANCE:.0%} of the best, {result['best_reviews_per_s']} reviews/s)"
    )
    print(f"\n{'round':<8}{'ends s':>8}{'reviews/s':>11}{'failed':>8}")
    for i, r in enumerate(result["rounds"], start=1):
        print(f"{i:<8}{r['ends_s']:>8}{r['reviews_per_s']:>11}{r['failed']:>8}")
    loaded = result["memory_after_load_mb"]
    print(f"\nafter load: VmRSS {loaded['VmRSS']} MB, VmHWM {loaded['VmHWM']} MB")
    print(f"\n{'promoted':<40}{'serving s':>10}{'engine':>18}{'VmRSS':>8}{'VmHWM':>8}")
    for p in result["promotions"]:
        memory = p["memory_mb"]
        print(
            f"{p['version']:<40}{p['serving_s']:>10}{p['engine'] or '—':>18}"
            f"{memory['VmRSS']:>8}{memory['VmHWM']:>8}"
        )
    print(
        f"VmRSS growth from after load to after the last promotion: {result['rss_growth_mb']} MB"
        f" (VmHWM {result['hwm_growth_mb']} MB)"
    )
    problems = result["server_log_problems"]
    print(f"\nserver log: {len(problems)} warning/error line(s)")
    for line in problems:
        print(f"  {line}")
    print(f"\n{result['total_s']} s in all")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument(
        "--cache-dir", type=Path, default=None, help="the server's data folder (TRIAGE_DATA_DIR)"
    )
    parser.add_argument(
        "--database-url", default=None, help="an empty database (default: a new SQLite file)"
    )
    parser.add_argument("--model", type=Path, default=None, help="default: the served model")
    parser.add_argument("--rounds", type=int, default=6, help="warm-up rounds after ready")
    parser.add_argument("--requests", type=int, default=8, help="single reviews per round")
    parser.add_argument("--promotions", type=int, default=3)
    parser.add_argument(
        "--work-dir", type=Path, default=None, help="keep the SQLite file and the server log"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    settings = Settings()
    started = time.perf_counter()
    result: dict[str, Any] = {"machine": machine.describe()}
    if args.model is None:
        from models.default import default_model_dir

        args.model = settings.model_dir or default_model_dir()
    cache_dir = (args.cache_dir or settings.data_dir).resolve()
    texts = review_texts(args.data_dir, args.requests)
    reviews = interleaved(texts.rows, args.requests)
    result["texts"] = {"source": texts.source, "count": len(reviews)}
    result["model_dir"] = str(args.model.resolve())
    result["cache_dir"] = str(cache_dir)
    with tempfile.TemporaryDirectory(prefix="gt-startup-") as tmp:
        work = args.work_dir.resolve() if args.work_dir else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        url = args.database_url or sqlite_url(work)
        result["database"] = url.split(":", 1)[0].split("+", 1)[0]
        result.update(
            measure(
                url,
                cache_dir,
                work,
                reviews,
                model_dir=args.model.resolve(),
                rounds=args.rounds,
                promotions=args.promotions,
            )
        )
    result["total_s"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
