"""Partial fine-tuning: frozen lower layers computed once, LoRA on the upper layers, a head.

The recipe that pays for itself on two CPU cores:

1. The embeddings and the lower `first_trained_layer` layers stay frozen. Their
   output for every training text is computed once (sorted by length, no
   gradients) and kept in memory, so each epoch runs only the upper layers.
2. The upper layers get low-rank adapters (`models.adapter`) and trainable layer
   norms; a linear head reads the mean-pooled last layer.
3. Soft targets: PotTS/hand-written `mixed` rows teach "both" as half negative,
   half positive; classes are re-weighted towards balance (macro-F1 counts each
   class alike); in-domain rows (hotel reviews) weigh more.
4. The epoch with the best validation macro-F1 is kept.

Calibration and the auto-handling threshold are fitted afterwards on the
validation files (`models.recipe.calibrate`).
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from models.adapter import AdapterSpec, attach, export
from models.calibration import macro_f1
from models.data import MIXED, LabelledText
from models.embedding import TextEncoder
from models.prediction import LABELS

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FineTuneConfig:
    """Every knob of the default recipe (seeded: the same data gives the same model).

    first_trained_layer: layers below it are frozen and computed once.
    rank, alpha: LoRA rank and scale (alpha / rank) of the adapters.
    epochs, batch_size, lr, head_lr, weight_decay, warmup: the optimiser (AdamW with
      linear warm-up and decay).
    max_length: tokens per training text (prefix and specials included); a longer
      text keeps its first quarter and its last three quarters (complaints come late),
      see `TextEncoder.training_inputs`.
    class_balance: class weights are frequency ** -class_balance (0 = none, 1 = full).
    in_domain_weight: weight of rows whose source starts with `in_domain_prefix`.
    mixed_positive: the positive share of a `mixed` row's soft target (rest negative).
    dropout: on the pooled vector, before the head.
    tune_class_offsets: after training, shift the head's class biases to maximise the
      mean validation macro-F1 (then calibrate).
    """

    seed: int = 13
    first_trained_layer: int = 4
    rank: int = 16
    alpha: float = 32.0
    epochs: int = 3
    batch_size: int = 32
    lr: float = 1e-3
    head_lr: float = 3e-3
    weight_decay: float = 0.01
    warmup: float = 0.06
    max_length: int = 192
    class_balance: float = 0.5
    in_domain_weight: float = 3.0
    in_domain_prefix: str = "guest-triage"
    mixed_positive: float = 0.5
    dropout: float = 0.1
    prefix: str = "query: "  # e5 expects it; must match the model card's prefix
    tune_class_offsets: bool = True

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


FloatArray = npt.NDArray[np.float64]


def soft_targets(rows: Sequence[LabelledText], mixed_positive: float) -> FloatArray:
    targets = np.zeros((len(rows), len(LABELS)))
    for i, row in enumerate(rows):
        if row.label == MIXED:
            targets[i, LABELS.index("positive")] = mixed_positive
            targets[i, LABELS.index("negative")] = 1.0 - mixed_positive
        else:
            targets[i, LABELS.index(row.label)] = 1.0
    return targets


def row_weights(
    rows: Sequence[LabelledText], targets: FloatArray, config: FineTuneConfig
) -> FloatArray:
    frequency = targets.sum(axis=0) / max(len(rows), 1)
    class_weight = np.power(np.maximum(frequency, 1e-6), -config.class_balance)
    class_weight /= (frequency * class_weight).sum()
    weights: FloatArray = targets @ class_weight
    in_domain = np.array([r.source.startswith(config.in_domain_prefix) for r in rows])
    weights[in_domain] *= config.in_domain_weight
    normalised: FloatArray = weights / weights.mean()
    return normalised


class EncoderParts:
    """Run a BERT-style encoder in two halves: frozen bottom, trainable top."""

    def __init__(self, encoder: Any, first_trained_layer: int) -> None:
        self.encoder = encoder
        self.k = first_trained_layer
        self.layers: Any = encoder.encoder.layer

    def _mask(self, hidden: torch.Tensor, mask: torch.Tensor) -> Any:
        from transformers.masking_utils import create_bidirectional_mask

        return create_bidirectional_mask(
            config=self.encoder.config, inputs_embeds=hidden, attention_mask=mask
        )

    def bottom(self, input_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        hidden: torch.Tensor = self.encoder.embeddings(input_ids=input_ids)
        attention = self._mask(hidden, mask)
        for layer in self.layers[: self.k]:
            hidden = layer(hidden, attention)
        return hidden

    def top(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        attention = self._mask(hidden, mask)
        for layer in self.layers[self.k :]:
            hidden = layer(hidden, attention)
        return hidden


def _pad(batch: list[list[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    import torch

    longest = max(len(ids) for ids in batch)
    ids = torch.full((len(batch), longest), pad, dtype=torch.long)
    mask = torch.zeros((len(batch), longest), dtype=torch.long)
    for row, seq in enumerate(batch):
        ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return ids, mask


def bottom_states(
    parts: EncoderParts, sequences: list[list[int]], pad: int, batch_size: int = 64
) -> list[torch.Tensor]:
    """The frozen lower layers' output for every sequence, each `[len, hidden]`."""
    import torch

    out: list[torch.Tensor | None] = [None] * len(sequences)
    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            ids, mask = _pad([sequences[i] for i in chosen], pad)
            hidden = parts.bottom(ids, mask)
            for row, i in enumerate(chosen):
                out[i] = hidden[row, : len(sequences[i])].clone()
    return [h for h in out if h is not None]


