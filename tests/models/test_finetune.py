"""Partial fine-tuning on a tiny encoder: adapters train, ship, merge, and calibrate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from models.adapter import ADAPTER_FILE, AdapterSpec, attach, export, merge_file, save
from models.data import read_jsonl
from models.embedding import TextEncoder
from models.errors import ModelLoadError
from models.finetune import EncoderParts, FineTuneConfig, pooled
from models.model_dir import load_model_dir
from models.recipe import train_model
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


TINY = FineTuneConfig(
    first_trained_layer=1, rank=4, alpha=8.0, epochs=2, batch_size=4, max_length=24, lr=5e-3
)


def _data(tmp_path: Path) -> tuple[list[Path], list[Path]]:
    train_rows = _rows("sb10k", "") + _rows("potts", " !")
    train_rows.append(
        {
            "id": "potts:m1",
            "text": "gut aber schlecht",
            "label": "mixed",
            "lang": "de",
            "source": "potts",
        }
    )
    train_rows.append(
        {
            "id": "h:1",
            "text": "the room was bad",
            "label": "negative",
            "lang": "en",
            "source": "guest-triage-handwritten",
        }
    )
    dev_rows = _rows("sb10k", " ?")
    return (
        [write_jsonl(tmp_path / "train.jsonl", train_rows)],
        [
            write_jsonl(tmp_path / "dev_a.jsonl", dev_rows),
            write_jsonl(tmp_path / "dev_b.jsonl", _rows("potts", " .")),
        ],
    )


def train_tiny(tiny_encoder: Path, tmp_path: Path, version: str) -> Path:
    """The tiny recipe end to end: train, calibrate, write a model directory."""
    train, dev = _data(tmp_path)
    return train_model(
        train,
        dev,
        tmp_path / "model",
        cache_dir=tmp_path,
        version=version,
        encoder=str(tiny_encoder),
        config=TINY,
        inference_max_length=24,
        inference_stride=8,
    )


def test_train_model_writes_a_calibrated_adapter_model(tiny_encoder: Path, tmp_path: Path) -> None:
    out = train_tiny(tiny_encoder, tmp_path, "tiny-lora-1")
    card = load_model_dir(out).card
    assert (out / ADAPTER_FILE).is_file() and card.adapter == ADAPTER_FILE
    assert card.version == "tiny-lora-1" and card.temperature > 0
    assert 0.0 <= card.auto_threshold <= 1.0
    assert {"auto_threshold_dev_a", "auto_threshold_dev_b"} <= set(card.metrics)
    assert card.auto_threshold == max(
        card.metrics["auto_threshold_dev_a"], card.metrics["auto_threshold_dev_b"]
    )
    assert [h["epoch"] for h in card.training["history"]] == [1, 2]
    assert card.training["train_rows"] == 26 and card.training["seed"] == 13
    assert any("Guest Triage" in a for a in card.attributions)
    assert json.loads((out / "model.json").read_text())["adapter"] == ADAPTER_FILE
    classifier = load_classifier(out, cache_dir=tmp_path, threads=1)
    (prediction,) = classifier.predict(["Das zimmer war sauber und gut. The room was bad."])
    assert prediction.model_version == "tiny-lora-1"
    assert abs(sum(prediction.probabilities.values()) - 1) < 1e-6
    assert len(prediction.sentences) == 2
    rows = read_jsonl(tmp_path / "dev_a.jsonl")
    assert len(classifier.predict([r.text for r in rows])) == len(rows)


def test_merged_adapter_equals_the_trained_model(tiny_encoder: Path, tmp_path: Path) -> None:
    """What is trained (LoRA modules) and what is served (merged weights) agree."""
    torch.manual_seed(0)
    trained = TextEncoder.load(str(tiny_encoder), cache_dir=tmp_path, max_length=60, stride=8)
    spec = AdapterSpec(first_layer=1, rank=4, alpha=8.0)
    params = attach(trained.model, spec)
    with torch.no_grad():
        for p in params:
            p.add_(torch.randn_like(p) * 0.05)
    texts = ["das zimmer war gut", "the room was bad und kalt"]
    parts = EncoderParts(trained.model, 1)
    sequences = trained.training_inputs(texts, 60)
    assert all(len(s) < 60 for s in sequences), "one window each, no truncation"
    trained.model.eval()
    with torch.inference_mode():
        states = [
            parts.bottom(torch.tensor([s]), torch.ones(1, len(s), dtype=torch.long))[0]
            for s in sequences
        ]
        expected = pooled(parts, states).numpy()
    save(tmp_path / "adapter.safetensors", export(trained.model, spec), spec)

    served = TextEncoder.load(
        str(tiny_encoder), cache_dir=tmp_path, normalize=False, max_length=60, stride=8
    )
    assert merge_file(served.model, tmp_path / "adapter.safetensors") == spec
    got = served.embed(texts)
    # embed() returns the token-weighted mean of window vectors, normalised per text
    got = got * np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_adapter_for_another_encoder_is_refused(tiny_encoder: Path, tmp_path: Path) -> None:
    encoder = TextEncoder.load(str(tiny_encoder), cache_dir=tmp_path, max_length=24, stride=8)
    bogus = {
        "lora.encoder.layer.9.attention.self.query.weight.A": torch.zeros(4, 32),
        "lora.encoder.layer.9.attention.self.query.weight.B": torch.zeros(32, 4),
    }
    save(tmp_path / "bad.safetensors", bogus, AdapterSpec(9, 4, 8.0))
    with pytest.raises(ModelLoadError, match="does not fit"):
        merge_file(encoder.model, tmp_path / "bad.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ModelLoadError, match="not a readable adapter"):
        merge_file(encoder.model, tmp_path / "junk.safetensors")


def test_recalibrate_refits_on_new_validation_files(tiny_encoder: Path, tmp_path: Path) -> None:
    from models.recipe import recalibrate

    out = train_tiny(tiny_encoder, tmp_path, "tiny-lora-2")
    before = load_model_dir(out).card
    other = write_jsonl(tmp_path / "dev_c.jsonl", _rows("sb10k", " ..."))
    recalibrate(out, [other], cache_dir=tmp_path, tune_offsets=True)
    after = load_model_dir(out).card
    assert after.version == before.version and after.adapter == before.adapter
    assert (out / ADAPTER_FILE).is_file()
    assert {f.name for f in after.data_files if f.role == "dev"} == {"dev_c.jsonl"}
    assert {f.name for f in after.data_files if f.role == "train"} == {"train.jsonl"}
    assert "auto_threshold_dev_c" in after.metrics and "auto_threshold_dev_a" not in after.metrics
    assert after.auto_threshold == after.metrics["auto_threshold_dev_c"]
    assert {"class_offset_negative", "class_offset_neutral"} <= set(after.metrics)


def test_class_offsets_raise_macro_f1_on_skewed_scores() -> None:
    from models.calibration import macro_f1
    from models.recipe import fit_class_offsets

    rng = np.random.default_rng(0)
    gold = rng.integers(0, 3, 600)
    logits = np.eye(3)[gold] * 2.0 + rng.normal(0, 1.0, (600, 3))
    logits[:, 1] -= 1.5  # the model under-predicts neutral
    owner = np.array(["a"] * 300 + ["b"] * 300)
    offsets = fit_class_offsets(logits, gold, owner)
    before = macro_f1(logits.argmax(axis=1), gold, 3)
    after = macro_f1((logits + offsets).argmax(axis=1), gold, 3)
    assert offsets[2] == 0.0 and offsets[1] > 0.5
    assert after > before + 0.05
