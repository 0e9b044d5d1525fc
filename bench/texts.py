"""The review texts every benchmark uses: real evaluation rows, or the repository's own.

With the shared data folder (`--data-dir`, default `../shared/data`) the rows are
the same evenly spread sample `bench.model_speed.sample` takes (OpSpam hotel
reviews, SB10k and PotTS); without it (a user's clone) they are the hand-written
hotel reviews in `models/datasets/hotel_reviews`. Texts are never logged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

LABELS = ("negative", "neutral", "positive")
#: The evaluation files `bench.model_speed` samples, in its order.
SHARED_FILES = (
    "eval/en_hotel_opspam_truthful.jsonl",
    "eval/de_sb10k_test.jsonl",
    "eval/de_potts_test.jsonl",
)
HOTEL_REVIEWS = Path(__file__).resolve().parents[1] / "models" / "datasets" / "hotel_reviews"
HOTEL_FILES = ("en_test.jsonl", "de_test.jsonl", "en_dev.jsonl", "de_dev.jsonl")


@dataclass(frozen=True, slots=True)
class ReviewTexts:
    """Rows of `{"text", "label", "file"}` and where they came from."""

    rows: list[dict[str, str]]
    source: str  # "shared" or "hotel_reviews"

    @property
    def texts(self) -> list[str]:
        return [r["text"] for r in self.rows]

    @property
    def reviews(self) -> list[tuple[str, str | None]]:
        """(text, language hint) per row, as a hotel system would send them."""
        return [(r["text"], r.get("lang")) for r in self.rows]


def _read(path: Path) -> list[dict[str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _spread(rows: list[dict[str, str]], limit: int) -> list[dict[str, str]]:
    step = max(1, len(rows) // limit)
    return rows[::step][:limit]


def has_shared_data(data_dir: Path) -> bool:
    return all((data_dir / name).is_file() for name in SHARED_FILES)


def review_texts(data_dir: Path, per_file: int) -> ReviewTexts:
    """`per_file` rows of each file, spread evenly over it (deterministic)."""
    rows: list[dict[str, str]] = []
    if has_shared_data(data_dir):
        for name in SHARED_FILES:
            labelled = [r for r in _read(data_dir / name) if r["label"] in LABELS]
            rows += [{**r, "file": name} for r in _spread(labelled, per_file)]
        return ReviewTexts(rows, "shared")
    for name in HOTEL_FILES:
        rows += [{**r, "file": name} for r in _spread(_read(HOTEL_REVIEWS / name), per_file)]
    return ReviewTexts(rows, "hotel_reviews")


def write_rows(rows: list[dict[str, str]], path: Path) -> Path:
    """The rows as JSONL, for the worker processes (which must all read the same texts)."""
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def write_import_file(
    reviews: list[tuple[str, str | None]], count: int, property_id: str, path: Path
) -> Path:
    """`count` reviews in `triage import`'s JSONL format, cycling `reviews`, unique ids."""
    with path.open("w", encoding="utf-8") as handle:
        for i in range(count):
            text, language = reviews[i % len(reviews)]
            record = {
                "property_id": property_id,
                "source": "other",
                "external_id": f"bench-import-{i:07d}",
                "text": text,
                **({"language": language} if language else {}),
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path
