"""The learning curve of the trainers' loop: hotel-review accuracy as verdicts are added.

Simulates what the product does: agents give verdicts on in-domain reviews, and
`triage train --labels` retrains the default recipe with them (weighted as in-domain).
The verdicts are simulated with the labels of the real-guest hotel reviews in
`eval/en_hotel_opspam_truthful.jsonl`: a fixed, seeded pool of 200 reviews gives the
verdicts (N = 50, 100, 200, nested), and the other 600 are the evaluation, never seen
in training. That file is for evaluation only (non-commercial licence): the models
trained here are experiments, written to a temporary folder and thrown away; the
shipped model never sees it.

    python -m bench.learning_curve --data-dir ../shared/data [--sizes 50 100 200]
        [--max-per-file 1000] [--json]

With `--max-per-file`, every run (0 verdicts included) caps the rows taken from each public
training file, for a cheaper but still controlled curve; the default model is then reported
as a reference beside the curve.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

OPSPAM = "eval/en_hotel_opspam_truthful.jsonl"
POOL = 200


def _split(data_dir: Path, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows = [json.loads(line) for line in (data_dir / OPSPAM).read_text().splitlines() if line]
    random.Random(seed).shuffle(rows)
    return rows[:POOL], rows[POOL:]


def _write(path: Path, rows: list[dict[str, Any]], *, split: str | None = None) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            record = {
                "id": row["id"],
                "text": row["text"],
                "label": row["label"],
                "lang": row.get("lang", "en"),
                "source": "simulated-verdict",
            }
            if split:
                record["split"] = split
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def _triage(*args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "triage_cli.main", *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout


def _evaluate(model: Path | None, eval_file: Path) -> dict[str, Any]:
    args = ["eval", "--data", str(eval_file), "--json"]
    if model is not None:
        args += ["--model", str(model)]
    result = json.loads(_triage(*args))
    return {
        key: result[key]
        for key in ("n", "accuracy", "macro_f1", "negative_miss_rate", "automation_rate", "ece")
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--max-per-file", type=int, help="cap public rows per training file")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    pool, held_out = _split(args.data_dir, args.seed)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="learning-curve-") as tmp:
        work = Path(tmp)
        eval_file = _write(work / "held_out.jsonl", held_out)
        reference = {"verdicts": "default model", "train_seconds": 0.0}
        results.append({**reference, **_evaluate(None, eval_file)})
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
        sizes = sorted(args.sizes)
        if args.max_per_file:
            sizes = [0, *[n for n in sizes if n]]
        for size in sizes:
            out = work / f"model-{size}"
            command = [
                "train",
                "--data-dir",
                str(args.data_dir),
                "--version",
                f"learning-curve-{size}",
                "--out",
                str(out),
            ]
            if size:
                labels = _write(work / f"verdicts-{size}.jsonl", pool[:size], split="train")
                command += ["--labels", str(labels)]
            if args.max_per_file:
                command += ["--max-per-file", str(args.max_per_file)]
            started = time.perf_counter()
            _triage(*command)
            seconds = time.perf_counter() - started
            results.append(
                {"verdicts": size, "train_seconds": round(seconds), **_evaluate(out, eval_file)}
            )
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"held-out hotel reviews: {len(held_out)} (OpSpam truthful, binary)")
    print("verdicts  accuracy  macro-F1  negative-miss  automation  train time")
    for r in results:
        print(
            f"{r['verdicts']!s:>13}  {r['accuracy']:.4f}    {r['macro_f1']:.4f}    "
            f"{r['negative_miss_rate']:.4f}         {r['automation_rate']:.3f}       "
            f"{r['train_seconds'] // 60:.0f} min {r['train_seconds'] % 60:.0f} s"
        )


if __name__ == "__main__":
    main()
