"""`bench.startup`: the full-speed rule, the promoted copies, the clean-up, and a real run
with the keyword double (`TRIAGE_MODEL_KIND=keyword`, which follows the registry as the
real model does; a promoted version's directory then only names it)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import load_file
from sqlalchemy import select

from bench.databases import sqlite_url
from bench.startup import (
    full_speed_round,
    interleaved,
    measure,
    problem_lines,
    promoted_copy,
    promoted_engines_removed,
)
from bench.texts import review_texts
from models.default import default_model_dir
from triage.storage.db import make_engine, make_session_factory, unit_of_work
from triage.storage.tables import ModelVersion


@pytest.mark.parametrize(
    ("rates", "first"),
    [
        ([10.0], 0),
        ([2.0, 5.0, 9.0, 10.0, 9.5, 10.0], 2),  # 9.0 is within 10% of 10.0
        ([2.0, 5.0, 8.9, 10.0, 9.5, 10.0], 3),  # 8.9 is not
        ([10.0, 4.0, 9.5, 9.8], 0),  # the first round already at full speed
        ([3.0, 3.0, 3.0], 0),
        ([1.0, 9.0, 2.0, 10.0], 1),  # a later slow round does not move it
    ],
)
def test_full_speed_is_the_first_round_within_ten_percent_of_the_best(
    rates: list[float], first: int
) -> None:
    assert full_speed_round(rates) == first


def test_full_speed_tolerance_and_no_rounds() -> None:
    assert full_speed_round([5.0, 8.0, 10.0], tolerance=0.25) == 1
    assert full_speed_round([5.0, 8.0, 10.0], tolerance=0.0) == 2
    with pytest.raises(ValueError, match="no rounds"):
        full_speed_round([])


def test_interleaved_takes_each_file_in_turn() -> None:
    rows = [
        {"text": "a1", "file": "a", "lang": "en"},
        {"text": "a2", "file": "a", "lang": "en"},
        {"text": "a3", "file": "a", "lang": "en"},
        {"text": "b1", "file": "b", "lang": "de"},
        {"text": "c1", "file": "c"},
        {"text": "c2", "file": "c"},
    ]

    assert interleaved(rows, 5) == [
        ("a1", "en"),
        ("b1", "de"),
        ("c1", None),
        ("a2", "en"),
        ("c2", None),
    ]
    assert [text for text, _ in interleaved(rows, 10)] == ["a1", "b1", "c1", "a2", "c2", "a3"]


def test_promoted_copy_is_a_new_model_with_its_own_adapter(tmp_path: Path) -> None:
    source = default_model_dir()
    card = json.loads((source / "model.json").read_text(encoding="utf-8"))
    original = load_file(source / card["adapter"])
    original_bytes = (source / card["adapter"]).read_bytes()

    version = promoted_copy(source, tmp_path / "promoted-2", 2)

    copy = tmp_path / "promoted-2"
    assert version == f"{card['version']}-bench-p2"
    assert json.loads((copy / "model.json").read_text(encoding="utf-8")) == {
        **card,
        "version": version,
    }
    assert sorted(p.name for p in copy.iterdir()) == sorted(p.name for p in source.iterdir())
    assert (copy / "head.safetensors").read_bytes() == (source / "head.safetensors").read_bytes()
    scaled = load_file(copy / card["adapter"])
    assert scaled.keys() == original.keys()
    for name, tensor in original.items():
        assert scaled[name].dtype == tensor.dtype
        np.testing.assert_allclose(scaled[name], tensor * 1.002, rtol=1e-6)
    # the adapter's settings (layers, rank, scale) travel with it; the source is untouched
    with (
        safe_open(str(copy / card["adapter"]), framework="numpy") as a,
        safe_open(str(source / card["adapter"]), framework="numpy") as b,
    ):
        assert a.metadata() == b.metadata()
    assert (source / card["adapter"]).read_bytes() == original_bytes
    assert (copy / card["adapter"]).read_bytes() != original_bytes


def test_only_the_engine_folders_added_meanwhile_are_removed(tmp_path: Path) -> None:
    engines = tmp_path / "engines"
    (engines / "served0000").mkdir(parents=True)
    (engines / "served0000" / "encoder.onnx").write_bytes(b"x")
    removed: list[str] = []

    with promoted_engines_removed(tmp_path, removed):
        for name in ("promoted111", ".promoted222.99.building"):
            (engines / name).mkdir()
            (engines / name / "encoder.onnx").write_bytes(b"y")

    assert removed == [".promoted222.99.building", "promoted111"]
    assert [p.name for p in engines.iterdir()] == ["served0000"]
    assert (engines / "served0000" / "encoder.onnx").read_bytes() == b"x"


def test_problem_lines_are_warnings_errors_and_tracebacks() -> None:
    text = "\n".join(
        [
            "2026-12-06 01:00:00,000 INFO service.background now using model v2 as the active",
            "2026-12-06 01:00:01,000 WARNING service.background model at /x says it is v1",
            "INFO:     Application startup complete.",
            "2026-12-06 01:00:02,000 ERROR service.background model v3 could not be loaded",
            "Traceback (most recent call last):",
        ]
    )

    assert problem_lines(text) == [
        "2026-12-06 01:00:01,000 WARNING service.background model at /x says it is v1",
        "2026-12-06 01:00:02,000 ERROR service.background model v3 could not be loaded",
        "Traceback (most recent call last):",
    ]
    assert problem_lines(text, limit=1) == problem_lines(text)[:1]


def test_a_run_with_the_keyword_double_follows_two_promotions(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    texts = review_texts(tmp_path / "no-shared-data", 4)  # the hand-written hotel reviews
    reviews = interleaved(texts.rows, 4)
    model_dir = default_model_dir()
    version = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))["version"]

    result = measure(
        url,
        tmp_path / "data",
        tmp_path,
        reviews,
        model_dir=model_dir,
        rounds=3,
        promotions=2,
        env={"TRIAGE_MODEL_KIND": "keyword"},
    )

    assert json.loads(json.dumps(result)) == result
    assert result["round_requests"] == 4
    assert result["model_version"] == version
    assert result["engine_at_ready"] is None  # the double has no engine behind it
    assert result["engine_files_built_at_startup"] == []
    assert result["ready_s"] > 0
    ends = [r["ends_s"] for r in result["rounds"]]
    assert len(ends) == 3
    assert result["ready_s"] < ends[0] < ends[1] < ends[2]
    assert all(r["failed"] == 0 and r["reviews_per_s"] > 0 for r in result["rounds"])
    rates = [r["reviews_per_s"] for r in result["rounds"]]
    assert result["best_reviews_per_s"] == max(rates)
    first = result["full_speed_round"] - 1
    assert first == full_speed_round(rates)
    assert result["full_speed_s"] == ends[first]
    loaded = result["memory_after_load_mb"]
    assert 0 < loaded["VmRSS"] <= loaded["VmHWM"]
    promoted = result["promotions"]
    assert [p["version"] for p in promoted] == [f"{version}-bench-p1", f"{version}-bench-p2"]
    for p in promoted:
        # every review of the round after it was routed by the promoted version
        assert (p["failed"], p["routed_by_it"]) == (0, 4)
        assert 0 < p["promote_command_s"] < p["serving_s"]
        assert p["engine"] is None
        assert 0 < p["memory_mb"]["VmRSS"] <= p["memory_mb"]["VmHWM"]
    assert result["rss_growth_mb"] == round(promoted[-1]["memory_mb"]["VmRSS"] - loaded["VmRSS"], 1)
    assert result["hwm_growth_mb"] == round(promoted[-1]["memory_mb"]["VmHWM"] - loaded["VmHWM"], 1)
    assert result["engine_folders_removed"] == []  # the double builds none
    assert result["server_log_problems"] == []
    # the registry after it: the last copy active, the served model and the first retired
    engine = make_engine(url)
    try:
        with unit_of_work(make_session_factory(engine)) as s:
            rows = s.execute(
                select(ModelVersion.version, ModelVersion.state, ModelVersion.path).order_by(
                    ModelVersion.id
                )
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [
        (version, "retired", str(model_dir)),
        (f"{version}-bench-p1", "retired", str(tmp_path / "promoted-1")),
        (f"{version}-bench-p2", "active", str(tmp_path / "promoted-2")),
    ]
