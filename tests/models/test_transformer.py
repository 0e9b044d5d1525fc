from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from models import LABELS, SentimentClassifier
from models.embedding import window_spans
from models.errors import ModelLoadError
from models.transformer import aggregate_windows, load_classifier


def test_predict_on_a_tiny_encoder(
    tiny_encoder: Path, make_model_dir: Callable[..., Path], tmp_path: Path
) -> None:
    classifier = load_classifier(
        make_model_dir(), encoder=str(tiny_encoder), cache_dir=tmp_path, threads=1
    )
    assert isinstance(classifier, SentimentClassifier)
    assert classifier.info.version == "tiny-test-1"
    assert classifier.info.auto_threshold == 0.7
    texts = ["das zimmer war sauber. leider kalt!", "the room was bad", "", "über süß"]
    predictions = classifier.predict(texts)
    assert len(predictions) == len(texts)
    for text, prediction in zip(texts, predictions, strict=True):
        assert prediction.model_version == "tiny-test-1"
        assert prediction.label in LABELS
        assert set(prediction.probabilities) == set(LABELS)
        assert sum(prediction.probabilities.values()) == pytest.approx(1.0)
        assert prediction.label == max(LABELS, key=lambda label: prediction.probabilities[label])
        for sentence in prediction.sentences:
            assert 0 <= sentence.start < sentence.end <= len(text)
            assert sum(sentence.probabilities.values()) == pytest.approx(1.0)
    first = predictions[0].sentences
    assert [texts[0][s.start : s.end] for s in first] == ["das zimmer war sauber.", "leider kalt!"]
    assert predictions[2].sentences == ()
    # The same text gets the same answer, alone or in a batch.
    alone = classifier.predict([texts[1]])[0]
    assert alone.probabilities["negative"] == pytest.approx(
        predictions[1].probabilities["negative"], abs=1e-5
    )


def test_long_text_is_windowed_to_its_tail(
    tiny_encoder: Path, make_model_dir: Callable[..., Path], tmp_path: Path
) -> None:
    classifier = load_classifier(
        make_model_dir(), encoder=str(tiny_encoder), cache_dir=tmp_path, threads=1
    )
    encoder = classifier._encoder
    long_text = " ".join(["das zimmer war sauber und gut"] * 12) + " leider kalt"
    inputs, owner, _tokens = encoder.windows([long_text])
    content = encoder._tokenize([long_text])[0]
    assert len(content) > 24  # longer than max_length
    assert len(inputs) > 1 and all(len(ids) <= 24 for ids in inputs)
    assert inputs[-1][-3:-1] == content[-2:]  # the last window holds the tail
    assert inputs[-1][:3] == inputs[0][:3]  # every window starts <s> + "query:"
    assert set(owner.tolist()) == {0}
    prediction = classifier.predict([long_text])[0]
    assert sum(prediction.probabilities.values()) == pytest.approx(1.0)
    # Mixed batches keep each text's windows apart.
    mixed = classifier.predict(["the room was bad", long_text, "gut"])
    for text, got in zip(["the room was bad", long_text, "gut"], mixed, strict=True):
        alone = classifier.predict([text])[0]
        for label in LABELS:
            assert got.probabilities[label] == pytest.approx(alone.probabilities[label], abs=1e-5)


def test_any_transformers_encoder_by_path(
    tmp_path: Path, make_model_dir: Callable[..., Path]
) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "query", ":", "good", "bad", "room", "."]
    vocab = {w: i for i, w in enumerate(words)}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Whitespace(), pre_tokenizers.Punctuation()]
    )
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
    )
    encoder_dir = tmp_path / "bert-tiny"
    config = BertConfig(
        vocab_size=len(words),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=32,
    )
    BertModel(config, add_pooling_layer=False).save_pretrained(encoder_dir)
    tokenizer.save_pretrained(encoder_dir)
    model_dir = make_model_dir(encoder=str(encoder_dir), max_length=8, stride=2)
    classifier = load_classifier(model_dir, cache_dir=tmp_path, threads=1)
    inputs, _, _ = classifier._encoder.windows(["good room . bad room"])
    assert inputs[0][:3] == [2, 4, 5] and inputs[-1][-3:] == [7, 8, 3]
    (prediction,) = classifier.predict(["good room. bad room"])
    assert [s.end for s in prediction.sentences] == [10, 19]
    assert sum(prediction.probabilities.values()) == pytest.approx(1.0)


