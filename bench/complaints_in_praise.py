"""Complaints inside praise, tried through the real API: none may be auto-handled.

Posts each review of a labelled file (default: the hand-written short mixed
reviews, `models/datasets/hotel_reviews/mixed_short_test.jsonl`, each praise with
one complaint, its complaint text and touchpoint annotated) to `POST /v1/reviews`
of the real app on a throwaway SQLite database, without a language hint, and
checks what the service stored:

- the route (`auto` is a miss);
- the complaint marked: a stored passage overlapping the annotated complaint is
  negative and carries the annotated touchpoint;
- departments only for negative passages' touchpoints, and the complaint's among them.

    python -m bench.complaints_in_praise [--model DIR] [--data FILE] [--json]

Exit status 1 when any review is auto-handled.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from models.default import default_model_dir
from models.transformer import load_classifier
from service.app import create_app
from triage.access import accounts
from triage.core.settings import Settings
from triage.journeys.journey import DEFAULT_DEPARTMENTS
from triage.storage.db import make_engine, make_session_factory, unit_of_work
from triage.storage.migrate import upgrade

DATA = (
    Path(__file__).resolve().parents[1]
    / "models"
    / "datasets"
    / "hotel_reviews"
    / "mixed_short_test.jsonl"
)


def check(answer: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """What the stored decision says about one annotated review."""
    text = row["text"]
    start = text.index(row["complaint"])
    end = start + len(row["complaint"])
    passages = answer.get("sentences") or []
    hits = [p for p in passages if p["start"] < end and p["end"] > start]
    marked = [p for p in hits if p["label"] == "negative"]
    touchpoint = any(row["touchpoint"] in p.get("touchpoints", []) for p in marked)
    negative_codes = {
        code for p in passages if p["label"] == "negative" for code in p.get("touchpoints", [])
    }
    allowed = {d for code in negative_codes for d in DEFAULT_DEPARTMENTS.get(code, ())}
    departments = set(answer.get("departments") or [])
    wanted = set(DEFAULT_DEPARTMENTS.get(row["touchpoint"], ()))
    return {
        "id": row["id"],
        "lang": row.get("lang"),
        "route": answer["route"],
        "language": answer.get("language"),
        "complaint_negative": bool(marked),
        "complaint_touchpoint": touchpoint,
        "departments_only_negative": departments <= allowed,
        "complaint_department": bool(wanted & departments) if wanted else True,
        "reasons": [r["code"] for r in answer["reasons"]],
    }


def run(model_dir: Path, data: Path, cache_dir: Path) -> dict[str, Any]:
    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines() if line]
    classifier = load_classifier(model_dir, cache_dir=cache_dir)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'check.db'}"
        engine = make_engine(url)
        upgrade(engine)
        with unit_of_work(make_session_factory(engine)) as session:
            accounts.add_property(session, "check-hotel", "Check Hotel")
            key = accounts.create_api_key(session, "bench", ["check-hotel"])[1]
        engine.dispose()
        settings = Settings(database_url=url, data_dir=Path(tmp), load_model=False)
        results = []
        with TestClient(create_app(settings, classifier=classifier)) as client:
            for row in rows:
                answer = client.post(
                    "/v1/reviews",
                    headers={"Authorization": f"Bearer {key}"},
                    json={
                        "property_id": "check-hotel",
                        "source": "survey",
                        "external_id": row["id"],
                        "text": row["text"],
                    },
                )
                answer.raise_for_status()
                results.append(check(answer.json(), row))
    checks = (
        "complaint_negative",
        "complaint_touchpoint",
        "departments_only_negative",
        "complaint_department",
    )
    summary: dict[str, Any] = {
        "model_version": classifier.info.version,
        "reviews": len(results),
        "auto_handled": sum(r["route"] == "auto" for r in results),
        **{k: sum(bool(r[k]) for r in results) for k in checks},
        "by_language": dict(Counter(str(r["lang"]) for r in results)),
        "failures": [r for r in results if r["route"] == "auto" or not all(r[k] for k in checks)],
    }
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--cache-dir", type=Path, default=Path("var"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    summary = run(args.model or default_model_dir(), args.data, args.cache_dir)
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        n = summary["reviews"]
        print(f"model {summary['model_version']}: {n} reviews, praise with one complaint")
        print(f"  auto-handled                      {summary['auto_handled']}")
        for key in (
            "complaint_negative",
            "complaint_touchpoint",
            "departments_only_negative",
            "complaint_department",
        ):
            print(f"  {key:<34}{summary[key]} of {n}")
        for failure in summary["failures"]:
            print(f"  - {json.dumps(failure, ensure_ascii=False)}")
    return 1 if summary["auto_handled"] else 0


if __name__ == "__main__":
    sys.exit(main())
