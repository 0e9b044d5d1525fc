"""`triage eval --json` on a tiny model: the contract outside checks rely on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.models.conftest import write_jsonl
from tests.models.test_finetune import _data, train_tiny
from triage_cli.main import main


@pytest.fixture
def tiny_model(tiny_encoder: Path, tmp_path: Path) -> Path:
    return train_tiny(tiny_encoder, tmp_path, "tiny-eval-1")


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(list(args)) == 0
    return capsys.readouterr().out


def test_eval_json_three_classes(
    tiny_model: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path))
    rows = [
        {"id": "1", "text": "das zimmer war gut", "label": "positive", "lang": "de", "source": "x"},
        {"id": "2", "text": "the room was bad", "label": "negative", "lang": "en", "source": "x"},
        {"id": "3", "text": "das zimmer", "label": "neutral", "lang": "de", "source": "x"},
        {"id": "4", "text": "gut und schlecht", "label": "mixed", "lang": "de", "source": "x"},
    ]
    data = write_jsonl(tmp_path / "eval.jsonl", rows)
    result = json.loads(
        _run(
            capsys,
            "eval",
            "--data",
            str(data),
            "--model",
            str(tiny_model),
            "--json",
            "--plots",
            str(tmp_path / "plots"),
        )
    )
    assert {
        "n",
        "accuracy",
        "macro_f1",
        "negative_recall",
        "per_language",
        "confusion",
        "automation_rate",
        "negative_miss_rate",
        "ece",
    } <= set(result)
    assert (result["n"], result["n_mixed"], result["task"]) == (3, 1, "three_class")
    assert result["model_version"] == "tiny-eval-1"
    assert set(result["per_language"]) == {"de", "en"}
    assert result["per_language"]["de"]["n"] == 2 and result["per_language"]["en"]["n"] == 1
    assert sum(sum(r.values()) for r in result["confusion"].values()) == 3
    assert set(result["confusion"]) == {"negative", "neutral", "positive"}
    for key in ("accuracy", "macro_f1", "automation_rate", "negative_miss_rate", "ece"):
        assert 0.0 <= result[key] <= 1.0
    assert (tmp_path / "plots" / "eval-confusion.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "plots" / "eval-reliability.png").read_bytes()[:4] == b"\x89PNG"


def test_eval_binary_data_uses_the_more_probable_of_two(
    tiny_model: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path))
    rows = [
        {"id": str(i), "text": text, "label": label, "lang": "en", "source": "x"}
        for i, (text, label) in enumerate(
            [
                ("the room was great", "positive"),
                ("the room was bad", "negative"),
                ("great", "positive"),
                ("bad", "negative"),
            ]
        )
    ]
    data = write_jsonl(tmp_path / "binary.jsonl", rows)
    result = json.loads(
        _run(capsys, "eval", "--data", str(data), "--model", str(tiny_model), "--json")
    )
    assert result["task"] == "binary"
    assert set(result["confusion"]) == {"negative", "positive"}
    assert result["n"] == 4
    text = _run(capsys, "eval", "--data", str(data), "--model", str(tiny_model))
    assert "binary.jsonl — model tiny-eval-1 (binary, n=4" in text
    assert "negative miss" in text


def test_train_command_writes_a_model(
    tiny_encoder: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRIAGE_ENCODER", str(tiny_encoder))
    train, dev = _data(tmp_path)
    out = _run(
        capsys,
        "train",
        "--train",
        str(train[0]),
        "--dev",
        str(dev[0]),
        "--dev",
        str(dev[1]),
        "--version",
        "tiny-cli-1",
        "--out",
        str(tmp_path / "m"),
        "--window",
        "24",
        "--set",
        "first_trained_layer=1",
        "--set",
        "rank=4",
        "--set",
        "max_length=24",
        "--set",
        "batch_size=4",
        "--epochs",
        "1",
    )
    assert out.strip().splitlines()[-1] == str(tmp_path / "m")
    card = json.loads((tmp_path / "m" / "model.json").read_text())
    assert card["version"] == "tiny-cli-1" and card["training"]["epochs"] == 1
    assert card["training"]["first_trained_layer"] == 1 and card["max_length"] == 24
    assert main(["train", "--train", str(train[0]), "--dev", str(dev[0]), "--set", "bogus=1"]) == 2
