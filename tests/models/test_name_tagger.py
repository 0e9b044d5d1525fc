"""The name tagger's code path on a tiny encoder built here: windows, training, reading,
saving; its quality on real text is measured with the real encoder in
tests/privacy/test_redaction.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from transformers import AutoTokenizer

from models.errors import ModelLoadError
from models.name_tagger import (
    LABELS,
    MAX_TOKENS,
    NameTagger,
    _decode,
    _windows,
    load_head,
    save_head,
    train_head,
)

EXAMPLES = [
    ("Danke an Lena an der Rezeption!", [(9, 13, "STAFF")]),
    ("Viele Grüße, Maria Schulz", [(13, 25, "NAME")]),
    ("Das Frühstück war gut.", []),
    ("Thanks to Tom at the bar, cheers Anna", [(10, 13, "STAFF"), (33, 37, "NAME")]),
]


def test_every_token_of_a_long_text_is_decided_by_exactly_one_window(tiny_encoder: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_encoder), local_files_only=True)
    long_text = " ".join(f"Wort{i} Anna" for i in range(400))
    tokens = len(tokenizer(long_text, add_special_tokens=False)["input_ids"])
    assert tokens > 2 * MAX_TOKENS
    windows = _windows(tokenizer, ["kurz", long_text])
    decided: dict[int, list[int]] = {0: [], 1: []}
    for window in windows:
        assert len(window.ids) <= MAX_TOKENS
        decided[window.text].extend(
            window.first + p - 1 for p in range(window.keep_from, window.keep_to)
        )
    assert sorted(decided[1]) == list(range(tokens))
    assert len(decided[0]) == len(tokenizer("kurz", add_special_tokens=False)["input_ids"])


def test_labels_become_spans_without_their_punctuation() -> None:
    text = "Danke Lena, und Frau Anna-Lena Berger's Hund. M.S."
    offsets = [
        (0, 5),
        (6, 11),
        (12, 15),
        (16, 20),
        (21, 25),
        (25, 30),
        (31, 39),
        (40, 45),
        (46, 50),
    ]
    b_name, i_name, b_staff = (LABELS.index(x) for x in ("B-NAME", "I-NAME", "B-STAFF"))
    labels = [0, b_staff, 0, 0, b_name, i_name, i_name, 0, b_name]
    assert _decode(text, offsets, labels) == [
        (6, 10, "STAFF"),  # "Lena", without the comma
        (21, 37, "NAME"),  # "Anna-Lena Berger", without the possessive
        (46, 50, "NAME"),  # initials keep their full stops
    ]


def test_pieces_of_words_are_no_names() -> None:
    text = "Der Kanzler aß Omelette bei Kowalczyk."
    offsets = [(0, 3), (4, 7), (7, 8), (8, 11), (12, 14), (15, 18), (18, 23), (24, 27)]
    offsets += [(28, 33), (33, 37), (37, 38)]
    b_name = LABELS.index("B-NAME")
    # "Kan", "lette": pieces of words, dropped; "Kowal", most of "Kowalczyk": widened.
    labels = [0, b_name, 0, 0, 0, 0, b_name, 0, b_name, 0, 0]
    assert _decode(text, offsets, labels) == [(28, 37, "NAME")]


def test_a_head_trains_reads_saves_and_loads(tiny_encoder: Path, tmp_path: Path) -> None:
    head = train_head(tiny_encoder, EXAMPLES, epochs=2, batch=2)
    tagger = NameTagger(tiny_encoder, head)
    texts = [text for text, _ in EXAMPLES] + ["", "x" * 3000]
    read = tagger(texts)
    assert len(read) == len(texts)
    for text, spans in zip(texts, read, strict=True):
        for start, end, kind in spans:
            assert 0 <= start < end <= len(text) and kind in ("NAME", "STAFF")
    save_head(head, tmp_path / "head", {"trained_on": ["test"]})
    again = NameTagger(tiny_encoder, load_head(tmp_path / "head"))
    assert again(texts) == read


def test_a_head_may_read_more_kinds(tiny_encoder: Path, tmp_path: Path) -> None:
    examples = [*EXAMPLES, ("wir waren in Zimmer 214", [(20, 23, "ROOM")])]
    head = train_head(tiny_encoder, examples, epochs=1, kinds=("NAME", "STAFF", "ROOM"))
    assert head.labels == ("O", "B-NAME", "I-NAME", "B-STAFF", "I-STAFF", "B-ROOM", "I-ROOM")
    save_head(head, tmp_path / "head", {})
    again = load_head(tmp_path / "head")
    assert again.kinds == ("NAME", "STAFF", "ROOM")
    for spans in NameTagger(tiny_encoder, again)([text for text, _ in examples]):
        assert all(kind in again.kinds for _, _, kind in spans)


def test_a_missing_head_or_encoder_is_a_load_error(tmp_path: Path, tiny_encoder: Path) -> None:
    with pytest.raises(ModelLoadError, match="head"):
        load_head(tmp_path / "nowhere")
    head = train_head(tiny_encoder, EXAMPLES[:1], epochs=1)
    with pytest.raises(ModelLoadError, match="encoder"):
        NameTagger(tmp_path / "no-encoder", head)


def test_the_training_command_refuses_kinds_it_cannot_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from triage_cli.main import main

    assert main(["train-name-tagger", "--out", str(tmp_path / "h"), "--kinds", "NAME,IBAN"]) == 2
    assert "--kinds must be some of NAME, STAFF, ADDRESS, BOOKING, ROOM, DOB" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "h").exists()
