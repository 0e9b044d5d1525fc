"""`triage eval` and `triage train`: the model commands, composed from models/ and triage/."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

from models.calibration import automation_at_miss_rate
from models.data import LabelledText, read_jsonl
from models.evaluation import predict_all, probabilities, reliability, report
from models.prediction import LABELS, Prediction, SentimentClassifier
from triage.core.errors import InvalidInput
from triage.core.settings import Settings
from triage.decisions.policy import policy_for
from triage.decisions.routing import ReviewFacts, decide
from triage.intake.language import decide_language
from triage.storage.db import make_engine, make_session_factory, unit_of_work
from triage.storage.tables import Label, Review

log = logging.getLogger(__name__)

#: The in-repository hand-written hotel reviews (see its README).
DATASETS = Path(__file__).resolve().parents[1] / "models" / "datasets"
HOTEL_DATA = DATASETS / "hotel_reviews"
DEFAULT_TRAIN = ("train/de_sb10k.jsonl", "train/de_potts.jsonl", "train/en_uci_sentences.jsonl")
DEFAULT_DEV = ("train/de_sb10k_dev.jsonl", "train/de_potts_dev.jsonl")
#: The in-repository hand-written hotel data (paths under `DATASETS`; see their READMEs).
HOTEL_TRAIN = (
    "hotel_reviews/de_train.jsonl",
    "hotel_reviews/en_train.jsonl",
    "hotel_reviews/de_train_b.jsonl",
    "hotel_reviews/en_train_b.jsonl",
    "hotel_sentences/de_sentences_train.jsonl",
    "hotel_sentences/en_sentences_train.jsonl",
    "hotel_sentences/de_sentences_train_b.jsonl",
    "hotel_sentences/en_sentences_train_b.jsonl",
)
HOTEL_DEV = (
    "hotel_reviews/de_dev.jsonl",
    "hotel_reviews/en_dev.jsonl",
    "hotel_reviews/de_dev_b.jsonl",
    "hotel_reviews/en_dev_b.jsonl",
    "hotel_sentences/de_sentences_dev.jsonl",
    "hotel_sentences/en_sentences_dev.jsonl",
)


def routed(
    predictions: list[Prediction], rows: list[LabelledText], classifier: SentimentClassifier
) -> dict[str, Any]:
    """Automation and misses as the router decides (language detected from the text, the
    model's threshold for that language, safety terms, complaint passages).

    `positive_automation_rate` is the share of positive texts auto-handled;
    `positive_automation_at_1pct_miss` the same at the loosest threshold that would
    auto-handle at most 1% of the texts a person must see (negative and mixed), read off
    the decisions' `auto_score`: how well the router ranks, apart from the threshold."""
    now = datetime.now(UTC)
    auto = []
    scores = []
    reasons: dict[str, int] = {}
    languages: dict[str, int] = {}
    for prediction, row in zip(predictions, rows, strict=True):
        language = decide_language(row.text, None)
        languages[language.language or "unknown"] = (
            languages.get(language.language or "unknown", 0) + 1
        )
        policy = policy_for(None, classifier, language.language)
        facts = ReviewFacts(
            text=row.text,
            received_at=now,
            language=language.language,
            language_problem=language.problem,
        )
        decision = decide(prediction, facts, policy)
        auto.append(decision.route == "auto")
        scores.append(-1.0 if decision.auto_score is None else decision.auto_score)
        for reason in decision.reasons:
            reasons[reason.code] = reasons.get(reason.code, 0) + 1
    is_auto = np.array(auto, dtype=bool)
    negative = np.array([row.label == "negative" for row in rows], dtype=bool)
    mixed = np.array([row.label == "mixed" for row in rows], dtype=bool)
    positive = np.array([row.label == "positive" for row in rows], dtype=bool)
    oracle, oracle_threshold = automation_at_miss_rate(np.array(scores), positive, negative | mixed)
    return {
        "automation_rate": float(is_auto.mean()) if len(rows) else 0.0,
        "positive_automation_rate": float(is_auto[positive].mean()) if positive.any() else 0.0,
        "negative_miss_rate": float(is_auto[negative].mean()) if negative.any() else 0.0,
        "mixed_miss_rate": float(is_auto[mixed].mean()) if mixed.any() else 0.0,
        "positive_automation_at_1pct_miss": oracle,
        "threshold_at_1pct_miss": oracle_threshold,
        "languages_detected": dict(sorted(languages.items())),
        "reasons": dict(sorted(reasons.items())),
    }


def evaluate_rows(classifier: SentimentClassifier, rows: list[LabelledText]) -> dict[str, Any]:
    """The `triage eval` report for labelled rows: the model's view and the router's."""
    predictions, ms = predict_all(classifier, [row.text for row in rows])
    probs = probabilities(predictions)
    result = report(probs, rows, auto_threshold=classifier.info.auto_threshold)
    result.update(routed(predictions, rows, classifier))
    result["model_version"] = classifier.info.version
    result["ms_per_text"] = round(ms, 2)
    result["_probs"] = probs
    return result


def evaluate_file(
    classifier: SentimentClassifier, data: Path, *, plots: Path | None = None
) -> dict[str, Any]:
    rows = read_jsonl(data)
    result = evaluate_rows(classifier, rows)
    probs = result.pop("_probs")
    result["data"] = data.name
    if plots is not None:
        from models.plots import confusion_png, reliability_png

        plots.mkdir(parents=True, exist_ok=True)
        title = f"{data.stem} · {classifier.info.version}"
        confusion_png(result["confusion"], title, plots / f"{data.stem}-confusion.png")
        scored = [i for i, row in enumerate(rows) if row.label in LABELS]
        gold = np.array([LABELS.index(rows[i].label) for i in scored], dtype=np.int64)
        reliability_png(
            reliability(probs[scored], gold),
            result["ece"],
            title,
            plots / f"{data.stem}-reliability.png",
        )
    return result


def table(result: dict[str, Any]) -> str:
    lines = [
        f"{result['data']} — model {result['model_version']} ({result['task']}, "
        f"n={result['n']}, mixed={result['n_mixed']})",
        f"  accuracy          {result['accuracy']:.4f}",
        f"  macro-F1          {result['macro_f1']:.4f}",
        f"  negative recall   {result['negative_recall']:.4f}",
        f"  ECE               {result['ece']:.4f}",
        f"  automation rate   {result['automation_rate']:.4f}  (router; model alone "
        f"{result['model_automation_rate']:.4f} at P(pos) >= {result['auto_threshold']:.3f})",
        f"  negative miss     {result['negative_miss_rate']:.4f}  (model alone "
        f"{result['model_negative_miss_rate']:.4f})",
        f"  praise automated  {result['positive_automation_rate']:.4f}  (at <= 1% miss "
        f"{result['positive_automation_at_1pct_miss']:.4f})",
        f"  ROC AUC           {result['roc_auc']:.4f}",
        f"  ms per text       {result['ms_per_text']}",
        "  per language:",
    ]
    for lang, block in result["per_language"].items():
        lines.append(
            f"    {lang}: n={block['n']} accuracy {block['accuracy']:.4f} "
            f"macro-F1 {block['macro_f1']:.4f}"
        )
    labels = result["labels"]
    lines.append("  confusion (rows true, columns predicted):")
    lines.append("    " + " ".join(f"{label:>9}" for label in ["", *labels]))
    for gold in labels:
        cells = " ".join(f"{result['confusion'][gold][p]:>9}" for p in labels)
        lines.append(f"    {gold:>9} {cells}")
    return "\n".join(lines)


def load_for_cli(settings: Settings, model_dir: Path | None) -> SentimentClassifier:
    from models.default import default_model_dir
    from models.transformer import load_classifier

    return load_classifier(
        model_dir or settings.model_dir or default_model_dir(),
        encoder=settings.encoder,
        cache_dir=settings.data_dir,
        threads=settings.model_threads,
        engine=settings.model_engine,
    )


def verdict_rows(settings: Settings) -> list[LabelledText]:
    """The current human label of every labelled review (latest label wins)."""
    engine = make_engine(settings.effective_database_url)
    sessions = make_session_factory(engine)
    rows: dict[int, LabelledText] = {}
    with unit_of_work(sessions) as s:
        query = (
            select(Label, Review)
            .join(Review, Review.id == Label.review_id)
            .where(Review.text.is_not(None))
            .order_by(Label.id)
        )
        for label, review in s.execute(query):
            rows[review.id] = LabelledText(
                id=f"review:{review.id}",
                text=review.text or "",
                label=label.label,
                lang=review.language or "",
                source="guest-triage-verdict",
            )
    engine.dispose()
    return list(rows.values())


def exported_label_rows(path: Path) -> tuple[list[LabelledText], list[LabelledText]]:
    """Rows of a `triage export --training` file, as in-domain training and validation rows
    (its `split`); their source marks them as the operator's own verdicts."""
    train: list[LabelledText] = []
    dev: list[LabelledText] = []
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
                    lang=str(raw.get("lang") or ""),
                    source="guest-triage-verdict",
                )
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise InvalidInput(f"{path}:{number}: not an exported label row ({exc})") from exc
            if row.label not in LABELS:
                raise InvalidInput(f"{path}:{number}: unknown label {row.label!r}")
            (dev if raw.get("split") == "dev" else train).append(row)
    return train, dev


def default_files(data_dir: Path) -> tuple[list[Path], list[Path]]:
    train = [data_dir / name for name in DEFAULT_TRAIN]
    dev = [data_dir / name for name in DEFAULT_DEV]
    train += [DATASETS / name for name in HOTEL_TRAIN if (DATASETS / name).is_file()]
    dev += [DATASETS / name for name in HOTEL_DEV if (DATASETS / name).is_file()]
    return train, dev


def dumps(result: dict[str, Any]) -> str:
    return json.dumps(result, indent=2, ensure_ascii=False)
