"""Model speed against the baseline a user would write, on real review texts, in one run.

Baseline: `transformers.pipeline("text-classification")` called once per review on
the same checkpoint (the model directory's encoder with its adapters merged, the
same mean pooling, head and temperature), truncating at 512 tokens.
Service path: `TransformerClassifier.predict` in batches (length-sorted windows,
`inference_mode`, explicit threads, sentence scores included), in fp32, bf16 and int8,
and as the service runs it ("service": the precision "auto" picks, compiled, timed
after the compile).

Each variant runs in its own process so that peak memory is its own.

    python -m bench.model_speed --data-dir ../shared/data [--limit 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

LABELS = ("negative", "neutral", "positive")
FILES = (
    "eval/en_hotel_opspam_truthful.jsonl",
    "eval/de_sb10k_test.jsonl",
    "eval/de_potts_test.jsonl",
)


def sample(data_dir: Path, limit: int) -> list[dict[str, str]]:
    """`limit` rows of each file, spread evenly over the file (deterministic)."""
    rows: list[dict[str, str]] = []
    for name in FILES:
        lines = [json.loads(line) for line in (data_dir / name).read_text().splitlines() if line]
        lines = [r for r in lines if r["label"] in LABELS]
        step = max(1, len(lines) // limit)
        rows += [{**r, "file": name} for r in lines[::step][:limit]]
    return rows


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
    served = load_classifier(model_dir, cache_dir=cache_dir, threads=2)
    encoder = served._encoder  # the merged checkpoint
    temperature = served.card.temperature

    class MeanPooledClassifier(BertPreTrainedModel):  # type: ignore[misc]
        def __init__(self, config: Any) -> None:
            super().__init__(config)
            self.bert = BertModel(config, add_pooling_layer=False)
            self.classifier = nn.Linear(config.hidden_size, len(LABELS))
            self.post_init()

        def forward(self, input_ids: Any = None, attention_mask: Any = None, **_: Any) -> Any:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            if served.card.normalize:
                pooled = nn.functional.normalize(pooled, dim=-1)
            return SequenceClassifierOutput(logits=self.classifier(pooled) / temperature)

    config = encoder.model.config
    config.id2label = dict(enumerate(LABELS))
    config.label2id = {label: i for i, label in enumerate(LABELS)}
    model = MeanPooledClassifier(config)
    model.bert.load_state_dict(encoder.model.state_dict())
    with torch.no_grad():
        model.classifier.weight.copy_(torch.from_numpy(served._weight))
        model.classifier.bias.copy_(torch.from_numpy(served._bias))
    model.eval()
    classify = pipeline(
        "text-classification", model=model, tokenizer=encoder.tokenizer, device="cpu", top_k=None
    )
    prefix = served.card.prefix
    classify(prefix + rows[0]["text"], truncation=True, max_length=512)  # warm up
    probs = []
    per_file: dict[str, float] = {}
    for name, group in by_file(rows):
        started = time.perf_counter()
        for row in group:
            scores = classify(prefix + row["text"], truncation=True, max_length=512)
            if scores and isinstance(scores[0], list):
                scores = scores[0]
            by_label = {s["label"]: s["score"] for s in scores}
            probs.append([by_label[label] for label in LABELS])
        per_file[name] = time.perf_counter() - started
    return {"seconds": per_file, "probs": probs}


def load_service(
    model_dir: Path, cache_dir: Path, precision: str, *, compiled: bool = False
) -> tuple[Any, float | None]:
    """The service's classifier in `precision`, and with `compiled` (as the service runs it)
    its encoder compiled (`models.compiled`), waited for; returns the compile's seconds."""
    from models.transformer import load_classifier

    classifier = load_classifier(
        model_dir, cache_dir=cache_dir, threads=2, precision=precision, compile_encoder=compiled
    )
    if classifier.compiling is None:
        return classifier, None
    if not classifier.compiling.wait():
        raise RuntimeError(f"the encoder did not compile: {classifier.compiling.error}")
    return classifier, classifier.compiling.seconds


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
    return {"seconds": per_file, "probs": probs, "precision": classifier.precision}


def one_variant(args: argparse.Namespace) -> None:
    rows = sample(args.data_dir, args.limit)
    if args.variant == "pipeline":
        result = run_pipeline(args.model, args.cache_dir, rows)
    else:
        service = args.variant == "service"
        classifier, compile_seconds = load_service(
            args.model, args.cache_dir, "auto" if service else args.variant, compiled=service
        )
        result = {**time_service(classifier, rows, args.batch), "compile_seconds": compile_seconds}
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
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "precision": result.get("precision"),
                "compile_seconds": result.get("compile_seconds"),
            }
        )
    )


#: "service" is what the service runs: the precision "auto" picks, compiled (`models.compiled`).
VARIANTS = ("pipeline", "fp32", "bf16", "int8", "service")


def _run_variant(args: argparse.Namespace, variant: str) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.model_speed",
            "--variant",
            variant,
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--cache-dir", type=Path, default=Path("var"))
    parser.add_argument("--limit", type=int, default=200, help="rows per evaluation file")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--variant", choices=VARIANTS)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the fastest counts")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.model is None:
        from models.default import default_model_dir

        args.model = default_model_dir()
    if args.variant:
        one_variant(args)
        return
    # Rounds of all variants, one after the other, so that a busy spell of the machine
    # hits every variant alike; each variant's fastest round counts (as timeit does).
    results: dict[str, dict[str, Any]] = {}
    for _ in range(args.repeat):
        for variant in VARIANTS:
            run = _run_variant(args, variant)
            if variant not in results or run["seconds"] < results[variant]["seconds"]:
                results[variant] = run
    base = results["pipeline"]["reviews_per_s"]
    summary = {
        "variants": results,
        **{
            f"speedup_{name}": round(results[name]["reviews_per_s"] / base, 2)
            for name in VARIANTS[1:]
        },
        "speedup_per_file": {
            name: {
                stem: round(rate / results["pipeline"]["per_file_reviews_per_s"][stem], 2)
                for stem, rate in results[name]["per_file_reviews_per_s"].items()
            }
            for name in VARIANTS[1:]
        },
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    print(f"{'variant':<10}{'reviews/s':>11}{'speedup':>9}{'peak MB':>9}  accuracy")
    for name, r in results.items():
        acc = ", ".join(f"{k} {v:.3f}" for k, v in r["accuracy"].items())
        print(
            f"{name:<10}{r['reviews_per_s']:>11}{r['reviews_per_s'] / base:>9.2f}"
            f"{r['peak_rss_mb']:>9}  {acc}"
        )
    print("\nreviews/s per file (speedup against the pipeline)")
    for name, r in results.items():
        rates = r["per_file_reviews_per_s"]
        ratios = summary["speedup_per_file"].get(name, {})
        cells = [f"{stem} {rate} ({ratios.get(stem, 1.0):.2f}x)" for stem, rate in rates.items()]
        print(f"{name:<10}" + ", ".join(cells))


if __name__ == "__main__":
    main()
