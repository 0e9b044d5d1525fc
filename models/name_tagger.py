"""Person names (and other personal spans) in guest text, read from the encoder's token
vectors.

Hand rules (`triage.privacy.redaction`) find what has a shape: e-mail addresses, phone and
card numbers, IBANs, addresses, titles, signatures. People's names have none: every new
set of guest texts showed forms the rules had never seen ("Vroni und Sepp haben alles
vorbereitet", "hi its jas in 304"). This tagger reads each token's vector from the same
multilingual encoder the sentiment model uses (the last four layers, mixed by learned
weights) and a small bidirectional LSTM labels it O / B-NAME / I-NAME / B-STAFF / I-STAFF,
and, for a head trained to (`kinds`; the shipped one is), addresses, booking and room
numbers and dates of birth, which guests also write in forms no rule foresaw. The redactor
adds these spans to what the rules found, where the rules found nothing, after checking
that each can be what it was read as.

The head is small (about 2 MB) and trained in a minute or two on the hand-written,
annotated sets (`triage train-name-tagger`); the encoder is frozen. The shipped head lives
in `models/name_tagger_head/` with a card saying what it was trained on.

Spans are `(start, end, kind)` character offsets; this package knows nothing of the domain.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import AutoModel, AutoTokenizer

from models.engines import cpu_has_bf16
from models.errors import ModelLoadError

#: The kinds a head reads by default: person names (the rules cannot see their shape).
KINDS = ("NAME", "STAFF")


def labels_for(kinds: Sequence[str]) -> tuple[str, ...]:
    """O, then B- and I- for each kind."""
    return ("O", *(f"{tag}-{kind}" for kind in kinds for tag in ("B", "I")))


LABELS = labels_for(KINDS)
#: The hidden layers mixed (the last four).
LAYERS = 4
#: Tokens per window; longer texts are read in overlapping windows.
MAX_TOKENS = 256
STRIDE = 64
BATCH = 32
#: Where the shipped head lives.
DEFAULT_HEAD_DIR = Path(__file__).with_name("name_tagger_head")

NameSpan = tuple[int, int, str]


class TaggerHead(nn.Module):
    """Mixes the last `LAYERS` hidden layers, reads them both ways, labels each token."""

    def __init__(self, hidden: int, lstm: int = 128, kinds: Sequence[str] = KINDS) -> None:
        super().__init__()
        self.hidden = hidden
        self.lstm_size = lstm
        self.kinds = tuple(kinds)
        self.labels = labels_for(self.kinds)
        self.mix = nn.Parameter(torch.zeros(LAYERS))
        self.drop = nn.Dropout(0.2)
        self.rnn = nn.LSTM(hidden, lstm, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * lstm, len(self.labels))

    def forward(self, layers: torch.Tensor) -> torch.Tensor:
        """`layers`: (batch, LAYERS, tokens, hidden) -> logits (batch, tokens, labels)."""
        weights = torch.softmax(self.mix, 0)
        mixed = (weights[None, :, None, None] * layers.float()).sum(1)
        logits: torch.Tensor = self.out(self.rnn(self.drop(mixed))[0])
        return logits


@dataclass(frozen=True)
class _Window:
    text: int  # index of the text
    first: int  # the text's token index of this window's first token after [CLS]
    ids: list[int]
    offsets: list[tuple[int, int]]
    #: token positions whose label this window decides (overlaps go to the window whose
    #: middle they are nearer)
    keep_from: int
    keep_to: int


class NameTagger:
    """Reads person names: `tagger(texts)` -> one list of `(start, end, kind)` per text."""

    def __init__(self, encoder_dir: str | Path, head: TaggerHead) -> None:
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(encoder_dir), local_files_only=True)
            self.encoder = AutoModel.from_pretrained(
                str(encoder_dir), local_files_only=True, add_pooling_layer=False
            )
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"cannot load the encoder for the name tagger: {exc}") from exc
        self.encoder.eval()
        self.head = head.eval()
        #: Where the CPU multiplies bfloat16 natively the encoder runs under bfloat16
        #: autocast: 1.6x as fast, and the same spans as fp32 on the fifth development set
        #: (422 of 422, 2026-12-06); elsewhere fp32 (emulated bf16 is slower).
        self.bf16 = cpu_has_bf16()

    @classmethod
    def load(cls, encoder_dir: str | Path, head_dir: Path = DEFAULT_HEAD_DIR) -> NameTagger:
        return cls(encoder_dir, load_head(head_dir))

    def __call__(self, texts: Sequence[str]) -> list[list[NameSpan]]:
        windows = _windows(self.tokenizer, texts, _size(self.encoder))
        #: per text: its token index -> (offsets, label)
        read: list[dict[int, tuple[tuple[int, int], int]]] = [{} for _ in texts]
        order = sorted(range(len(windows)), key=lambda i: len(windows[i].ids))
        with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16, enabled=self.bf16):
            for at in range(0, len(order), BATCH):
                batch = [windows[i] for i in order[at : at + BATCH]]
                layers, _ = _layers(self.encoder, self.tokenizer, batch)
                predicted = self.head(layers.float()).argmax(-1)
                for row, window in enumerate(batch):
                    for position in range(window.keep_from, window.keep_to):
                        read[window.text][window.first + position - 1] = (
                            window.offsets[position],
                            int(predicted[row, position]),
                        )
        out = []
        for i, text in enumerate(texts):
            tokens = [read[i][k] for k in sorted(read[i])]
            out.append(
                _decode(
                    text, [o for o, _ in tokens], [label for _, label in tokens], self.head.labels
                )
            )
        return out


def train_head(
    encoder_dir: str | Path,
    examples: Sequence[tuple[str, Sequence[NameSpan]]],
    *,
    epochs: int = 12,
    seed: int = 0,
    lr: float = 2e-3,
    batch: int = 16,
    kinds: Sequence[str] = KINDS,
) -> TaggerHead:
    """A head trained on `examples` (text, its spans) to read `kinds`; the encoder stays
    frozen, its vectors are read once."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    tokenizer = AutoTokenizer.from_pretrained(str(encoder_dir), local_files_only=True)
    encoder = AutoModel.from_pretrained(
        str(encoder_dir), local_files_only=True, add_pooling_layer=False
    ).eval()
    texts = [text for text, _ in examples]
    windows = _windows(tokenizer, texts, _size(encoder))
    features: list[torch.Tensor] = []
    targets: list[torch.Tensor] = []
    with torch.inference_mode():
        for at in range(0, len(windows), BATCH):
            chunk = windows[at : at + BATCH]
            layers, lengths = _layers(encoder, tokenizer, chunk)
            for row, window in enumerate(chunk):
                features.append(layers[row, :, : lengths[row]].to(torch.float16).clone())
                targets.append(
                    torch.tensor(_bio(window, examples[window.text][1], labels_for(kinds)))
                )
    head = TaggerHead(int(encoder.config.hidden_size), kinds=kinds)
    optimiser = torch.optim.Adam(head.parameters(), lr=lr)
    loss_of = nn.CrossEntropyLoss(ignore_index=-100)
    order = list(range(len(features)))
    head.train()
    for _ in range(epochs):
        rng.shuffle(order)
        for at in range(0, len(order), batch):
            picked = order[at : at + batch]
            width = max(features[i].shape[1] for i in picked)
            x = torch.zeros(len(picked), LAYERS, width, head.hidden)
            y = torch.full((len(picked), width), -100, dtype=torch.long)
            for row, i in enumerate(picked):
                n = features[i].shape[1]
                x[row, :, :n] = features[i].float()
                y[row, :n] = targets[i]
            optimiser.zero_grad()
            loss = loss_of(head(x).reshape(-1, len(head.labels)), y.reshape(-1))
            loss.backward()
            optimiser.step()
    return head.eval()


