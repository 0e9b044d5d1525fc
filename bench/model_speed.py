"""Model speed against the baseline a user would write, on real review texts, in one run.

Baseline: `transformers.pipeline("text-classification")` called once per review on
the same checkpoint (the model directory's encoder with its adapters merged, the
same mean pooling, head and temperature), truncating at 512 tokens.
Service path: `TransformerClassifier.predict` in batches (length-sorted windows,
explicit threads, sentence scores included) on each engine of `models.engines` forced
("torch", the fp32 reference, "onnxruntime", "onnxruntime-int8", "openvino"), and as the
service runs it ("service": the engine "auto" picks on this machine, reported).

Each variant runs in its own process so that peak memory is its own. Its load seconds are
`load_classifier`'s (for "service" they include timing every engine, as the service's
start-up does); the engine files are built before any variant runs, so no load includes
their one-off build. Accuracy is reported per file and, for each engine, in points against
torch: the bound of 0.3 points holds on full files (`--full`), a sample only hints at it.

    python -m bench.model_speed --data-dir ../shared/data [--limit 200 | --full] [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench import machine
from models.engines import ENGINES, cpu_has_bf16

LABELS = ("negative", "neutral", "positive")
FILES = (
    "eval/en_hotel_opspam_truthful.jsonl",
    "eval/de_sb10k_test.jsonl",
    "eval/de_potts_test.jsonl",
)


def sample(data_dir: Path, limit: int) -> list[dict[str, str]]:
    """`limit` rows of each file, spread evenly over the file (deterministic); every row of
    each file when `limit` is 0."""
    rows: list[dict[str, str]] = []
    for name in FILES:
        lines = [json.loads(line) for line in (data_dir / name).read_text().splitlines() if line]
        lines = [r for r in lines if r["label"] in LABELS]
        if limit > 0:
            lines = lines[:: max(1, len(lines) // limit)][:limit]
        rows += [{**r, "file": name} for r in lines]
    return rows


def rss_mb() -> float:
    """This process's resident memory now, in MB."""
    return machine.process_memory_mb(os.getpid())["VmRSS"]


def by_file(rows: list[dict[str, str]]) -> list[tuple[str, list[dict[str, str]]]]:
    """The rows grouped by evaluation file, in `FILES` order (rows are already in it)."""
    return [(Path(name).stem, [r for r in rows if r["file"] == name]) for name in FILES]


def accuracy(rows: list[dict[str, str]], probs: np.ndarray) -> dict[str, float]:
    out = {}
    for name in FILES:
        mask = np.array([r["file"] == name for r in rows])
        gold = [LABELS.index(r["label"]) for r in rows if r["file"] == name]
        p = probs[mask]
        labels = {r["label"] for r in rows if r["file"] == name}
        if labels <= {"negative", "positive"}:
            predicted = np.where(p[:, 2] > p[:, 0], 2, 0)
        else:
            predicted = p.argmax(axis=1)
        out[Path(name).stem] = float(np.mean(predicted == np.array(gold)))
    return out


