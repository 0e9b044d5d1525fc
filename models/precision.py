"""The encoder's arithmetic: fp32, bf16 or int8, and for "auto" the fastest one measured
on this CPU (`resolve_precision`, `fastest_precision`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from models.errors import ModelLoadError

logger = logging.getLogger(__name__)

PRECISIONS = ("auto", "fp32", "bf16", "int8")


def cpu_has_bf16() -> bool:
    """True where the CPU multiplies bfloat16 natively (AVX512-BF16 or AMX)."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def resolve_precision(precision: str, model: Any = None, *, compiled: bool = False) -> str:
    """The arithmetic to run: `precision` itself, or for "auto" the fastest one measured on
    this CPU on one of `model`'s layers (fp32 without a model); `compiled`: for an encoder
    that will be compiled (see `fastest_precision`)."""
    if precision not in PRECISIONS:
        raise ModelLoadError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    if precision == "auto":
        return fastest_precision(model, compiled=compiled) if model is not None else "fp32"
    return precision


def fastest_precision(
    model: Any, *, tokens: tuple[int, int] = (16, 96), compiled: bool = False
) -> str:
    """Time one encoder layer in fp32, int8 and (where the CPU has it) bf16 on a synthetic
    batch, and return the fastest.

    Flags do not predict speed: two machines of the same kind, both reporting
    AVX512-BF16, measured bf16 at 2.9x and at 0.6x the fp32 speed. int8 (per-token
    W8A8, `models.int8`) is a candidate because its accuracy cost measured
    negligible (README); a CPU whose int8 product fails is left with the others.

    `compiled`: time only the layer's matrix products (its Linear layers, one after the
    other). Compiling fuses the element-wise work around them, int8's quantising and
    rescaling included, so the products are what still differs; timed eagerly, a whole
    int8 layer looked no faster than bf16 on an AMD EPYC whose compiled int8 encoder
    then ran 25% faster than its compiled bf16 one.
    """
    import copy
    import time

    import torch

    from models.int8 import quantize_linears

    layers = getattr(getattr(model, "encoder", None), "layer", None)
    if not layers:
        return "fp32"
    hidden = torch.randn(*tokens, int(model.config.hidden_size))
    candidates = ["fp32", "int8"] + (["bf16"] if cpu_has_bf16() else [])
    timings: dict[str, float] = {}
    with torch.inference_mode():
        for name in candidates:
            layer = copy.deepcopy(layers[0])
            x = hidden
            try:
                if name == "int8":
                    quantize_linears(layer)
                elif name == "bf16":
                    layer, x = layer.to(torch.bfloat16), hidden.to(torch.bfloat16)
                run = _products(layer) if compiled else layer
                run(x)  # warm up (kernels are prepared per shape)
                best = float("inf")
                for _ in range(5):
                    started = time.perf_counter()
                    run(x)
                    best = min(best, time.perf_counter() - started)
            except RuntimeError as error:  # e.g. no int8 product kernel on this CPU
                logger.info("precision %s unavailable here: %s", name, error)
                continue
            timings[name] = best
    chosen = min(timings, key=lambda name: timings[name])
    logger.info(
        "precision auto: %s (one layer%s: %s)",
        chosen,
        "'s products" if compiled else "",
        ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in timings.items()),
    )
    return chosen


def _products(layer: Any) -> Callable[[Any], None]:
    """Run `layer`'s Linear layers (plain or int8) on inputs of their widths, nothing else."""
    import torch

    linears = [
        m
        for m in layer.modules()
        if hasattr(m, "in_features") and hasattr(m, "out_features") and m is not layer
    ]

    inputs: dict[int, Any] = {}  # made on the first (untimed) call

    def run(x: Any) -> None:
        rows = x.reshape(-1, x.shape[-1])
        for linear in linears:
            if linear.in_features not in inputs:
                inputs[linear.in_features] = torch.randn(
                    rows.shape[0], linear.in_features, dtype=rows.dtype
                )
            linear(inputs[linear.in_features])

    return run
