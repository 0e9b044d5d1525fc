from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from models.errors import ModelLoadError
from models.model_dir import HEAD_FILE, MODEL_JSON, load_model_dir


def test_round_trip(make_model_dir: Callable[..., Path]) -> None:
    path = make_model_dir(attributions=("SB10k (Cieliebak et al. 2017), CC BY 4.0",))
    loaded = load_model_dir(path)
    assert loaded.card.version == "tiny-test-1"
    assert loaded.card.labels == ("negative", "neutral", "positive")
    assert loaded.card.temperature == 1.5 and loaded.card.auto_threshold == 0.7
    assert loaded.head.weight.shape == (3, 32) and loaded.head.bias.dtype == np.float32
    assert "SB10k" in (path / "NOTICE").read_text()
    assert sorted(p.name for p in path.parent.iterdir()) == ["model"]


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_model_dir(tmp_path / "nope")


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (lambda p: (p / MODEL_JSON).unlink(), "no model.json"),
        (lambda p: (p / MODEL_JSON).write_text("{not json"), "not valid JSON"),
        (lambda p: (p / MODEL_JSON).write_text("[]"), "not a JSON object"),
        (lambda p: (p / HEAD_FILE).unlink(), "missing"),
        (lambda p: (p / HEAD_FILE).write_bytes(b"\x00garbage"), "safetensors"),
        (lambda p: _edit(p, temperature=0.0), "temperature"),
        (lambda p: _edit(p, auto_threshold=1.5), "auto_threshold"),
        (lambda p: _edit(p, labels=["neg", "pos"]), "labels"),
        (lambda p: _edit(p, format_version=99), "format_version"),
        (lambda p: _edit(p, surprise=1), "fields"),
    ],
)
def test_corrupt_directory_raises_model_load_error(
    make_model_dir: Callable[..., Path], corrupt: Callable[[Path], object], message: str
) -> None:
    path = make_model_dir()
    corrupt(path)
    with pytest.raises(ModelLoadError, match=message):
        load_model_dir(path)


def _edit(path: Path, **changes: object) -> None:
    raw = json.loads((path / MODEL_JSON).read_text())
    raw.update(changes)
    (path / MODEL_JSON).write_text(json.dumps(raw))
