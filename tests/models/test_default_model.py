from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.default import default_model_dir
from models.default_recipe import DEV_FILES, EVAL_FILES, TRAIN_FILES
from models.encoder_build import DEFAULT_ENCODER_NAME, sha256_file
from models.model_dir import load_model_dir
from models.transformer import load_classifier
from tests.models.conftest import SHARED_DATA, requires_shared_data


def test_shipped_model_directory_is_complete() -> None:
    directory = load_model_dir(default_model_dir())
    card = directory.card
    assert card.encoder == DEFAULT_ENCODER_NAME
    assert card.version.startswith("e5s-head-")
    assert directory.head.weight.shape == (3, 384)
    assert 0.5 < card.auto_threshold < 1.0 and card.temperature > 0
    notice = (default_model_dir() / "NOTICE").read_text()
    for name in ("Sidarenka 2016", "Cieliebak, Deriu, Egger, Uzdilli 2017", "Kotzias"):
        assert name in notice
    assert {f.name for f in card.data_files} == set(TRAIN_FILES) | set(DEV_FILES)
    assert not {f.name for f in card.data_files} & set(EVAL_FILES)
    assert sorted(p.name for p in default_model_dir().iterdir()) == [
        "NOTICE",
        "head.safetensors",
        "model.json",
    ]


@pytest.mark.shared_data
@requires_shared_data
def test_shipped_model_records_the_shared_data_hashes() -> None:
    card = json.loads((default_model_dir() / "model.json").read_text())
    for record in card["data_files"]:
        assert sha256_file(SHARED_DATA / "train" / record["name"]) == record["sha256"]


@pytest.mark.slow
def test_shipped_model_predicts_hotel_reviews(real_encoder_cache: Path) -> None:
    classifier = load_classifier(default_model_dir(), cache_dir=real_encoder_cache, threads=2)
    happy, unhappy = classifier.predict(
        [
            "Das Zimmer war sauber und das Personal sehr freundlich. Gerne wieder!",
            "Das Zimmer war schmutzig, das Personal unfreundlich. Nie wieder.",
        ]
    )
    assert happy.label == "positive" and unhappy.label == "negative"
    assert happy.model_version == classifier.info.version
    assert [s.label for s in unhappy.sentences] == ["negative", "negative"]