def run_pipeline(model_dir: Path, cache_dir: Path, rows: list[dict[str, str]]) -> dict[str, Any]:
    import torch
    from torch import nn
    from transformers import BertModel, BertPreTrainedModel, pipeline
    from transformers.modeling_outputs import SequenceClassifierOutput

    from models.transformer import load_classifier

    torch.set_num_threads(2)
    started = time.perf_counter()
    # The torch engine: the merged checkpoint itself, which the pipeline is built from.
    served = load_classifier(model_dir, cache_dir=cache_dir, threads=2, engine="torch")
    encoder = served._encoder
    card = served.card

    class MeanPooledClassifier(BertPreTrainedModel):  # type: ignore[no-untyped-call]
        def __init__(self, config: Any) -> None:
            super().__init__(config)
            self.bert = BertModel(config, add_pooling_layer=False)
            self.classifier = nn.Linear(config.hidden_size, len(LABELS))
            self.post_init()  # type: ignore[no-untyped-call]

        def forward(self, input_ids: Any = None, attention_mask: Any = None, **_: Any) -> Any:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            if card.normalize:
                pooled = nn.functional.normalize(pooled, dim=-1)
            return SequenceClassifierOutput(logits=self.classifier(pooled) / card.temperature)

    weights = encoder.weights
    config: Any = weights.config
    config.id2label = dict(enumerate(LABELS))
    config.label2id = {label: i for i, label in enumerate(LABELS)}
    model: Any = MeanPooledClassifier(config)
    model.bert.load_state_dict(weights.state_dict())
    with torch.no_grad():
        model.classifier.weight.copy_(torch.from_numpy(served._weight))
        model.classifier.bias.copy_(torch.from_numpy(served._bias))
    model.eval()
    classify = pipeline(
        "text-classification", model=model, tokenizer=encoder.tokenizer, device="cpu", top_k=None
    )
    # The pipeline's model holds its own copy of the weights: only that one counts.
    del served, encoder, weights
    gc.collect()
    load_seconds = time.perf_counter() - started
    loaded_mb = rss_mb()
    classify(card.prefix + rows[0]["text"], truncation=True, max_length=512)  # warm up
    probs = []
    per_file: dict[str, float] = {}
    for name, group in by_file(rows):
        started = time.perf_counter()
        for row in group:
            scores = classify(card.prefix + row["text"], truncation=True, max_length=512)
            if scores and isinstance(scores[0], list):
                scores = scores[0]
            by_label = {s["label"]: s["score"] for s in scores}
            probs.append([by_label[label] for label in LABELS])
        per_file[name] = time.perf_counter() - started
    return {
        "seconds": per_file,
        "probs": probs,
        "load_seconds": load_seconds,
        "rss_after_load_mb": loaded_mb,
    }


def load_service(model_dir: Path, cache_dir: Path, engine: str) -> tuple[Any, float]:
    """The service's classifier on `engine` ("auto": the one the service would pick), and
    the seconds `load_classifier` took."""
    from models.transformer import load_classifier

    started = time.perf_counter()
    classifier = load_classifier(model_dir, cache_dir=cache_dir, threads=2, engine=engine)
    return classifier, time.perf_counter() - started


def prepare_files(model_dir: Path, cache_dir: Path) -> float:
    """Build the model's engine files unless they are there (any exported engine's load
    does), so that no timed load includes the build; returns the seconds it took."""
    started = time.perf_counter()
    load_service(model_dir, cache_dir, "onnxruntime")
    return time.perf_counter() - started


def time_service(classifier: Any, rows: list[dict[str, str]], batch: int) -> dict[str, Any]:
    """Seconds per file of `classifier.predict` over `rows` in batches, and the probabilities."""
    classifier.predict([rows[0]["text"]])  # warm up
    probs = []
    per_file: dict[str, float] = {}
    for name, group in by_file(rows):
        started = time.perf_counter()
        for start in range(0, len(group), batch):
            for prediction in classifier.predict([r["text"] for r in group[start : start + batch]]):
                probs.append([prediction.probabilities[label] for label in LABELS])
        per_file[name] = time.perf_counter() - started
    return {"seconds": per_file, "probs": probs, "engine": classifier.engine}


def one_variant(args: argparse.Namespace) -> None:
    rows = sample(args.data_dir, args.limit)
    if args.variant == "pipeline":
        result = run_pipeline(args.model, args.cache_dir, rows)
    else:
        engine = "auto" if args.variant == "service" else args.variant
        classifier, load_seconds = load_service(args.model, args.cache_dir, engine)
        loaded_mb = rss_mb()  # before the timing: `predict` allocates more
        result = {
            **time_service(classifier, rows, args.batch),
            "load_seconds": load_seconds,
            "rss_after_load_mb": loaded_mb,
            "engine_report": classifier.engine_report.as_dict(),
        }
    probs = np.array(result["probs"])
    seconds = sum(result["seconds"].values())
    counts = dict((name, len(group)) for name, group in by_file(rows))
    print(
        json.dumps(
            {
                "variant": args.variant,
                "reviews": len(rows),
                "seconds": round(seconds, 2),
                "reviews_per_s": round(len(rows) / seconds, 2),
                "per_file_reviews_per_s": {
                    name: round(counts[name] / s, 2) for name, s in result["seconds"].items()
                },
                "accuracy": accuracy(rows, probs),
                "load_seconds": round(result["load_seconds"], 2),
                "rss_after_load_mb": round(result["rss_after_load_mb"]),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "engine": result.get("engine"),
                "engine_report": result.get("engine_report"),
            }
        )
    )