def save_head(head: TaggerHead, dest: Path, card: dict[str, Any]) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    save_file(
        {k: v.contiguous() for k, v in head.state_dict().items()}, str(dest / "head.safetensors")
    )
    full = {
        "kinds": list(head.kinds),
        "labels": list(head.labels),
        "layers": LAYERS,
        "hidden": head.hidden,
        "lstm": head.lstm_size,
    }
    full.update(card)
    (dest / "card.json").write_text(json.dumps(full, indent=2, ensure_ascii=False) + "\n", "utf-8")


def load_head(head_dir: Path) -> TaggerHead:
    try:
        card = json.loads((head_dir / "card.json").read_text("utf-8"))
        head = TaggerHead(int(card["hidden"]), int(card["lstm"]), card.get("kinds", KINDS))
        head.load_state_dict(load_file(str(head_dir / "head.safetensors")))
    except (OSError, KeyError, ValueError, RuntimeError) as exc:
        raise ModelLoadError(f"cannot load the name tagger's head from {head_dir}: {exc}") from exc
    return head.eval()


def _windows(tokenizer: Any, texts: Sequence[str], width: int = MAX_TOKENS) -> list[_Window]:
    """Each text's tokens in windows of at most `width` (special tokens included), each
    overlapping the next by `stride` tokens."""
    out: list[_Window] = []
    inner = width - 2
    stride = min(STRIDE, inner // 4)
    for index, text in enumerate(texts):
        encoded = tokenizer(
            text, add_special_tokens=False, return_offsets_mapping=True, verbose=False
        )
        ids: list[int] = encoded["input_ids"]
        offsets = [_trimmed(text, a, b) for a, b in encoded["offset_mapping"]]
        starts = list(range(0, max(1, len(ids) - stride), inner - stride)) or [0]
        for n, start in enumerate(starts):
            piece = slice(start, start + inner)
            first, last = n == 0, n == len(starts) - 1
            size = len(ids[piece])
            keep_from = 1 + (0 if first else stride // 2)
            keep_to = 1 + (size if last else min(size, inner - stride + stride // 2))
            out.append(
                _Window(
                    index,
                    start,
                    [tokenizer.cls_token_id, *ids[piece], tokenizer.sep_token_id],
                    [(0, 0), *offsets[piece], (0, 0)],
                    keep_from,
                    keep_to,
                )
            )
    return out


def _size(encoder: Any) -> int:
    """Tokens per window: MAX_TOKENS, or fewer where the encoder has fewer positions."""
    return min(MAX_TOKENS, int(getattr(encoder.config, "max_position_embeddings", MAX_TOKENS)))


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    return start, end


def _layers(
    encoder: Any, tokenizer: Any, windows: Sequence[_Window]
) -> tuple[torch.Tensor, list[int]]:
    width = max(len(w.ids) for w in windows)
    ids = torch.full((len(windows), width), int(tokenizer.pad_token_id))
    mask = torch.zeros((len(windows), width), dtype=torch.long)
    for row, window in enumerate(windows):
        ids[row, : len(window.ids)] = torch.tensor(window.ids)
        mask[row, : len(window.ids)] = 1
    out = encoder(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    states = list(out.hidden_states[-LAYERS:])
    states = [states[0]] * (LAYERS - len(states)) + states  # a tiny encoder has fewer layers
    layers = torch.stack(states, 1)
    return layers, [len(w.ids) for w in windows]


def _bio(window: _Window, spans: Sequence[NameSpan], labels: Sequence[str] = LABELS) -> list[int]:
    out = []
    for position, (a, b) in enumerate(window.offsets):
        if a >= b or not window.keep_from <= position < window.keep_to:
            out.append(-100)
            continue
        label = "O"
        for start, end, kind in spans:
            if f"B-{kind}" in labels and a < end and start < b:
                label = ("B-" if a <= start else "I-") + kind
                break
        out.append(labels.index(label))
    return out


def _decode(
    text: str,
    offsets: Sequence[tuple[int, int]],
    labels: Sequence[int],
    label_names: Sequence[str] = LABELS,
) -> list[NameSpan]:
    """Token labels -> spans: an I (or a B glued to the token before) continues a name."""
    spans: list[list[Any]] = []
    current: list[Any] | None = None
    for (a, b), label_id in zip(offsets, labels, strict=True):
        if a >= b:
            continue
        label = label_names[label_id]
        if label == "O":
            current = None
            continue
        tag, kind = label.split("-", 1)
        if current is not None and current[2] == kind and (tag == "I" or a == current[1]):
            current[1] = b
        else:
            current = [a, b, kind]
            spans.append(current)
    out: list[NameSpan] = []
    for a, b, kind in spans:
        # Whole words only: a span that starts inside a word ("lette" of "Omelette") or
        # covers less than half of its word ("Kan" of "Kanzler") is dropped; most of a word
        # ("Kowal" of "Kowalczyk") is widened to the word.
        if a > 0 and text[a - 1].isalnum():
            continue
        end = b
        while end < len(text) and text[end].isalnum():
            end += 1
        if end != b:
            if 2 * (b - a) < end - a:
                continue
            b = end
        while b > a and text[b - 1] in ".,;:!?)(\"'’ ":
            if text[b - 1] == "." and re.search(r"(?:^|[\s.])[^\W\d_]\.$", text[a:b]):
                break  # an initial: "M.S.", "J."
            b -= 1
        if text[a:b].endswith(("'s", "’s")):
            b -= 2
        if b > a:
            out.append((a, b, kind))
    return out


def load_default(cache_dir: Path, head_dir: Path = DEFAULT_HEAD_DIR) -> NameTagger:
    """The shipped head on the default encoder (rebuilt into `cache_dir` when missing)."""
    from models.embedding import resolve_encoder
    from models.encoder_build import DEFAULT_ENCODER_NAME

    return NameTagger.load(resolve_encoder(DEFAULT_ENCODER_NAME, cache_dir=cache_dir), head_dir)
