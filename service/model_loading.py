"""Loading the model the service serves: the real one (batching its callers), or the
keyword double when TRIAGE_MODEL_KIND=keyword."""

from __future__ import annotations

import json
from pathlib import Path

from models import SentimentClassifier
from models.batching import BatchingClassifier, build_off_main_thread
from models.double import KeywordClassifier
from triage.core.settings import Settings


def load_classifier(settings: Settings, model_dir: Path | None = None) -> BatchingClassifier:
    """The real model (a model directory, by default the configured one, on its encoder),
    batching its callers."""
    from models.default import default_model_dir  # torch-free
    from models.transformer import load_classifier as load  # imports torch

    model = build_off_main_thread(
        lambda: load(
            model_dir or settings.model_dir or default_model_dir(),
            encoder=settings.encoder,
            cache_dir=settings.data_dir,
            threads=settings.model_threads,
            engine=settings.model_engine,
        )
    )
    return BatchingClassifier(
        model,
        max_batch=settings.model_batch,
        max_wait=settings.model_batch_wait_ms / 1000,
        nice=settings.model_nice,
    )


def load_keyword_double(model_dir: Path) -> SentimentClassifier:
    """TRIAGE_MODEL_KIND=keyword (tests and demos only): the keyword double, named after
    the `version` in the directory's model.json, so registry versions can be told apart.
    Nothing else in the directory is used."""
    card = model_dir / "model.json"
    version = json.loads(card.read_text(encoding="utf-8"))["version"] if card.is_file() else None
    return KeywordClassifier(version=str(version)) if version else KeywordClassifier()
