"""The encoder compiled by `torch.compile` (inductor), warmed up and swapped in the background.

Why: after int8 products, most of the encoder's time on a 2-core CPU is the element-wise
work between them (quantising and rescaling activations, bias, GELU, residual adds,
layer norms), each a full pass over the activations in memory. Inductor fuses those
passes into a few generated C++ loops (README, "Speed").

How:
- `compile_in_background` compiles a text encoder's model with dynamic shapes (batch size
  and length symbolic) in a short-lived thread, so start-up and the caller never wait:
  until it is ready the encoder serves its eager model.
- The warm-up runs every input kind that makes a graph of its own: one window or several,
  fewer rows than `models.int8.MIN_ROWS` or more, padded or not. It then checks the
  compiled output against the eager one.
- Only then is the compiled model swapped in (`encoder.model`, read once per batch).
  From then on a shape that would need yet another graph runs eagerly instead of
  stalling a request for a compile (`torch.compiler.set_stance("eager_on_recompile")`).
- Any failure (no C++ compiler on the machine, an operation inductor cannot compile, a
  mismatch) is logged and the eager model stays: compiling is an optimisation, never a
  reason not to serve.

Compiling happens in this process (`compile_threads = 1`, no worker processes), so a
service process stays one process; inductor caches its generated code on disk
(`TORCHINDUCTOR_CACHE_DIR`, by default under /tmp), so a restart compiles faster.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from models.int8 import MIN_ROWS

if TYPE_CHECKING:
    from models.embedding import TextEncoder

logger = logging.getLogger(__name__)

#: One compile at a time per process (a registry switch may start one while another runs):
#: warming up needs dynamo's default stance, serving sets "eager_on_recompile".
_COMPILE_LOCK = threading.Lock()
#: Smallest cosine similarity allowed between a window's compiled and eager vectors (mean of
#: its hidden states, what the head reads). Measured on the default model in int8: 0.998 or
#: more (an int8 activation rounded the other way); int8 against float32 itself: 0.996.
MIN_COSINE = 0.99


@dataclass
class CompileState:
    """What became of one background compile; `done` is set when it has finished."""

    done: threading.Event = field(default_factory=threading.Event)
    compiled: bool = False
    seconds: float | None = None
    error: str | None = None

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the compile to finish; True if the compiled model is being served."""
        self.done.wait(timeout)
        return self.compiled


def compile_in_background(
    encoder: TextEncoder, *, options: Mapping[str, Any] | None = None
) -> CompileState:
    """Start compiling `encoder.model`; the encoder keeps serving eagerly until it is swapped.

    `options` are inductor settings for this compile (`torch.compile(options=...)`); set
    them here, not on `torch._inductor.config`: its settings are per thread.
    """
    # Import the compiler here, in the caller's thread: imported for the first time inside
    # the compile thread while another thread runs the model, torch's operator
    # registrations came out incomplete ("operator prims::fma does not exist").
    import torch._decomp
    import torch._inductor.compile_fx
    import torch._prims
    import torch._refs  # noqa: F401

    state = CompileState()
    thread = threading.Thread(
        target=_compile,
        args=(encoder, state, dict(options or {})),
        name="model-compiler",
        daemon=True,
    )
    thread.start()
    return state


def warm_up_batches(encoder: TextEncoder) -> list[list[list[int]]]:
    """Model inputs covering each graph the compiled encoder needs (see module docstring)."""
    longest = encoder.max_length
    short = encoder.filler_window((MIN_ROWS - 1) // 2)
    long = encoder.filler_window(longest)
    return [
        [short],  # one window, fewer rows than the int8 minimum
        [long],  # one long window
        [short, short],  # several windows, still few rows, no padding
        [long, long, long],  # several windows, no padding
        [encoder.filler_window(longest // 3), encoder.filler_window(longest // 2), long],  # padded
    ]


def _compile(encoder: TextEncoder, state: CompileState, options: dict[str, Any]) -> None:
    import torch

    started = time.perf_counter()
    try:
        with _COMPILE_LOCK:
            torch.compiler.set_stance("default")
            eager = encoder.model
            compiled = torch.compile(eager, dynamic=True, options={"compile_threads": 1, **options})
            try:
                _warm_up_and_check(encoder, eager, compiled)
            finally:
                torch.compiler.set_stance("eager_on_recompile")
        encoder.model = cast("torch.nn.Module", compiled)  # an OptimizedModule
        state.compiled = True
        _release_compile_memory()
        logger.info("compiled encoder serving after %.1f s", time.perf_counter() - started)
    except Exception as error:  # any failure leaves the eager model serving
        state.error = f"{type(error).__name__}: {error}"[:500]
        logger.warning("could not compile the encoder, serving it uncompiled: %s", state.error)
    finally:
        state.seconds = round(time.perf_counter() - started, 2)
        state.done.set()


def _warm_up_and_check(encoder: TextEncoder, eager: Any, compiled: Any) -> None:
    import torch

    for batch in warm_up_batches(encoder):
        # Inputs made inside inference mode, as `TextEncoder.embed_windows` makes them:
        # dynamo's guards tell inference tensors from ordinary ones, and graphs warmed on
        # ordinary tensors went unused (every served batch then ran eagerly).
        with torch.inference_mode():
            input_ids, mask = encoder.model_inputs(batch)
            got = compiled(input_ids=input_ids, attention_mask=mask).last_hidden_state.float()
            want = eager(input_ids=input_ids, attention_mask=mask).last_hidden_state.float()
        weights = mask.unsqueeze(-1).float()
        pooled_got = torch.nn.functional.normalize((got * weights).sum(dim=1), dim=-1)
        pooled_want = torch.nn.functional.normalize((want * weights).sum(dim=1), dim=-1)
        cosine = float((pooled_got * pooled_want).sum(dim=-1).min())
        if not cosine >= MIN_COSINE:
            raise RuntimeError(
                f"compiled encoder differs from the eager one (window cosine {cosine:.4f})"
            )


def _release_compile_memory() -> None:
    """Hand the compiler's freed memory back to the system (about 70 MB of the default
    model's compile, measured): a serving process should stay well under its memory budget."""
    gc.collect()
    # Not glibc: the memory stays with the allocator.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
