"""Language decisions on short reviews: the service's rule against langdetect alone.

Reads the hand-written `models/datasets/language/short_reviews.jsonl` (German,
English and eleven other languages, 1-20 words) and, to check that longer reviews
do not suffer, the hand-written hotel test reviews (`de_test`, `en_test`). Every
text is decided without a hint, as the service is checked. Reports per rule:

- `de`, `en`: share read as that language with no problem (a person need not look);
- `other_to_person`: share of the other languages sent to a person (any problem);
- `other_named`: share of them refused under their own language code;
- `ms_mean`, `ms_p95`: milliseconds per text, after a warm-up.

"before" is the rule the service had: langdetect (seeded) on texts of 12 letters or
more, its best language if at least 70% sure. Texts are never printed.

    python -m bench.language_short [--json]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

from triage.intake.language import SUPPORTED, LanguageDecision, decide_language, warm_up

DATASETS = Path(__file__).resolve().parents[1] / "models" / "datasets"
SHORT = DATASETS / "language" / "short_reviews.jsonl"
LONGER = (
    DATASETS / "hotel_reviews" / "de_test.jsonl",
    DATASETS / "hotel_reviews" / "en_test.jsonl",
)

Rule = Callable[[str, str | None], LanguageDecision]
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Row:
    text: str
    lang: str


def read_rows(path: Path) -> list[Row]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Row(r["text"], r["lang"]) for r in map(json.loads, filter(str.strip, lines))]


def langdetect_alone(text: str, hint: str | None) -> LanguageDecision:
    """The rule before py3langid and the priors (hints ignored: the bench gives none)."""
    if len(_LETTERS.findall(text)) < 12:
        return LanguageDecision(None, "too short", "detector")
    DetectorFactory.seed = 0
    try:
        best = detect_langs(text)[0]
    except LangDetectException:
        return LanguageDecision(None, "no features", "detector")
    language, confidence = str(best.lang), float(best.prob)
    if language not in SUPPORTED:
        return LanguageDecision(language, "unsupported", "detector")
    if confidence < 0.7:
        return LanguageDecision(None, "unclear", "detector")
    return LanguageDecision(language, None, "detector")


def measure(rule: Rule, rows: Sequence[Row]) -> dict[str, Any]:
    """Shares right per group and time per text for one rule over the rows."""
    for row in rows[:20]:
        rule(row.text, None)
    decisions: list[LanguageDecision] = []
    times: list[float] = []
    for row in rows:
        start = time.perf_counter()
        decisions.append(rule(row.text, None))
        times.append((time.perf_counter() - start) * 1000)
    result: dict[str, Any] = {}
    for lang in SUPPORTED:
        read = [
            d.problem is None and d.language == lang
            for r, d in zip(rows, decisions, strict=True)
            if r.lang == lang
        ]
        if read:
            result[lang] = _share(read)
    others = [(r, d) for r, d in zip(rows, decisions, strict=True) if r.lang not in SUPPORTED]
    if others:
        result["other_to_person"] = _share([d.problem is not None for _, d in others])
        result["other_named"] = _share(
            [d.problem is not None and d.language == r.lang for r, d in others]
        )
    result["ms_mean"] = round(float(np.mean(times)), 3)
    result["ms_p95"] = round(float(np.percentile(times, 95)), 3)
    result["texts"] = len(rows)
    return result


def _share(hits: list[bool]) -> float:
    return round(sum(hits) / len(hits), 3)


def run() -> dict[str, Any]:
    warm_up()
    short = read_rows(SHORT)
    longer = [row for path in LONGER for row in read_rows(path)]
    rules: dict[str, Rule] = {"before": langdetect_alone, "service": decide_language}
    return {
        name: {"short": measure(rule, short), "longer": measure(rule, longer)}
        for name, rule in rules.items()
    }


def markdown(result: dict[str, Any]) -> str:
    columns = ("de", "en", "other_to_person", "other_named", "ms_mean", "ms_p95", "texts")
    lines = ["| rule | set | " + " | ".join(columns) + " |", "|---" * (len(columns) + 2) + "|"]
    for name, sets in result.items():
        for kind, figures in sets.items():
            cells = [str(figures.get(c, "")) for c in columns]
            lines.append(f"| {name} | {kind} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = run()
    print(json.dumps(result, indent=2) if args.json else markdown(result))


if __name__ == "__main__":
    main()