def _stack(states: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    import torch

    longest = max(s.shape[0] for s in states)
    hidden = torch.zeros((len(states), longest, states[0].shape[1]))
    mask = torch.zeros((len(states), longest), dtype=torch.long)
    for row, state in enumerate(states):
        hidden[row, : state.shape[0]] = state
        mask[row, : state.shape[0]] = 1
    return hidden, mask


def pooled(parts: EncoderParts, states: list[torch.Tensor]) -> torch.Tensor:
    hidden, mask = _stack(states)
    top = parts.top(hidden, mask)
    weights = mask.unsqueeze(-1).to(top.dtype)
    result: torch.Tensor = (top * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)
    return result


def length_batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar length (little padding), in random order."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


@dataclass
class FineTuned:
    head_weight: npt.NDArray[np.float32]
    head_bias: npt.NDArray[np.float32]
    adapter: dict[str, torch.Tensor]
    spec: AdapterSpec
    history: list[dict[str, float]]
    seconds: float


def fine_tune(
    text_encoder: TextEncoder,
    train: Sequence[LabelledText],
    dev_sets: Mapping[str, Sequence[LabelledText]],
    config: FineTuneConfig,
    progress: Callable[[str], None] = logger.info,
) -> FineTuned:
    """Train adapters and head; keep the epoch with the best mean dev macro-F1."""
    import torch
    from torch import nn

    started = time.perf_counter()
    random.seed(config.seed)
    np.random.seed(config.seed)
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    encoder = text_encoder.weights
    encoder.eval()
    pad = int(text_encoder.tokenizer.pad_token_id)
    spec = AdapterSpec(config.first_trained_layer, config.rank, config.alpha)
    parts = EncoderParts(encoder, config.first_trained_layer)

    sequences = text_encoder.training_inputs([r.text for r in train], config.max_length)
    progress(
        f"frozen pass over {len(sequences)} training texts ({sum(map(len, sequences))} tokens)"
    )
    states = bottom_states(parts, sequences, pad)
    dev_states = {
        name: bottom_states(
            parts, text_encoder.training_inputs([r.text for r in rows], config.max_length), pad
        )
        for name, rows in dev_sets.items()
    }
    progress(f"frozen pass done after {time.perf_counter() - started:.0f}s")

    trainable = attach(encoder, spec)
    hidden_size = int(encoder.config.hidden_size)  # type: ignore[union-attr,arg-type]
    head = nn.Linear(hidden_size, len(LABELS))
    dropout = nn.Dropout(config.dropout)
    targets = torch.tensor(soft_targets(train, config.mixed_positive), dtype=torch.float32)
    weights = torch.tensor(row_weights(train, targets.numpy(), config), dtype=torch.float32)
    optimiser = torch.optim.AdamW(
        [
            {"params": trainable, "lr": config.lr},
            {"params": list(head.parameters()), "lr": config.head_lr},
        ],
        weight_decay=config.weight_decay,
    )
    steps_per_epoch = math.ceil(len(train) / config.batch_size)
    total = steps_per_epoch * config.epochs
    warmup = max(1, int(config.warmup * total))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup))),
    )
    history: list[dict[str, float]] = []
    best: tuple[float, dict[str, torch.Tensor], Any, Any] | None = None
    lengths = [s.shape[0] for s in states]
    for epoch in range(config.epochs):
        encoder.train()
        running = 0.0
        epoch_start = time.perf_counter()
        for step, batch in enumerate(length_batches(lengths, config.batch_size, rng)):
            vectors = dropout(pooled(parts, [states[i] for i in batch]))
            logits = head(vectors)
            log_probs = torch.log_softmax(logits, dim=-1)
            loss = (-(targets[batch] * log_probs).sum(dim=-1) * weights[batch]).mean()
            optimiser.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(trainable + list(head.parameters()), 1.0)
            optimiser.step()
            schedule.step()
            running += loss.item()
            if step % 50 == 0:
                elapsed = time.perf_counter() - epoch_start
                progress(
                    f"epoch {epoch + 1} step {step}/{steps_per_epoch} "
                    f"loss {running / (step + 1):.4f} ({elapsed:.0f}s)"
                )
        encoder.eval()
        scores = {
            name: _dev_macro_f1(parts, head, dev_states[name], rows)
            for name, rows in dev_sets.items()
        }
        mean = float(np.mean(list(scores.values()))) if scores else 0.0
        history.append(
            {
                "epoch": epoch + 1,
                "loss": running / steps_per_epoch,
                "dev_macro_f1": mean,
                **{f"dev_macro_f1_{k}": v for k, v in scores.items()},
            }
        )
        progress(
            f"epoch {epoch + 1}: loss {running / steps_per_epoch:.4f}, dev macro-F1 "
            + ", ".join(f"{k} {v:.3f}" for k, v in scores.items())
        )
        if best is None or mean > best[0]:
            best = (
                mean,
                export(encoder, spec),
                head.weight.detach().clone(),
                head.bias.detach().clone(),
            )
    assert best is not None
    return FineTuned(
        head_weight=best[2].numpy().astype(np.float32),
        head_bias=best[3].numpy().astype(np.float32),
        adapter=best[1],
        spec=spec,
        history=history,
        seconds=time.perf_counter() - started,
    )


def _dev_macro_f1(
    parts: EncoderParts,
    head: torch.nn.Linear,
    states: list[torch.Tensor],
    rows: Sequence[LabelledText],
) -> float:
    import torch

    keep = [i for i, r in enumerate(rows) if r.label in LABELS]
    predicted = []
    with torch.inference_mode():
        order = sorted(keep, key=lambda i: states[i].shape[0])
        out: dict[int, int] = {}
        for start in range(0, len(order), 64):
            chosen = order[start : start + 64]
            logits = head(pooled(parts, [states[i] for i in chosen]))
            for i, label in zip(chosen, logits.argmax(dim=-1).tolist(), strict=True):
                out[i] = int(label)
        predicted = [out[i] for i in keep]
    gold = np.array([LABELS.index(rows[i].label) for i in keep])
    return macro_f1(np.array(predicted), gold, len(LABELS))