#: "pipeline" is the baseline; then each engine forced; "service" is what the service runs
#: (the engine "auto" picks on this machine).
VARIANTS = ("pipeline", *ENGINES, "service")
#: The issue's bound: each engine's accuracy on full evaluation files within this many
#: points of torch's (fp32, the reference).
MAX_POINTS_FROM_TORCH = 0.3


def _child(args: argparse.Namespace, *what: str) -> dict[str, Any]:
    """Run this module in a new process for `what` (a variant, or the files) and return the
    JSON line it prints."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.model_speed",
            *what,
            "--data-dir",
            str(args.data_dir),
            "--model",
            str(args.model),
            "--cache-dir",
            str(args.cache_dir),
            "--limit",
            str(args.limit),
            "--batch",
            str(args.batch),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _variants(text: str) -> tuple[str, ...]:
    chosen = tuple(v.strip() for v in text.split(",") if v.strip())
    unknown = [v for v in chosen if v not in VARIANTS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(VARIANTS)}, not {text!r}")
    return tuple(v for v in VARIANTS if v in chosen)


def summarise(results: dict[str, dict[str, Any]], full: bool) -> dict[str, Any]:
    """The variants' results with their speedups against the pipeline and their accuracy
    in points against torch (each where that variant ran)."""
    summary: dict[str, Any] = {"variants": results, "full_files": full}
    pipeline = results.get("pipeline")
    if pipeline is not None:
        for name, r in results.items():
            if name == "pipeline":
                continue
            summary[f"speedup_{name}"] = round(r["reviews_per_s"] / pipeline["reviews_per_s"], 2)
        summary["speedup_per_file"] = {
            name: {
                stem: round(rate / pipeline["per_file_reviews_per_s"][stem], 2)
                for stem, rate in r["per_file_reviews_per_s"].items()
            }
            for name, r in results.items()
            if name != "pipeline"
        }
    torch = results.get("torch")
    if torch is not None:
        points = {
            name: {
                stem: round(100 * (acc - torch["accuracy"][stem]), 2)
                for stem, acc in r["accuracy"].items()
            }
            for name, r in results.items()
            if name != "torch"
        }
        summary["accuracy_points_vs_torch"] = points
        # Only the exported engines are held to the bound; the pipeline (truncating at 512
        # tokens) is another reading of the model, and "service" is one of the engines.
        summary["engines_beyond_bound"] = sorted(
            name
            for name, per_file in points.items()
            if name in ENGINES and any(abs(p) > MAX_POINTS_FROM_TORCH for p in per_file.values())
        )
    return summary


def print_table(summary: dict[str, Any], limit: int) -> None:
    results: dict[str, dict[str, Any]] = summary["variants"]
    base = results.get("pipeline", {}).get("reviews_per_s")
    print(
        f"{'variant':<18}{'engine':<18}{'reviews/s':>10}{'speedup':>9}{'load s':>8}"
        f"{'RSS MB':>8}{'peak MB':>9}"
    )
    for name, r in results.items():
        speedup = f"{r['reviews_per_s'] / base:.2f}" if base else "—"
        print(
            f"{name:<18}{r['engine'] or '—':<18}{r['reviews_per_s']:>10}{speedup:>9}"
            f"{r['load_seconds']:>8}{r['rss_after_load_mb']:>8}{r['peak_rss_mb']:>9}"
        )
    print(
        "load s: load_classifier, the engine files already built; RSS MB: resident after "
        "the load; peak MB: the process's peak"
    )
    for name, why in summary.get("not_run", {}).items():
        print(f"not run: {name}, {why}")
    service = results.get("service")
    if service is not None:
        probes = ", ".join(
            f"{c['engine']} "
            + (f"refused ({c['refused']})" if c["refused"] else f"{c['probe_seconds']} s")
            for c in service["engine_report"]["candidates"]
        )
        print(f"\nservice: auto chose {service['engine']} (probe texts: {probes})")
    print("\nreviews/s per file (speedup against the pipeline)")
    ratios = summary.get("speedup_per_file", {})
    for name, r in results.items():
        cells = [
            f"{stem} {rate}" + (f" ({ratios[name][stem]:.2f}x)" if name in ratios else "")
            for stem, rate in r["per_file_reviews_per_s"].items()
        ]
        print(f"{name:<18}" + ", ".join(cells))
    points = summary.get("accuracy_points_vs_torch", {})
    print("\naccuracy per file" + (" (points against torch)" if points else ""))
    for name, r in results.items():
        cells = [
            f"{stem} {acc:.3f}" + (f" ({points[name][stem]:+.2f})" if name in points else "")
            for stem, acc in r["accuracy"].items()
        ]
        print(f"{name:<18}" + ", ".join(cells))
    if "engines_beyond_bound" not in summary:
        return
    beyond = summary["engines_beyond_bound"]
    verdict = (
        f"beyond it: {', '.join(beyond)}" if beyond else "every engine within it on every file"
    )
    if summary["full_files"]:
        print(f"\nfull files, bound {MAX_POINTS_FROM_TORCH} points from torch: {verdict}")
    else:
        print(
            f"\n{limit} rows per file, not the full files the {MAX_POINTS_FROM_TORCH}-point "
            f"bound is on (--full); on this sample, {verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--cache-dir", type=Path, default=Path("var"))
    parser.add_argument(
        "--limit", type=int, default=200, help="rows per evaluation file (0: every row)"
    )
    parser.add_argument("--full", action="store_true", help="every row of each file (--limit 0)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument(
        "--variants",
        type=_variants,
        default=None,
        help=f"comma-separated, of {','.join(VARIANTS)} (default: all the CPU runs as named)",
    )
    parser.add_argument("--variant", choices=VARIANTS, help="run one variant, here (internal)")
    parser.add_argument("--prepare", action="store_true", help="build the engine files (internal)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the fastest counts")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.full:
        args.limit = 0
    if args.model is None:
        from models.default import default_model_dir

        args.model = default_model_dir()
    if args.prepare:
        print(json.dumps({"seconds": round(prepare_files(args.model, args.cache_dir), 2)}))
        return
    if args.variant:
        one_variant(args)
        return
    not_run: dict[str, str] = {}
    if args.variants is None:
        # Where the CPU has no bf16 arithmetic, OpenVINO runs openvino-bf16 in fp32: it
        # would be timed as a second openvino under another name ("auto" skips it too).
        if "openvino-bf16" in VARIANTS and not cpu_has_bf16():
            not_run["openvino-bf16"] = "no bf16 arithmetic on this CPU (it would run in fp32)"
        args.variants = tuple(v for v in VARIANTS if v not in not_run)
    prepared = _child(args, "--prepare")
    # Rounds of all variants, one after the other, so that a busy spell of the machine
    # hits every variant alike; each variant's fastest round counts (as timeit does).
    results: dict[str, dict[str, Any]] = {}
    for _ in range(args.repeat):
        for variant in args.variants:
            run = _child(args, "--variant", variant)
            if variant not in results or run["seconds"] < results[variant]["seconds"]:
                results[variant] = run
    summary = summarise(results, full=args.limit == 0)
    summary["files_prepare_seconds"] = prepared["seconds"]
    summary["not_run"] = not_run
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    print_table(summary, args.limit)


if __name__ == "__main__":
    main()
