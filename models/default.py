"""Where the bundled default model lives (torch-free)."""

from __future__ import annotations

from pathlib import Path

DEFAULT_ENCODER = "intfloat/multilingual-e5-small"


def default_model_dir() -> Path:
    """The model directory shipped inside this package."""
    return Path(__file__).resolve().parent / "default_model"
