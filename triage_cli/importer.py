"""`triage import FILE`: CSV or JSONL through the same checks and ingest path as the API."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from tqdm import tqdm

from api.errors import validation_errors
from api.schemas import ReviewCreate, to_new_review
from triage.access.accounts import Principal
from triage.intake.ingest import Accepted, Ingestor, NewReview

_GUEST = ("stay_from", "stay_to", "room", "segment", "booking_reference")


@dataclass
class ImportReport:
    created: int = 0
    existing: int = 0
    failed: int = 0
    problems: list[str] = field(default_factory=list)


def _from_csv(row: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {k: v for k, v in row.items() if k and v not in (None, "")}
    if "rating" in data:
        data["rating"] = {
            "value": float(data.pop("rating")),
            "scale": int(data.pop("rating_scale", "5")),
        }
    guest = {k: data.pop(k) for k in _GUEST if k in data}
    if "guest_email" in data:
        guest["email"] = data.pop("guest_email")
    if guest:
        data["guest"] = guest
    return data


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, row) or (line number, problem) for every record in the file."""
    if path.suffix.lower() == ".csv":
        # utf-8-sig: spreadsheet programs start their UTF-8 CSV with a byte order mark.
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            number = 1  # the header; a quoted field may span lines, so count what was read
            for row in reader:
                try:
                    yield number + 1, _from_csv(row)
                except ValueError as error:
                    yield number + 1, f"bad rating: {error}"
                number = reader.line_num
        return
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                yield number, "not UTF-8"
                continue
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as error:
                yield number, f"not JSON: {error.msg}"
                continue
            yield number, value if isinstance(value, dict) else "not a JSON object"


def count_records(path: Path) -> int:
    with path.open(encoding="utf-8", errors="replace") as handle:
        lines = sum(1 for line in handle if line.strip())
    return lines - 1 if path.suffix.lower() == ".csv" else lines


def import_file(
    path: Path,
    ingestor: Ingestor,
    principal: Principal,
    *,
    batch_size: int = 256,
    progress: bool = True,
) -> ImportReport:
    report = ImportReport()
    batch: list[tuple[int, NewReview]] = []
    bar = tqdm(total=count_records(path), unit="review", disable=not progress, file=sys.stderr)

    def flush() -> None:
        outcomes = ingestor.ingest(principal, [review for _, review in batch])
        for (number, _), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Accepted):
                if outcome.created:
                    report.created += 1
                else:
                    report.existing += 1
            else:
                report.failed += 1
                report.problems.append(f"line {number}: {outcome.error.message}")
        bar.update(len(batch))
        batch.clear()

    for number, row in read_rows(path):
        if isinstance(row, str):
            report.failed += 1
            report.problems.append(f"line {number}: {row}")
            bar.update(1)
            continue
        try:
            batch.append((number, to_new_review(ReviewCreate.model_validate(row))))
        except ValidationError as error:
            report.failed += 1
            details = "; ".join(
                f"{e['field']}: {e['message']}" for e in validation_errors(list(error.errors()))
            )
            report.problems.append(f"line {number}: {details}")
            bar.update(1)
            continue
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    bar.close()
    return report
