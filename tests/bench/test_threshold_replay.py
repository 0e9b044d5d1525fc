"""The threshold replay runs end to end with the keyword double and writes its outputs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from bench.threshold_replay import HOTEL, main


def test_replay_with_the_double_writes_csv_json_and_plot(tmp_path: Path) -> None:
    out = tmp_path / "replay"
    files = [str(HOTEL / "en_test.jsonl"), str(HOTEL / "de_test.jsonl")]
    assert main([*files, "--out", str(out), "--double", "--limit", "80", "--every", "40"]) == 0
    result = json.loads((out / "replay.json").read_text())
    assert result["reviews"] == 80 and result["model_version"] == "keyword-double-1"
    assert [p["reviews"] for p in result["checkpoints"]] == [50, 80]  # batches of 25
    with (out / "replay.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2
    assert {"automation", "true_miss_rate", "estimated_miss_rate", "threshold_en_default"} <= set(
        rows[0]
    )
    assert (out / "replay.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