def test_window_spans_cover_everything_with_overlap() -> None:
    assert window_spans(5, 10, 4) == [(0, 5)]
    spans = window_spans(23, 10, 6)
    assert spans == [(0, 10), (6, 16), (12, 22), (13, 23)]


def test_aggregation_keeps_a_clearly_negative_window() -> None:
    friendly = [0.02, 0.08, 0.9]
    windows = np.asarray([friendly, friendly, friendly, [0.9, 0.05, 0.05]])
    combined = aggregate_windows(windows, np.asarray([100, 100, 100, 50]))
    assert combined.sum() == pytest.approx(1.0)
    assert combined[0] > 0.45 and combined[2] < 0.5
    np.testing.assert_array_equal(aggregate_windows(windows[:1], np.asarray([10])), windows[0])


def test_head_that_does_not_fit_the_encoder_is_refused(
    tiny_encoder: Path, make_model_dir: Callable[..., Path], tmp_path: Path
) -> None:
    from models.model_dir import LinearHead, load_model_dir, save_model_dir

    path = make_model_dir()
    card = load_model_dir(path).card
    save_model_dir(path, card, LinearHead(np.zeros((3, 16), np.float32), np.zeros(3, np.float32)))
    with pytest.raises(ModelLoadError, match="head expects 16"):
        load_classifier(path, encoder=str(tiny_encoder), cache_dir=tmp_path)


def test_missing_encoder_raises_model_load_error(
    make_model_dir: Callable[..., Path], tmp_path: Path
) -> None:
    with pytest.raises(ModelLoadError):
        load_classifier(make_model_dir(), encoder=str(tmp_path / "no-encoder"), cache_dir=tmp_path)


def test_a_passage_reads_the_same_whatever_surrounds_it(
    tiny_encoder: Path, make_model_dir: Callable[..., Path], tmp_path: Path
) -> None:
    """A complaint is read on its own: praise (or more complaints) around it, before or
    after, in one sentence or in the next, does not change its scores."""
    classifier = load_classifier(
        make_model_dir(), encoder=str(tiny_encoder), cache_dir=tmp_path, threads=1
    )
    complaint = "das frühstück war kalt und leider dürftig"
    surroundings = [
        "{c}. das zimmer war sehr schön und sauber.",
        "das zimmer war sehr schön und sauber. {c}!",
        "alles war wunderbar; {c}.",
        "{c}, das personal war aber super freundlich.",
        "schlimm, schlimm, schlimm. {c}. nie wieder hier.",
    ]
    texts = [s.format(c=complaint) for s in surroundings]
    readings = {}
    for text, prediction in zip(texts, classifier.predict(texts), strict=True):
        start = text.index(complaint)
        (passage,) = [s for s in prediction.sentences if s.start == start]
        own = text[passage.start : passage.end]
        assert own.rstrip(".!") == complaint
        readings[own] = passage.probabilities
    assert set(readings) == {complaint, f"{complaint}.", f"{complaint}!"}
    for own, probabilities in readings.items():
        alone = classifier.predict([own])[0]
        for label in LABELS:
            assert probabilities[label] == pytest.approx(alone.probabilities[label], abs=1e-5)
    # The review itself is still read as a whole: its context does change its scores.
    whole = classifier.predict(texts[:2])
    assert whole[0].probabilities != whole[1].probabilities
