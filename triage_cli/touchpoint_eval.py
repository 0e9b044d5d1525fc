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

from models.touchpoint_lexicon import TOUCHPOINTS
from models.touchpoints import DetectorConfig, lexicon_hits, micro_f1
from triage.core.errors import InvalidInput


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


def train_head_dir(
    classifier: Any,
    source: Path,
    out: Path,
    rows: list[dict[str, Any]],
    *,
    version: str,
    dev: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Fit a touchpoint head on labelled sentences and write a new model version: the
    source model directory plus the head (`touchpoints.safetensors`)."""
    import dataclasses
    import shutil
    import tempfile

    from models.model_dir import MODEL_JSON, load_model_dir
    from models.touchpoints import TOUCHPOINT_HEAD_FILE, fit_touchpoint_head

    if not rows:
        raise InvalidInput("no labelled sentences to train on")
    if out.exists():
        raise InvalidInput(f"{out} exists already")
    vectors = classifier.sentence_vectors([row["text"] for row in rows])
    head = fit_touchpoint_head(vectors, [row["touchpoints"] for row in rows])
    report: dict[str, Any] = {"version": version, "train_rows": len(rows)}
    if dev:
        classifier._touchpoint_head = head
        report["dev"] = {
            k: round(v, 4)
            for k, v in evaluate(classifier, dev, classifier._detector).items()
            if k in ("precision", "recall", "f1")
        }
    card = load_model_dir(source).card
    card = dataclasses.replace(
        card,
        version=version,
        touchpoint_head=TOUCHPOINT_HEAD_FILE,
        training={**card.training, "touchpoint_head": report},
    )
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        staging = Path(tmp) / "model"
        shutil.copytree(source, staging)
        head.save(staging / TOUCHPOINT_HEAD_FILE)
        (staging / MODEL_JSON).write_text(card.to_json(), encoding="utf-8")
        staging.rename(out)
    return report
