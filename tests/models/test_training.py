from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.data import read_jsonl
from models.evaluation import evaluate
from models.model_dir import load_model_dir
from models.training import HeadTrainingConfig, train_head
from models.transformer import load_classifier
from tests.models.conftest import write_jsonl

_POSITIVE = ["das zimmer war sauber und gut", "the room was great", "sehr gut und sauber", "great"]
_NEGATIVE = ["das zimmer war schlecht", "the room was bad", "leider kalt und schlecht", "bad"]
_NEUTRAL = ["das zimmer", "the room", "und das war das", "war das"]


def _rows(source: str, suffix: str) -> list[dict[str, str]]:
    rows = []
    for label, texts in (("positive", _POSITIVE), ("negative", _NEGATIVE), ("neutral", _NEUTRAL)):
        for i, text in enumerate(texts):
            rows.append(
                {
                    "id": f"{source}:{label}{i}{suffix}",
                    "text": f"{text}{suffix}",
                    "label": label,
                    "lang": "de",
                    "source": source,
                }
            )
    return rows


def test_train_head_end_to_end(tiny_encoder: Path, tmp_path: Path) -> None:
    train = [
        write_jsonl(tmp_path / "a.jsonl", _rows("sb10k", "") + _rows("sb10k", " !")),
        write_jsonl(tmp_path / "b.jsonl", _rows("uci_yelp", " .")),
    ]
    dev_rows = _rows("potts", " ?")
    dev_rows.append(
        {
            "id": "potts:m",
            "text": "gut und schlecht",
            "label": "mixed",
            "lang": "de",
            "source": "potts",
        }
    )
    dev = [write_jsonl(tmp_path / "dev.jsonl", dev_rows)]
    out = train_head(
        train,
        dev,
        tmp_path / "model",
        encoder_dir=tiny_encoder,
        version="tiny-head-1",
        seed=5,
        config=HeadTrainingConfig(weight_decays=(1e-3,), max_length=24, stride=8, batch_size=4),
    )
    loaded = load_model_dir(out)
    card = loaded.card
    assert card.version == "tiny-head-1"
    assert card.encoder == str(tiny_encoder)
    assert card.temperature > 0
    assert 0.0 <= card.auto_threshold <= 1.0
    assert card.training["seed"] == 5 and card.training["train_rows"] == 36
    assert {f.name for f in card.data_files} == {"a.jsonl", "b.jsonl", "dev.jsonl"}
    assert all(len(f.sha256) == 64 for f in card.data_files)
    assert any("SB10k" in a for a in card.attributions)
    assert any("Kotzias" in a for a in card.attributions)
    assert set(card.metrics) >= {"dev_macro_f1", "dev_accuracy", "dev_ece"}
    raw = json.loads((out / "model.json").read_text())
    assert raw["labels"] == ["negative", "neutral", "positive"]
    assert "Sidarenka" in (out / "NOTICE").read_text()

    classifier = load_classifier(out, cache_dir=tmp_path, threads=1)
    report = evaluate(classifier, read_jsonl(dev[0]))
    assert report["n"] == 12 and report["n_mixed"] == 1
    assert report["model_version"] == "tiny-head-1"
    assert 0.0 <= report["macro_f1"] <= 1.0
    assert sum(sum(row.values()) for row in report["confusion"].values()) == 12
    assert report["per_language"]["de"]["n"] == 12
    # The training signal is learnable: it beats chance on its own dev set.
    assert report["accuracy"] > 0.4


def test_train_head_refuses_empty_data(tiny_encoder: Path, tmp_path: Path) -> None:
    empty = write_jsonl(tmp_path / "empty.jsonl", [])
    with pytest.raises(ValueError, match="labelled rows"):
        train_head([empty], [empty], tmp_path / "m", encoder_dir=tiny_encoder, version="x")
