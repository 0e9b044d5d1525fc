"""Loading the model the service serves: the real one (batching its callers), or the
keyword double when TRIAGE_MODEL_KIND=keyword."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from models import SentimentClassifier
from models.batching import BatchingClassifier, build_off_main_thread
from models.double import KeywordClassifier
from triage.core.settings import Settings
from triage.privacy.redaction import NameReader

log = logging.getLogger(__name__)


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


_NAME_READERS: dict[Path, NameReader] = {}
_NAME_READER_LOCK = threading.Lock()


def name_reader(settings: Settings) -> NameReader | None:
    """The name tagger (`models/name_tagger.py`) on the default encoder, loaded on first use
    and kept for the process; None (the rules alone, logged) when it cannot be loaded."""
    with _NAME_READER_LOCK:
        if settings.data_dir not in _NAME_READERS:
            from models import ModelLoadError
            from models.name_tagger import load_default  # imports torch

            try:
                _NAME_READERS[settings.data_dir] = load_default(settings.data_dir)
            except (ModelLoadError, OSError) as exc:
                log.warning("name tagger unavailable, redacting with the rules alone: %s", exc)
                return None
        return _NAME_READERS[settings.data_dir]


def load_keyword_double(model_dir: Path) -> SentimentClassifier:
    """TRIAGE_MODEL_KIND=keyword (tests and demos only): the keyword double, named after
    the `version` in the directory's model.json, so registry versions can be told apart.
    Nothing else in the directory is used."""
    card = model_dir / "model.json"
    version = json.loads(card.read_text(encoding="utf-8"))["version"] if card.is_file() else None
    return KeywordClassifier(version=str(version)) if version else KeywordClassifier()
