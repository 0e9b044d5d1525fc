"""Guest-journey touchpoints: what a sentence of a review is about (torch-free).

Two signals, both in German and English, with no training data needed:

1. A lexicon of terms per touchpoint (`models.touchpoint_lexicon`). German stems match
   inside words, because German builds compounds ("Frühstücksbuffet", "Tiefgarage",
   "Duschkopf"); English terms match at word starts. Properties add their own terms
   (`policy.touchpoint_terms`).
2. Similarity of the sentence's embedding to descriptions of each touchpoint, embedded by
   the same encoder (`Prototypes`): it finds what no list names ("we could hear every
   word from next door").

A sentence is about a touchpoint when the lexicon names it, or when its similarity is
at least the threshold and among the top `max_semantic` touchpoints of that sentence.
Thresholds were chosen on `models/datasets/touchpoints/*_dev.jsonl`; the `*_test.jsonl`
files are the held-out test (see their README).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from models.errors import ModelLoadError
from models.touchpoint_lexicon import DESCRIPTIONS, LEXICON, TOUCHPOINTS

_COMPILED = [(code, re.compile(pattern, re.IGNORECASE)) for code, pattern in LEXICON]


@dataclass(frozen=True, slots=True)
class LexiconHit:
    touchpoint: str
    term: str
    start: int
    end: int


def lexicon_hits(
    text: str, extra_terms: Mapping[str, Sequence[str]] | None = None
) -> list[LexiconHit]:
    """Every touchpoint the lexicon finds in `text` (first hit of each), in text order."""
    patterns = list(_COMPILED)
    for code, terms in (extra_terms or {}).items():
        patterns.extend(
            (code, re.compile(r"\b\w*" + re.escape(term.strip()), re.IGNORECASE))
            for term in terms
            if term.strip()
        )
    found: dict[str, LexiconHit] = {}
    for code, regex in patterns:
        match = regex.search(text)
        if match is None:
            continue
        current = found.get(code)
        if current is None or match.start() < current.start:
            found[code] = LexiconHit(code, match.group(), match.start(), match.end())
    return sorted(found.values(), key=lambda hit: hit.start)


FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Prototypes:
    """One unit vector per touchpoint: the mean of its descriptions' embeddings."""

    vectors: FloatArray  # [len(TOUCHPOINTS), hidden], rows L2-normalised

    @classmethod
    def from_embeddings(cls, embed: object) -> Prototypes:
        """`embed` maps a list of texts to `[n, hidden]` vectors (the classifier's encoder)."""
        rows = []
        for code in TOUCHPOINTS:
            vectors = np.asarray(embed(list(DESCRIPTIONS[code])), dtype=np.float32)  # type: ignore[operator]
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            mean = vectors.mean(axis=0)
            rows.append(mean / max(float(np.linalg.norm(mean)), 1e-12))
        return cls(np.stack(rows).astype(np.float32))

    def similarities(self, vectors: FloatArray) -> FloatArray:
        """Cosine similarity of each vector to each touchpoint, `[n, len(TOUCHPOINTS)]`."""
        if len(vectors) == 0:
            return np.zeros((0, len(TOUCHPOINTS)), dtype=np.float32)
        unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        result: FloatArray = (unit @ self.vectors.T).astype(np.float32)
        return result


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    """threshold: similarity a touchpoint needs (after centring, see `relative`);
    relative: subtract the sentence's mean similarity over all touchpoints first
      (a sentence about hotels is a bit similar to every touchpoint);
    max_semantic: most touchpoints the similarity alone may add to one sentence."""

    threshold: float = 0.05
    relative: bool = True
    max_semantic: int = 0


def semantic_touchpoints(
    similarities: Sequence[float] | FloatArray, config: DetectorConfig
) -> list[str]:
    values = np.asarray(similarities, dtype=np.float64)
    if config.relative:
        values = values - values.mean()
    order = np.argsort(-values)[: config.max_semantic]
    return [TOUCHPOINTS[i] for i in order if values[i] >= config.threshold]


