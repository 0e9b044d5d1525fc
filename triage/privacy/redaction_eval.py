"""The redactor measured on the hand-written, annotated set (`triage/privacy/datasets`).

Each file holds texts separated by a line `---`; a personal span is written
`{KIND|text}`, a span that must stay `{KEEP|text}` (README there). Scored per kind and
language, typed: a gold span counts as found when spans of the same kind cover every one of
its characters; a found span is right when it overlaps a gold span of its kind. Besides:
`leaked`, gold spans (staff names aside) not wholly replaced with `staff=False`, whatever
kind the placeholder says; `keep_hits`, found spans that touch a KEEP span.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triage.privacy import names
from triage.privacy.redaction import KINDS, NameReader, Span, find

DATASETS = Path(__file__).parent / "datasets"
DEFAULT_FILES = (DATASETS / "redaction_de.txt", DATASETS / "redaction_en.txt")
#: Every annotated set the rules were tuned on and the name tagger is trained on; the
#: held-out sets (`heldout_*`, `heldout2_*`, `heldout3_*`) are only ever scored.
DEVELOPMENT_FILES = tuple(
    DATASETS / f"{name}_{lang}.txt"
    for name in ("redaction", "dev2", "dev3", "dev4", "dev5", "dev6", "dev7", "dev8")
    for lang in ("de", "en")
)
HELD_OUT_FILES = tuple(
    DATASETS / f"{name}_{lang}.txt"
    for name in ("heldout", "heldout2", "heldout3", "heldout4")
    for lang in ("de", "en")
)
_MARK = re.compile(r"\{([A-Z]+)\|([^{}|]*)\}")


@dataclass(frozen=True)
class Annotated:
    text: str
    spans: tuple[Span, ...]
    keep: tuple[tuple[int, int], ...]


def parse(markup: str) -> Annotated:
    """One annotated text: the plain text, its personal spans and its KEEP spans."""
    out: list[str] = []
    spans: list[Span] = []
    keep: list[tuple[int, int]] = []
    at = 0
    length = 0
    for m in _MARK.finditer(markup):
        plain = markup[at : m.start()]
        out.append(plain)
        length += len(plain)
        kind, inner = m.group(1), m.group(2)
        if kind != "KEEP" and kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        (
            keep.append((length, length + len(inner)))
            if kind == "KEEP"
            else spans.append(Span(length, length + len(inner), kind))
        )
        out.append(inner)
        length += len(inner)
        at = m.end()
    out.append(markup[at:])
    text = "".join(out)
    if "{" in text or "}" in text:
        raise ValueError(f"unbalanced markup in {markup[:60]!r}")
    return Annotated(text, tuple(spans), tuple(keep))


def read(path: Path) -> list[Annotated]:
    blocks = re.split(r"(?m)^---\s*$", path.read_text(encoding="utf-8"))
    return [parse(block.strip("\n")) for block in blocks if block.strip()]


def name_examples(
    files: list[Path], *, swaps: int = 1, seed: int = 0
) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """The annotated texts as training examples for a reader: each text with its personal
    spans, and (where it names people) `swaps` copies with every name swapped for other
    first names and surnames of the same shape (Faker's lists, `names`), so that the reader
    learns where a name stands rather than which names it saw."""
    rng = random.Random(seed)
    firsts = sorted(n for n in names.first_names() if n not in names.AMBIGUOUS)
    lasts = sorted(names.surnames())
    out: list[tuple[str, list[tuple[int, int, str]]]] = []
    for path in files:
        for item in read(path):
            people = [s for s in item.spans if s.kind in ("NAME", "STAFF")]
            out.append((item.text, [(s.start, s.end, s.kind) for s in item.spans]))
            for _ in range(swaps if people else 0):
                out.append(_swapped(item.text, list(item.spans), rng, firsts, lasts))
    return out


def _swapped(
    text: str, annotated: list[Span], rng: random.Random, firsts: list[str], lasts: list[str]
) -> tuple[str, list[tuple[int, int, str]]]:
    parts: list[str] = []
    spans: list[tuple[int, int, str]] = []
    at = 0
    for span in sorted(annotated, key=lambda s: s.start):
        old = text[span.start : span.end]
        parts.append(text[at : span.start])
        words = old.split()
        if span.kind not in ("NAME", "STAFF") or "." in old or not old[:1].isalpha():
            new = old  # initials stay as they are
        elif len(words) == 1:
            new = rng.choice(firsts if rng.random() < 0.6 else lasts)
        else:
            new = f"{rng.choice(firsts)} {rng.choice(lasts)}"
        if old.islower():
            new = new.lower()
        start = sum(map(len, parts))
        parts.append(new)
        spans.append((start, start + len(new), span.kind))
        at = span.end
    parts.append(text[at:])
    return "".join(parts), spans


def language_of(path: Path) -> str:
    match = re.search(r"_(de|en)\b", path.stem)
    return match.group(1) if match else path.stem


@dataclass
class Tally:
    gold: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    recalled: Counter[str] = field(default_factory=Counter)
    right: Counter[str] = field(default_factory=Counter)
    leaked: int = 0
    personal: int = 0
    keep_hits: int = 0
    texts: int = 0

    def add(self, item: Annotated, predicted: list[Span]) -> None:
        self.texts += 1
        for gold in item.spans:
            self.gold[gold.kind] += 1
            if _covered(gold, [p for p in predicted if p.kind == gold.kind]):
                self.recalled[gold.kind] += 1
            if gold.kind != "STAFF":
                self.personal += 1
                if not _covered(gold, [p for p in predicted if p.kind != "STAFF"]):
                    self.leaked += 1
        for span in predicted:
            self.found[span.kind] += 1
            if any(g.kind == span.kind and _overlap(g.start, g.end, span) for g in item.spans):
                self.right[span.kind] += 1
            if any(_overlap(a, b, span) for a, b in item.keep):
                self.keep_hits += 1

    def as_dict(self) -> dict[str, Any]:
        kinds = {}
        for kind in KINDS:
            if not self.gold[kind] and not self.found[kind]:
                continue
            kinds[kind] = {
                "gold": self.gold[kind],
                "found": self.found[kind],
                "recall": _ratio(self.recalled[kind], self.gold[kind]),
                "precision": _ratio(self.right[kind], self.found[kind]),
            }
        return {
            "texts": self.texts,
            "kinds": kinds,
            "leaked": self.leaked,
            "leak_rate": _ratio(self.leaked, self.personal),
            "keep_hits": self.keep_hits,
        }


def _covered(gold: Span, predicted: list[Span]) -> bool:
    return all(any(p.start <= i < p.end for p in predicted) for i in range(gold.start, gold.end))


def _overlap(start: int, end: int, span: Span) -> bool:
    return span.start < end and start < span.end


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def evaluate(files: list[Path], reader: NameReader | None = None) -> dict[str, Any]:
    """Scores per language (and in all), with the throughput of `find` on these texts (and
    of `reader`, the name reader, when given)."""
    per_language: dict[str, Tally] = {}
    total = Tally()
    seconds = 0.0
    for path in files:
        tally = per_language.setdefault(language_of(path), Tally())
        items = read(path)
        started = time.perf_counter()
        names = reader([i.text for i in items]) if reader else [()] * len(items)
        seconds += time.perf_counter() - started
        for item, read_names in zip(items, names, strict=True):
            started = time.perf_counter()
            predicted = find(item.text, read_names)
            seconds += time.perf_counter() - started
            tally.add(item, predicted)
            total.add(item, predicted)
    return {
        "languages": {lang: t.as_dict() for lang, t in per_language.items()},
        "all": total.as_dict(),
        "texts_per_second": round(total.texts / seconds, 1) if seconds else None,
    }


def misses(files: list[Path], reader: NameReader | None = None) -> list[dict[str, Any]]:
    """Every wrong or missed span, for tuning (prints guest-like text: the set is invented)."""
    out = []
    for path in files:
        items = read(path)
        names = reader([i.text for i in items]) if reader else [()] * len(items)
        for item, read_names in zip(items, names, strict=True):
            predicted = find(item.text, read_names)
            for gold in item.spans:
                if not _covered(gold, [p for p in predicted if p.kind == gold.kind]):
                    out.append(
                        {
                            "miss": gold.kind,
                            "span": item.text[gold.start : gold.end],
                            "got": [
                                (p.kind, item.text[p.start : p.end])
                                for p in predicted
                                if _overlap(gold.start, gold.end, p)
                            ],
                            "text": item.text,
                        }
                    )
            for span in predicted:
                if not any(
                    g.kind == span.kind and _overlap(g.start, g.end, span) for g in item.spans
                ):
                    out.append(
                        {
                            "wrong": span.kind,
                            "span": item.text[span.start : span.end],
                            "text": item.text,
                        }
                    )
    return out
