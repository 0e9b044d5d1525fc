"""Redaction throughput on the import set: `python -m bench.redaction [--data-dir DIR]`.

The 50,000 reviews `triage bench` imports (`bench.texts`: the shared evaluation files'
texts when `--data-dir` holds them, else the repository's hand-written reviews, cycled),
each through `triage.privacy.redaction.redact_counted` as the training export calls it,
in one process on one core. Reported: reviews/s, characters/s, and the counts by kind of
what was found (real reviews hold some: names in signatures, staff names). Nothing of the
texts is printed.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench import machine
from bench.texts import review_texts
from triage.privacy.redaction import redact_counted


def measure(data_dir: Path, count: int, per_file: int = 300) -> dict[str, Any]:
    texts = review_texts(data_dir, per_file)
    reviews = [text for text, _ in texts.reviews]
    replaced: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    characters = 0
    started = time.perf_counter()
    for i in range(count):
        text = reviews[i % len(reviews)]
        characters += len(text)
        result = redact_counted(text)
        replaced.update(result.replaced)
        kept.update(result.kept)
    seconds = time.perf_counter() - started
    return {
        "machine": machine.describe(),
        "texts": {"source": texts.source, "distinct": len(reviews)},
        "reviews": count,
        "seconds": round(seconds, 1),
        "reviews_per_s": round(count / seconds, 1),
        "characters_per_s": round(characters / seconds),
        "mean_characters": round(characters / count),
        "replaced": dict(sorted(replaced.items())),
        "staff_kept": dict(kept),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--count", type=int, default=50_000)
    args = parser.parse_args()
    print(json.dumps(measure(args.data_dir, args.count), indent=2))


if __name__ == "__main__":
    main()
