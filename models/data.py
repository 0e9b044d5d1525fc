"""Labelled sentiment data: the JSONL rows, their hashes and licence attributions."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from models.errors import ModelError
from models.prediction import LABELS

logger = logging.getLogger(__name__)

#: PotTS marks texts that carry both polarities as `mixed`. The 3-label head is
#: not trained on them; when choosing the auto-handling threshold they count as
#: texts a person must see (like negatives), because they contain a complaint.
MIXED = "mixed"
ALL_LABELS: tuple[str, ...] = (*LABELS, MIXED)

#: Attribution for each corpus, keyed by the prefix of a row's `source`.
ATTRIBUTIONS: dict[str, str] = {
    "potts": "PotTS, Potsdam Twitter Sentiment Corpus (Sidarenka 2016), MIT licence",
    "sb10k": "SB10k (Cieliebak, Deriu, Egger, Uzdilli 2017), CC BY 4.0",
    "guest-triage-handwritten": (
        "Hotel reviews written by hand for Guest Triage (models/datasets/hotel_reviews), "
        "same licence as the project"
    ),
    "guest-triage-handwritten-sentences": (
        "Hotel review sentences written by hand for Guest Triage "
        "(models/datasets/hotel_sentences), same licence as the project"
    ),
    "guest-triage-verdict": "Verdicts of the operator's own staff (the service's database)",
    "uci": (
        "Sentiment Labelled Sentences (Kotzias, Denil, de Freitas, Smyth 2015), "
        "UCI Machine Learning Repository, CC BY 4.0"
    ),
}


#: Sources of hotel-like rows (hand-written hotel reviews, the operator's verdicts): the
#: data the per-language auto thresholds are derived on. Sentence rows are apart.
HOTEL_SOURCES = ("guest-triage-handwritten", "guest-triage-verdict")
SENTENCE_SOURCE = "guest-triage-handwritten-sentences"


def is_hotel_review(row: LabelledText) -> bool:
    return row.source != SENTENCE_SOURCE and row.source.startswith(HOTEL_SOURCES)


def is_hotel_sentence(row: LabelledText) -> bool:
    return row.source == SENTENCE_SOURCE


class DataFormatError(ModelError):
    """A data file is not the expected JSONL shape."""


@dataclass(frozen=True, slots=True)
class LabelledText:
    id: str
    text: str
    label: str
    lang: str
    source: str


def read_jsonl(path: Path) -> list[LabelledText]:
    """Read `{"id","text","label","lang","source"}` rows; fail loudly on bad rows."""
    rows: list[LabelledText] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                row = LabelledText(
                    id=str(raw["id"]),
                    text=str(raw["text"]),
                    label=str(raw["label"]),
                    lang=str(raw["lang"]),
                    source=str(raw["source"]),
                )
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise DataFormatError(f"{path}:{number}: not a labelled row ({exc})") from exc
            if row.label not in ALL_LABELS:
                raise DataFormatError(f"{path}:{number}: unknown label {row.label!r}")
            rows.append(row)
    return rows


def write_jsonl(path: Path, rows: Iterable[LabelledText]) -> None:
    """Write rows in the shape `read_jsonl` reads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            record = {"id": row.id, "text": row.text, "label": row.label}
            record |= {"lang": row.lang, "source": row.source}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def attribution_for(source: str) -> str:
    """The attribution text of a row source such as `sb10k` or `uci_yelp`."""
    if source in ATTRIBUTIONS:
        return ATTRIBUTIONS[source]
    key = source.split("_", 1)[0].split(":", 1)[0]
    if key in ATTRIBUTIONS:
        return ATTRIBUTIONS[key]
    logger.warning("no licence attribution on record for data source %s", source)
    return f"{source}: no attribution on record"


def attributions_for(rows: Iterable[LabelledText]) -> list[str]:
    """Sorted, unique attributions of the sources used by `rows`."""
    return sorted({attribution_for(row.source) for row in rows})


@dataclass(frozen=True, slots=True)
class LabelledFile:
    """A data file's rows and the SHA-256 of the file (recorded in model.json)."""

    path: Path
    sha256: str
    rows: list[LabelledText]


def load_files(paths: Sequence[Path], *, max_per_file: int | None, seed: int) -> list[LabelledFile]:
    """Read files, optionally sampling `max_per_file` rows from each (seeded)."""
    import numpy as np

    from models.encoder_build import sha256_file

    rng = np.random.default_rng(seed)
    files = []
    for path in paths:
        rows = read_jsonl(path)
        if max_per_file is not None and len(rows) > max_per_file:
            keep = np.sort(rng.choice(len(rows), size=max_per_file, replace=False))
            rows = [rows[int(i)] for i in keep]
        files.append(LabelledFile(path=path, sha256=sha256_file(path), rows=rows))
    return files