def detect(
    text: str,
    similarities: Sequence[float] | FloatArray | None,
    config: DetectorConfig,
    extra_terms: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """Touchpoints of one sentence: lexicon hits plus the semantic signal, in TOUCHPOINTS order."""
    codes = {hit.touchpoint for hit in lexicon_hits(text, extra_terms)}
    if similarities is not None:
        codes.update(semantic_touchpoints(similarities, config))
    return [code for code in TOUCHPOINTS if code in codes]


def micro_f1(gold: Iterable[Iterable[str]], predicted: Iterable[Iterable[str]]) -> dict[str, float]:
    """Micro-averaged precision, recall and F1 of multi-label predictions."""
    tp = fp = fn = 0
    for g, p in zip(gold, predicted, strict=True):
        g_set, p_set = set(g), set(p)
        tp += len(g_set & p_set)
        fp += len(p_set - g_set)
        fn += len(g_set - p_set)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


TOUCHPOINT_HEAD_FILE = "touchpoints.safetensors"


@dataclass(frozen=True)
class TouchpointHead:
    """A multi-label head on sentence vectors: one logistic unit per touchpoint, trained on
    the touchpoints trainers gave sentences (`triage train-touchpoints`)."""

    weight: FloatArray  # [len(TOUCHPOINTS), hidden]
    bias: FloatArray  # [len(TOUCHPOINTS)]
    threshold: float = 0.5

    def probabilities(self, vectors: FloatArray) -> FloatArray:
        """Per touchpoint, for each vector (read as a unit vector)."""
        x = vectors.astype(np.float64)
        x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
        logits = x @ self.weight.T.astype(np.float64) + self.bias
        result: FloatArray = (1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))).astype(np.float32)
        return result

    def codes(self, vector: FloatArray) -> list[str]:
        p = self.probabilities(vector[None, :])[0]
        return [code for code, value in zip(TOUCHPOINTS, p, strict=True) if value >= self.threshold]

    def save(self, path: Path) -> None:
        from safetensors.numpy import save_file

        save_file(
            {"weight": self.weight.astype(np.float32), "bias": self.bias.astype(np.float32)},
            str(path),
            metadata={"threshold": str(self.threshold), "touchpoints": ",".join(TOUCHPOINTS)},
        )

    @classmethod
    def load(cls, path: Path) -> TouchpointHead:
        from safetensors import SafetensorError, safe_open

        try:
            with safe_open(str(path), framework="numpy") as handle:
                meta = handle.metadata() or {}
                weight, bias = handle.get_tensor("weight"), handle.get_tensor("bias")
        except (SafetensorError, OSError, ValueError) as exc:
            raise ModelLoadError(f"{path} is not a readable touchpoint head: {exc}") from exc
        if meta.get("touchpoints") != ",".join(TOUCHPOINTS) or weight.shape[0] != len(TOUCHPOINTS):
            raise ModelLoadError(f"{path} was trained for other touchpoints")
        return cls(weight, bias, float(meta.get("threshold", 0.5)))


def fit_touchpoint_head(
    vectors: FloatArray,
    targets: Sequence[Sequence[str]],
    *,
    epochs: int = 400,
    lr: float = 0.5,
    l2: float = 1e-3,
    threshold: float = 0.7,
    positive_weight_cap: float = 1.0,
) -> TouchpointHead:
    """One-vs-rest logistic regression by full-batch gradient descent (deterministic).

    `positive_weight_cap` > 1 up-weights the positives of rare touchpoints (at most by
    that factor). The defaults (no up-weighting, threshold 0.7) were chosen by two-fold
    cross-validation on the development sentences: up-weighting bought recall with far
    more precision than it was worth."""
    x = vectors.astype(np.float64)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    y = np.array([[code in set(row) for code in TOUCHPOINTS] for row in targets], dtype=np.float64)
    n = max(len(x), 1)
    positives = y.sum(axis=0)
    weight_pos = np.where(positives > 0, (n - positives) / np.maximum(positives, 1), 1.0)
    weight_pos = np.minimum(weight_pos, positive_weight_cap)
    w = np.zeros((len(TOUCHPOINTS), x.shape[1]))
    b = np.zeros(len(TOUCHPOINTS))
    for _ in range(epochs):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w.T + b, -30, 30)))
        sample_weight = np.where(y > 0, weight_pos, 1.0)
        error = (p - y) * sample_weight / n
        w -= lr * (error.T @ x + l2 * w)
        b -= lr * error.sum(axis=0)
    return TouchpointHead(w.astype(np.float32), b.astype(np.float32), threshold)
