"""The model directory: `model.json` (what the model is) + `head.safetensors` (trained parts).

Torch-free: the head is read and written with `safetensors.numpy` as the
`weight` `[labels, hidden]` and `bias` `[labels]` of a `torch.nn.Linear`.
A `NOTICE` file repeats the training data attributions.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from models.atomic import replace_directory
from models.errors import ModelLoadError
from models.prediction import LABELS

FORMAT_VERSION = 1
MODEL_JSON = "model.json"
HEAD_FILE = "head.safetensors"
NOTICE_FILE = "NOTICE"

Float32Array = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class DataFileRecord:
    """A training or validation file: name, sha256, rows used."""

    name: str
    sha256: str
    rows: int
    role: str  # "train" or "dev"


@dataclass(frozen=True, slots=True)
class ModelCard:
    """Everything `model.json` says about a model.

    `encoder` is a transformers name or a path; `prefix` is prepended to every
    text (e5 expects "query: "); `max_length` counts tokens per window including
    special tokens and prefix; `stride` is the distance in tokens between the
    starts of consecutive windows of a long text; `temperature` divides the
    head's logits before the softmax; `auto_threshold` is the minimum
    P(positive) for auto-handling, `auto_thresholds` the same per language where
    hotel-like validation data of that language derived one.
    """

    version: str
    encoder: str
    temperature: float
    auto_threshold: float
    labels: tuple[str, ...] = LABELS
    pooling: str = "mean"
    normalize: bool = True
    prefix: str = "query: "
    max_length: int = 256
    stride: int = 192
    metrics: dict[str, float] = field(default_factory=dict)
    data_files: tuple[DataFileRecord, ...] = ()
    attributions: tuple[str, ...] = ()
    training: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    format_version: int = FORMAT_VERSION
    adapter: str | None = None  # file of encoder adapters merged at load (models.adapter)
    touchpoint_head: str | None = None  # file of the multi-label touchpoint head, if trained
    auto_thresholds: dict[str, float] = field(default_factory=dict)
    passage_threshold: float | None = None  # see models.prediction.ClassifierInfo
    passage_share: float | None = None

    def to_json(self) -> str:
        raw = asdict(self)
        raw["labels"] = list(self.labels)
        return json.dumps(raw, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


@dataclass(frozen=True, slots=True)
class LinearHead:
    weight: Float32Array  # [labels, hidden]
    bias: Float32Array  # [labels]


@dataclass(frozen=True, slots=True)
class ModelDirectory:
    path: Path
    card: ModelCard
    head: LinearHead


def _card_from_json(raw: dict[str, Any]) -> ModelCard:
    if raw.get("format_version") != FORMAT_VERSION:
        raise ModelLoadError(f"unsupported model.json format_version {raw.get('format_version')!r}")
    files = tuple(DataFileRecord(**record) for record in raw.get("data_files", []))
    fields = {k: v for k, v in raw.items() if k not in {"data_files", "labels", "attributions"}}
    card = ModelCard(
        **fields,
        labels=tuple(raw["labels"]),
        data_files=files,
        attributions=tuple(raw.get("attributions", [])),
    )
    _check_card(card)
    return card


def _check_card(card: ModelCard) -> None:
    if not card.version:
        raise ModelLoadError("model.json has an empty version")
    if tuple(card.labels) != LABELS:
        raise ModelLoadError(f"model labels {card.labels} differ from {LABELS}")
    if card.pooling != "mean":
        raise ModelLoadError(f"unsupported pooling {card.pooling!r}")
    if not card.temperature > 0:
        raise ModelLoadError(f"temperature must be > 0, got {card.temperature}")
    if not 0.0 <= card.auto_threshold <= 1.0:
        raise ModelLoadError(f"auto_threshold must be in [0, 1], got {card.auto_threshold}")
    for name in ("passage_threshold", "passage_share"):
        value = getattr(card, name)
        if value is not None and not 0.0 <= value <= 1.0:
            raise ModelLoadError(f"{name} must be in [0, 1], got {value}")
    for language, threshold in card.auto_thresholds.items():
        if not 0.0 <= threshold <= 1.0:
            raise ModelLoadError(f"auto_thresholds[{language!r}] must be in [0, 1]")
    if card.max_length < 8 or not card.stride > 0:
        raise ModelLoadError("max_length must be >= 8 and stride > 0")


def load_model_dir(path: Path) -> ModelDirectory:
    """Read a model directory; raise ModelLoadError when it is missing or corrupt."""
    if not path.is_dir():
        raise ModelLoadError(f"model directory {path} does not exist")
    try:
        raw = json.loads((path / MODEL_JSON).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelLoadError(f"{path} has no {MODEL_JSON}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"{path / MODEL_JSON} is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise ModelLoadError(f"{path / MODEL_JSON} is not a JSON object")
    try:
        card = _card_from_json(raw)
    except (TypeError, KeyError) as exc:
        raise ModelLoadError(f"{path / MODEL_JSON} has missing or unknown fields: {exc}") from exc
    head = _load_head(path / HEAD_FILE, n_labels=len(card.labels))
    if card.adapter is not None and not (path / card.adapter).is_file():
        raise ModelLoadError(f"{path} names adapter {card.adapter!r} but it is missing")
    return ModelDirectory(path=path, card=card, head=head)


def _load_head(path: Path, *, n_labels: int) -> LinearHead:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    if not path.is_file():
        raise ModelLoadError(f"{path} is missing")
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelLoadError(f"{path} is not a readable safetensors file: {exc}") from exc
    weight, bias = tensors.get("weight"), tensors.get("bias")
    if weight is None or bias is None:
        raise ModelLoadError(f"{path} must hold 'weight' and 'bias'")
    if weight.ndim != 2 or weight.shape[0] != n_labels or bias.shape != (n_labels,):
        raise ModelLoadError(f"{path}: head shapes {weight.shape}/{bias.shape} do not fit")
    if not (np.isfinite(weight).all() and np.isfinite(bias).all()):
        raise ModelLoadError(f"{path}: head holds non-finite values")
    return LinearHead(weight=weight.astype(np.float32), bias=bias.astype(np.float32))


def _notice(card: ModelCard) -> str:
    lines = [
        f"Model {card.version}",
        "",
        f"Base encoder: {card.encoder}.",
        "",
        "The classification head (and encoder adapters, where present) were trained on",
        "data from:",
    ]
    lines += [f"- {text}" for text in card.attributions]
    return "\n".join(lines) + "\n"


def save_model_dir(
    path: Path,
    card: ModelCard,
    head: LinearHead,
    *,
    extra: Callable[[Path], None] | None = None,
) -> Path:
    """Write `model.json`, `head.safetensors`, `NOTICE` (and what `extra` writes into the
    directory it is given, e.g. the adapter file) atomically to `path`."""
    from safetensors.numpy import save_file

    _check_card(card)
    if head.weight.shape[0] != len(card.labels) or head.bias.shape != (len(card.labels),):
        raise ValueError("head shapes do not match the labels")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    tmp.chmod(0o755)
    try:
        save_file(
            {
                "weight": np.ascontiguousarray(head.weight, dtype=np.float32),
                "bias": np.ascontiguousarray(head.bias, dtype=np.float32),
            },
            str(tmp / HEAD_FILE),
            metadata={"format": "pt", "model_version": card.version},
        )
        (tmp / MODEL_JSON).write_text(card.to_json(), encoding="utf-8")
        (tmp / NOTICE_FILE).write_text(_notice(card), encoding="utf-8")
        if extra is not None:
            extra(tmp)
        for written in tmp.iterdir():
            written.chmod(0o644)
        replace_directory(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path
