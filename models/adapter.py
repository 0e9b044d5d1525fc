"""Low-rank adapters (LoRA) for the upper encoder layers: train small, ship small, merge at load.

Fine-tuning changes a Linear weight `W` by `scale * B @ A` with `A: [rank, in]`
and `B: [out, rank]`; the repository carries only A, B (and a few replaced
tensors such as layer norms), a few megabytes instead of the encoder's 470 MB.
At load time the deltas are merged into the weights, so inference costs
exactly what the plain encoder costs.

Adapter file (`adapter.safetensors`): `lora.<weight name>.A`, `lora.<weight name>.B`
for each adapted Linear, and `set.<parameter name>` for each replaced tensor;
names are the encoder's own state-dict names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.errors import ModelLoadError

if TYPE_CHECKING:
    import torch

ADAPTER_FILE = "adapter.safetensors"

#: Linear layers adapted in each trained encoder layer (BERT naming).
ADAPTED_LINEARS = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)
#: Parameters trained in full in each trained layer (small).
REPLACED = ("attention.output.LayerNorm", "output.LayerNorm")


@dataclass(frozen=True, slots=True)
class AdapterSpec:
    """Which layers carry adapters, and their rank and scale."""

    first_layer: int
    rank: int
    alpha: float

    @property
    def scale(self) -> float:
        return self.alpha / self.rank


def _lora_module() -> type[torch.nn.Module]:
    import torch
    from torch import nn

    class LoRALinear(nn.Module):
        """`base(x) + scale * x A^T B^T`; `base` stays frozen."""

        def __init__(self, base: nn.Linear, rank: int, scale: float) -> None:
            super().__init__()
            self.base = base
            self.scale = scale
            self.lora_a = nn.Parameter(torch.empty(rank, base.in_features))
            self.lora_b = nn.Parameter(torch.zeros(base.out_features, rank))
            nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out: torch.Tensor = self.base(x) + (x @ self.lora_a.T @ self.lora_b.T) * self.scale
            return out

    return LoRALinear


def _resolve(root: torch.nn.Module, dotted: str) -> tuple[torch.nn.Module, str]:
    *path, leaf = dotted.split(".")
    module = root
    for part in path:
        module = getattr(module, part)
    return module, leaf


def _layers(encoder: torch.nn.Module) -> torch.nn.ModuleList:
    layers = getattr(getattr(encoder, "encoder", None), "layer", None)
    if layers is None:
        raise ModelLoadError("adapters need a BERT-style encoder (encoder.layer[...])")
    return layers  # type: ignore[no-any-return]


def attach(encoder: torch.nn.Module, spec: AdapterSpec) -> list[torch.nn.Parameter]:
    """Freeze the encoder, wrap the upper layers' Linears with LoRA; return trainable params."""
    lora_linear = _lora_module()
    for parameter in encoder.parameters():
        parameter.requires_grad_(False)
    trainable: list[torch.nn.Parameter] = []
    layers = _layers(encoder)
    for index in range(spec.first_layer, len(layers)):
        layer = layers[index]
        for name in ADAPTED_LINEARS:
            parent, leaf = _resolve(layer, name)
            wrapped: Any = lora_linear(getattr(parent, leaf), spec.rank, spec.scale)
            setattr(parent, leaf, wrapped)
            trainable += [wrapped.lora_a, wrapped.lora_b]
        for name in REPLACED:
            parent, leaf = _resolve(layer, name)
            for parameter in getattr(parent, leaf).parameters():
                parameter.requires_grad_(True)
                trainable.append(parameter)
    return trainable


def export(encoder: torch.nn.Module, spec: AdapterSpec) -> dict[str, torch.Tensor]:
    """The adapter tensors of an encoder prepared with `attach`, under state-dict names."""
    tensors: dict[str, torch.Tensor] = {}
    layers = _layers(encoder)
    prefix = _layer_prefix(encoder)
    for index in range(spec.first_layer, len(layers)):
        layer = layers[index]
        for name in ADAPTED_LINEARS:
            parent, leaf = _resolve(layer, name)
            wrapped = getattr(parent, leaf)
            key = f"{prefix}{index}.{name}.weight"
            tensors[f"lora.{key}.A"] = wrapped.lora_a.detach().contiguous().clone()
            tensors[f"lora.{key}.B"] = wrapped.lora_b.detach().contiguous().clone()
        for name in REPLACED:
            parent, leaf = _resolve(layer, name)
            for pname, parameter in getattr(parent, leaf).named_parameters():
                key = f"{prefix}{index}.{name}.{pname}"
                tensors[f"set.{key}"] = parameter.detach().contiguous().clone()
    return tensors


def _layer_prefix(encoder: torch.nn.Module) -> str:
    names = [n for n, _ in encoder.named_parameters()]
    if any(n.startswith("encoder.layer.") for n in names):
        return "encoder.layer."
    raise ModelLoadError("cannot find encoder.layer.* parameters")


def save(path: Path, tensors: dict[str, torch.Tensor], spec: AdapterSpec) -> None:
    from safetensors.torch import save_file

    save_file(
        tensors,
        str(path),
        metadata={
            "first_layer": str(spec.first_layer),
            "rank": str(spec.rank),
            "alpha": str(spec.alpha),
        },
    )


def merge_file(encoder: torch.nn.Module, path: Path) -> AdapterSpec:
    """Merge an adapter file into a plain encoder's weights (in place)."""
    import torch
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            meta = handle.metadata() or {}
            spec = AdapterSpec(
                first_layer=int(meta["first_layer"]),
                rank=int(meta["rank"]),
                alpha=float(meta["alpha"]),
            )
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, KeyError, ValueError) as exc:
        raise ModelLoadError(f"{path} is not a readable adapter file: {exc}") from exc
    state = dict(encoder.named_parameters())
    with torch.no_grad():
        for key, tensor in tensors.items():
            kind, _, rest = key.partition(".")
            if kind == "lora" and rest.endswith(".A"):
                name = rest[: -len(".A")]
                b = tensors.get(f"lora.{name}.B")
                if name not in state or b is None:
                    raise ModelLoadError(f"adapter does not fit the encoder: {name}")
                delta = (b.float() @ tensor.float()) * spec.scale
                if delta.shape != state[name].shape:
                    raise ModelLoadError(f"adapter shape mismatch for {name}")
                state[name].add_(delta.to(state[name].dtype))
            elif kind == "set":
                if rest not in state or state[rest].shape != tensor.shape:
                    raise ModelLoadError(f"adapter does not fit the encoder: {rest}")
                state[rest].copy_(tensor)
            elif kind != "lora":
                raise ModelLoadError(f"unknown adapter tensor {key}")
    return spec
