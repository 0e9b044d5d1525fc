"""`bench.async_ingest` run for real in its quick mode: a server process with the keyword
double on SQLite, synchronous and asynchronous single posts, the asynchronous batch import."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from bench import report
from bench.async_ingest import Options, requests_per_level, run
from triage.storage.db import make_engine, make_session_factory, unit_of_work
from triage.storage.tables import Review

LEVELS = {1: 4, 8: 16, 32: 64}
IMPORTED = 600  # a batch of 500 and one of 100
WARM_UP = 2 * 8  # synchronous and asynchronous


def test_quick_run_with_the_keyword_double(tmp_path: Path) -> None:
    options = Options(
        quick=True,
        double=True,
        data_dir=tmp_path / "no-shared-data",  # the repository's hotel reviews instead
        postgres_url=None,
        per_file=3,
        requests=LEVELS,
        import_count=IMPORTED,
        work_dir=tmp_path / "work",
    )
    result = run(options)

    assert json.loads(json.dumps(result)) == result
    assert (result["mode"], result["model"], result["rounds"]) == ("quick", "keyword-double", 1)
    assert result["rate_limit_per_minute"] == 1_000_000  # counted, never reached
    assert result["texts"] == {"source": "hotel_reviews", "count": 12}
    assert result["skipped"] == ["postgresql: not given"]
    assert list(result["engines"]) == ["sqlite"]
    figures = result["engines"]["sqlite"]
    assert figures["model_version"] == "keyword-double-1"
    assert figures["model_engine"] is None  # the double has no engine behind it
    assert figures["startup_s"] > 0
    for clients, requests in LEVELS.items():
        level = figures["singles"][str(clients)]
        # every synchronous post answered 201 with the routed review, every asynchronous 202
        for mode, status in (("sync", "201"), ("async", "202")):
            posted = level[mode]
            assert (posted["requests"], posted["failed"]) == (requests, 0)
            assert posted["answered"] == {status: requests}
            assert posted["requests_per_s"] > 0
            assert 0 < posted["p50_ms"] <= posted["p99_ms"] <= posted["max_ms"]
            assert posted["routed_s"] > 0 and posted["routed_per_s"] > 0
            assert posted["routed_s_per_round"] == [posted["routed_s"]]
        assert level["async_vs_sync_p99"] > 0 and level["async_vs_sync_routed_s"] > 0
    imported = figures["import"]
    assert (imported["reviews"], imported["batch_size"], imported["batches"]) == (IMPORTED, 500, 2)
    assert imported["batches_answered"] == {"202": 2}
    assert imported["reviews_answered"] == {"202": IMPORTED}
    assert imported["failed"] == 0
    assert 0 < imported["accepted_s"] < imported["routed_s"]
    assert imported["accepted_per_s"] > imported["routed_per_s"] > 0
    assert 0 < imported["batch_p50_ms"] <= imported["batch_p99_ms"]
    assert 0 < imported["peak_backlog"] <= IMPORTED
    assert 0 < imported["memory_mb"]["VmRSS"] <= imported["memory_mb"]["VmHWM"]
    # nothing left waiting, by the metrics, the readiness backlog and the database
    assert figures["metrics_ingest_backlog_after"] == 0.0
    assert figures["reviews_received_after"] == 0
    stored = WARM_UP + 2 * sum(LEVELS.values()) + IMPORTED
    assert figures["reviews_stored"] == figures["read_by_model"] == stored
    assert result["problems"] == []
    assert result["targets"] == [
        {
            "figure": "async_p99_ms_32_clients_sqlite",
            "value": figures["singles"]["32"]["async"]["p99_ms"],
            "target": "< 300",
            "met": figures["singles"]["32"]["async"]["p99_ms"] < 300,
        }
    ]
    (database,) = (tmp_path / "work").glob("bench-*.db")
    engine = make_engine(f"sqlite:///{database}")
    try:
        with unit_of_work(make_session_factory(engine)) as s:
            rows = s.execute(select(Review.status, func.count()).group_by(Review.status))
            by_status = {status: count for status, count in rows}
            assert sum(by_status.values()) == stored
            assert set(by_status) <= {"auto_handled", "queued"}
            unread = select(func.count()).where(
                Review.model_version.is_(None) | Review.routed_at.is_(None)
            )
            assert s.scalar(unread) == 0
    finally:
        engine.dispose()
    table = report.async_ingest_markdown(result)
    assert "| figure | measured | baseline (same run) | ratio | target |" in table
    assert "`POST /v1/reviews` with `Prefer: respond-async`, 32 client(s), sqlite" in table
    assert "morning import of 600 reviews: `POST /v1/reviews/batch` (500 a batch" in table
    assert "model keyword-double-1" in table
    assert table.count("| p99 < 300 ms (") == 1  # the target, at 32 clients


def test_requests_per_level_from_the_command_line() -> None:
    assert requests_per_level("1=60,8=240,32=640") == {1: 60, 8: 240, 32: 640}
    assert requests_per_level("32=10,") == {32: 10}
