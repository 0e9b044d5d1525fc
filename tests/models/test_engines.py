"""The exported engines (`models.engines`) on a tiny encoder built here: each one computes
what the torch reference computes, "auto" picks among those that do, a drifting engine is
refused, the files are built once and reused."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from models import engines
from models.batching import BatchingClassifier
from models.errors import ModelLoadError
from models.transformer import load_classifier, prepare_engine_files

TEXTS = [
    "das zimmer war gut. the room was bad",
    "Frühstück kalt, Personal unfreundlich, nie wieder!",
    "Lovely stay, the staff were kind and the breakfast was great.",
]


@pytest.fixture
def model_dir(tiny_encoder: Path, make_model_dir: Callable[..., Path]) -> Path:
    return make_model_dir(encoder=str(tiny_encoder))


def test_every_engine_reads_as_the_reference_does(model_dir: Path, tmp_path: Path) -> None:
    reference = load_classifier(model_dir, cache_dir=tmp_path, threads=1)
    assert reference.engine == "torch"
    want = reference.predict(TEXTS)
    for name in ("onnxruntime", "onnxruntime-int8", "openvino", "openvino-bf16"):
        served = load_classifier(model_dir, cache_dir=tmp_path, threads=1, engine=name)
        assert served.engine == name
        assert served.engine_report.chosen_by == "setting"
        (checked,) = served.engine_report.candidates
        assert checked.min_cosine is not None and checked.min_cosine >= engines.MIN_COSINE
        got = served.predict(TEXTS)
        for a, b in zip(got, want, strict=True):
            assert a.label == b.label
            # bf16 where the CPU has it (elsewhere OpenVINO computes in float32)
            tolerance = 1e-4 if name in ("onnxruntime", "openvino") else 0.02
            for label, p in b.probabilities.items():
                assert abs(a.probabilities[label] - p) < tolerance, (name, label)
            assert [s.label for s in a.sentences] == [s.label for s in b.sentences]
        # Served from the export alone: the torch weights are not kept.
        assert served._encoder.model is None


def test_auto_serves_the_fastest_engine_that_passed(model_dir: Path, tmp_path: Path) -> None:
    served = load_classifier(model_dir, cache_dir=tmp_path, threads=1, engine="auto")
    report = served.engine_report
    assert report.chosen_by == "auto"
    tried = [name for name in engines.ENGINES if name != "openvino-bf16" or engines.cpu_has_bf16()]
    assert [c.engine for c in report.candidates] == tried
    timed = {c.engine: c.probe_seconds for c in report.candidates if c.refused is None}
    assert timed and all(seconds is not None and seconds > 0 for seconds in timed.values())
    assert report.engine == min(timed, key=lambda name: timed[name] or 0.0)
    assert served.engine == report.engine
    assert report.files_build_seconds is not None and report.files_build_seconds > 0
    # Built by a child process: the exporter's memory and libraries never entered this one.
    (built,) = (tmp_path / "engines").iterdir()
    assert json.loads((built / "build.json").read_text())["process"] != os.getpid()
    (prediction,) = served.predict(TEXTS[:1])
    assert prediction.label in ("negative", "neutral", "positive")


def test_auto_reads_the_torch_weights_only_when_torch_could_win(
    model_dir: Path, tmp_path: Path
) -> None:
    """The build's time for torch stands when it is clearly slower than an exported engine;
    torch is timed afresh (its weights read) when the build says it was fast, or timed it
    with other threads."""
    files = prepare_engine_files(model_dir, encoder=None, cache_dir=tmp_path)
    info = files.build_info()
    assert info["torch_probe_seconds"] > 0

    def auto_with_build_time(seconds: float, threads: int) -> engines.Candidate:
        (files.folder / "build.json").write_text(
            json.dumps({**info, "torch_probe_seconds": seconds, "torch_threads": threads})
        )
        served = load_classifier(model_dir, cache_dir=tmp_path, threads=1, engine="auto")
        (torch,) = [c for c in served.engine_report.candidates if c.engine == "torch"]
        return torch

    slow = auto_with_build_time(1000.0, 1)
    assert (slow.timed_at, slow.probe_seconds, slow.min_cosine) == ("build", 1000.0, None)
    fast = auto_with_build_time(1e-6, 1)
    assert fast.timed_at == "start-up" and fast.min_cosine is not None
    assert fast.probe_seconds is not None and fast.probe_seconds > 1e-6
    other_threads = auto_with_build_time(1000.0, 7)
    assert other_threads.timed_at == "start-up" and other_threads.min_cosine is not None


def test_files_are_built_once_and_reused(model_dir: Path, tmp_path: Path) -> None:
    files = prepare_engine_files(model_dir, encoder=None, cache_dir=tmp_path)
    built = {p.name: p.stat().st_mtime_ns for p in files.folder.iterdir()}
    assert {"encoder.onnx", "encoder-int8.onnx", "reference.npz", "build.json"} <= set(built)
    build_json = files.folder / "build.json"
    os.utime(build_json, ns=(0, 0))
    again = prepare_engine_files(model_dir, encoder=None, cache_dir=tmp_path)
    assert again.folder == files.folder
    reused = {p.name: p.stat().st_mtime_ns for p in again.folder.iterdir()}
    # Not rebuilt; marked as used now (`engines.prune_files` keeps the recently used).
    assert {k: v for k, v in reused.items() if k != "build.json"} == {
        k: v for k, v in built.items() if k != "build.json"
    }
    assert reused["build.json"] > 0
    # Nothing half-built is left beside them.
    assert [p.name for p in files.folder.parent.iterdir()] == [files.folder.name]


def test_only_the_most_recently_used_files_are_kept(tmp_path: Path) -> None:
    folders = tmp_path / "engines"
    now = time.time()
    for age in range(6):  # f0 used just now ... f5 used five hours ago
        (folders / f"f{age}").mkdir(parents=True)
        (folders / f"f{age}" / "build.json").write_text("{}")
        os.utime(folders / f"f{age}" / "build.json", (now - age * 3600, now - age * 3600))
    (folders / ".killed.1.building").mkdir()
    os.utime(folders / ".killed.1.building", (now - 7200, now - 7200))
    (folders / ".busy.2.building").mkdir()  # another process building right now
    removed = engines.prune_files(folders, keep=4)
    assert sorted(removed) == [".killed.1.building", "f4", "f5"]
    assert sorted(p.name for p in folders.iterdir()) == [".busy.2.building", "f0", "f1", "f2", "f3"]


def test_other_weights_get_other_files(
    tiny_encoder: Path, make_model_dir: Callable[..., Path], tmp_path: Path
) -> None:
    first = prepare_engine_files(
        make_model_dir(encoder=str(tiny_encoder)), encoder=None, cache_dir=tmp_path
    )
    other = prepare_engine_files(
        make_model_dir(encoder=str(tiny_encoder), max_length=20), encoder=None, cache_dir=tmp_path
    )
    assert first.folder != other.folder


def test_a_drifting_engine_is_refused(model_dir: Path, tmp_path: Path) -> None:
    """An export that no longer matches the reference (here: the reference moved) is
    refused when set, and left out by auto."""
    files = prepare_engine_files(model_dir, encoder=None, cache_dir=tmp_path)
    vectors = files.reference()
    rng = np.random.default_rng(3)
    np.savez(files.folder / "reference.npz", vectors=rng.standard_normal(vectors.shape))
    with pytest.raises(ModelLoadError, match="engine onnxruntime refused: window cosine"):
        load_classifier(model_dir, cache_dir=tmp_path, threads=1, engine="onnxruntime")
    served = load_classifier(model_dir, cache_dir=tmp_path, threads=1, engine="auto")
    refused = {c.engine: c.refused for c in served.engine_report.candidates}
    assert served.engine == "torch"  # the reference itself, never refused
    assert refused["torch"] is None
    assert all(refused[name] for name in ("onnxruntime", "onnxruntime-int8", "openvino"))


def test_a_failed_build_is_a_load_error_with_the_child_log(
    tiny_encoder: Path, make_model_dir: Callable[..., Path], tmp_path: Path
) -> None:
    broken = tmp_path / "broken-encoder"
    shutil.copytree(tiny_encoder, broken)
    (broken / "model.safetensors").write_bytes(b"not a safetensors file")
    model_dir = make_model_dir(encoder=str(broken))
    with pytest.raises(ModelLoadError, match="building the engine files failed") as failed:
        load_classifier(model_dir, cache_dir=tmp_path / "cache", threads=1, engine="auto")
    assert "safetensors" in str(failed.value).lower()
    assert not list((tmp_path / "cache" / "engines").glob("*/build.json"))


def test_an_unknown_engine_is_a_load_error(model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="engine must be one of"):
        load_classifier(model_dir, cache_dir=tmp_path, engine="tensorrt")


def test_engine_threads_are_reported_and_lowered_by_the_batcher(
    model_dir: Path, tmp_path: Path
) -> None:
    served = load_classifier(model_dir, cache_dir=tmp_path, threads=2, engine="onnxruntime")
    threads = served.compute_threads
    # Two intra-op threads: the caller's and one ONNX Runtime starts itself.
    assert threads and set(threads) <= {int(name) for name in os.listdir("/proc/self/task")}
    before = {tid: os.getpriority(os.PRIO_PROCESS, tid) for tid in threads}
    batcher = BatchingClassifier(served, nice=5)
    try:
        batcher.predict(TEXTS[:1])
        after = {tid: os.getpriority(os.PRIO_PROCESS, tid) for tid in threads}
    finally:
        batcher.close()
    assert after == {tid: min(19, nice + 5) for tid, nice in before.items()}
