"""`bench.model_speed`'s sampling and summary, without a model (the figures are made up)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.model_speed import FILES, VARIANTS, sample, summarise


def _variant(name: str, engine: str | None, rate: float, accuracy: float) -> dict[str, object]:
    return {
        "variant": name,
        "engine": engine,
        "reviews_per_s": rate,
        "per_file_reviews_per_s": {Path(f).stem: rate for f in FILES},
        "accuracy": {Path(f).stem: accuracy for f in FILES},
    }


def test_variants_are_the_baseline_each_engine_and_the_service() -> None:
    assert (VARIANTS[0], VARIANTS[-1]) == ("pipeline", "service")
    assert {"torch", "onnxruntime", "onnxruntime-int8", "openvino"} <= set(VARIANTS[1:-1])


def test_limit_zero_samples_every_row(tmp_path: Path) -> None:
    for n, name in enumerate(FILES):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = [{"text": f"t{i}", "label": "positive"} for i in range(10 + n)]
        rows.append({"text": "x", "label": "mixed"})  # not one of the labels: left out
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))

    assert len(sample(tmp_path, 0)) == 10 + 11 + 12
    assert len(sample(tmp_path, 4)) == 3 * 4


def test_summary_speedups_and_points_against_torch() -> None:
    results = {
        "pipeline": _variant("pipeline", None, 2.0, 0.900),
        "torch": _variant("torch", "torch", 6.0, 0.900),
        "onnxruntime-int8": _variant("onnxruntime-int8", "onnxruntime-int8", 9.0, 0.895),
        "openvino": _variant("openvino", "openvino", 8.0, 0.890),
        "service": _variant("service", "openvino", 8.0, 0.890),
    }

    summary = summarise(results, full=True)

    stem = Path(FILES[0]).stem
    assert summary["speedup_torch"] == 3.0
    assert summary["speedup_per_file"]["onnxruntime-int8"][stem] == 4.5
    assert summary["accuracy_points_vs_torch"]["onnxruntime-int8"][stem] == -0.5
    assert summary["accuracy_points_vs_torch"]["openvino"][stem] == -1.0
    # held to the bound: the engines forced, not the pipeline nor the service's choice
    assert summary["engines_beyond_bound"] == ["onnxruntime-int8", "openvino"]


def test_summary_without_the_baselines() -> None:
    summary = summarise({"openvino": _variant("openvino", "openvino", 8.0, 0.9)}, full=False)

    assert "speedup_per_file" not in summary
    assert "accuracy_points_vs_torch" not in summary
