"""`triage eval-touchpoints`: touchpoint detection measured on hand-labelled sentences.

Each line of the data file: `{"id", "text", "lang", "touchpoints": [...], "sentiment"}`.
Every sentence goes through the served model's real path (`predict`); its touchpoints
are the union over the sentence's spans. Reports micro-F1 (with precision and recall),
per language and per touchpoint, and the lexicon-only and similarity-only ablations.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from models.touchpoints import TOUCHPOINTS, DetectorConfig, lexicon_hits, micro_f1
from triage.errors import InvalidInput


def read_rows(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            codes = list(row["touchpoints"])
            text = str(row["text"])
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InvalidInput(f"{path}:{number}: not a touchpoint row ({exc})") from exc
        unknown = set(codes) - set(TOUCHPOINTS)
        if unknown:
            raise InvalidInput(f"{path}:{number}: unknown touchpoints {sorted(unknown)}")
        rows.append({"text": text, "lang": row.get("lang", ""), "touchpoints": codes})
    return rows


def evaluate(classifier: Any, rows: list[dict[str, Any]], config: DetectorConfig) -> dict[str, Any]:
    """The classifier must be a `TransformerClassifier` (it embeds and scores sentences)."""
    from models.touchpoints import semantic_touchpoints

    classifier._detector = config  # the detector settings under evaluation
    texts = [row["text"] for row in rows]
    predictions = classifier.predict(texts)
    prototypes = classifier.prototypes()
    similarities = prototypes.similarities(classifier.embed(texts))
    gold = [row["touchpoints"] for row in rows]
    served = [sorted({c for s in p.sentences for c in s.touchpoints}) for p in predictions]
    lexicon = [sorted({h.touchpoint for h in lexicon_hits(t)}) for t in texts]
    semantic = [semantic_touchpoints(sim, config) for sim in similarities]
    result: dict[str, Any] = {
        "n": len(rows),
        "config": {
            "threshold": config.threshold,
            "relative": config.relative,
            "max_semantic": config.max_semantic,
        },
        **micro_f1(gold, served),
        "lexicon_only": micro_f1(gold, lexicon),
        "similarity_only": micro_f1(gold, semantic),
        "per_language": {},
        "per_touchpoint": {},
    }
    for lang in sorted({row["lang"] for row in rows}):
        idx = [i for i, row in enumerate(rows) if row["lang"] == lang]
        result["per_language"][lang] = {
            "n": len(idx),
            **micro_f1([gold[i] for i in idx], [served[i] for i in idx]),
        }
    for code in TOUCHPOINTS:
        result["per_touchpoint"][code] = micro_f1(
            [[c for c in g if c == code] for g in gold],
            [[c for c in p if c == code] for p in served],
        )
    return result


def sweep(
    classifier: Any, rows: list[dict[str, Any]], base: DetectorConfig
) -> list[dict[str, Any]]:
    """Micro-F1 over a grid of detector settings (for the development set only)."""
    out = []
    for max_semantic in (0, 1, 2):
        for threshold in (0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1):
            config = replace(base, threshold=threshold, max_semantic=max_semantic)
            result = evaluate(classifier, rows, config)
            out.append(
                {
                    "threshold": threshold,
                    "max_semantic": max_semantic,
                    "f1": result["f1"],
                    "precision": result["precision"],
                    "recall": result["recall"],
                }
            )
    return out
