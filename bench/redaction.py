"""Redaction throughput on the import set: `python -m bench.redaction [--data-dir DIR]`.

The 50,000 reviews `triage bench` imports (`bench.texts`: the shared evaluation files'
texts when `--data-dir` holds them, else the repository's hand-written reviews, cycled),
through `triage.privacy.redaction.redact_many` as the training export calls it, in one
process: the rules alone (`--redact-rules-only`, one core) on `--count` reviews, and the
rules with the shipped name tagger (the default; the encoder on the machine's cores) on
`--tagger-count` of them. Reported: reviews/s, characters/s, peak RSS, and the counts by kind
of what was found (real reviews hold some: names in signatures, staff names). Nothing of
the texts is printed.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench import machine
from bench.texts import review_texts
from triage.privacy.redaction import NameReader, redact_many


def measure(reviews: list[str], count: int, reader: NameReader | None) -> dict[str, Any]:
    batch = [reviews[i % len(reviews)] for i in range(count)]
    replaced: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    started = time.perf_counter()
    for result in redact_many(batch, reader=reader):
        replaced.update(result.replaced)
        kept.update(result.kept)
    seconds = time.perf_counter() - started
    characters = sum(map(len, batch))
    return {
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
    parser.add_argument("--tagger-count", type=int, default=2_000)
    parser.add_argument(
        "--cache-dir", type=Path, default=Path("var"), help="where the encoder is (TRIAGE_DATA_DIR)"
    )
    args = parser.parse_args()
    texts = review_texts(args.data_dir, 300)
    reviews = [text for text, _ in texts.reviews]
    out: dict[str, Any] = {
        "machine": machine.describe(),
        "texts": {"source": texts.source, "distinct": len(reviews)},
        "rules": measure(reviews, args.count, None),
    }
    if args.tagger_count:
        from models.name_tagger import load_default

        tagger = load_default(args.cache_dir)
        out["rules_and_name_tagger"] = measure(reviews, args.tagger_count, tagger)
        out["rules_and_name_tagger"]["peak_rss_mb"] = round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        )
        per_s = out["rules_and_name_tagger"]["reviews_per_s"]
        out["rules_and_name_tagger"]["minutes_for_count"] = round(args.count / per_s / 60, 1)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
