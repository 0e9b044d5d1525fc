"""The text helpers cut and word things correctly (the catalogues: test_i18n_catalogues)."""

from __future__ import annotations

from review_ui import charts
from review_ui.i18n import translator
from review_ui.text_view import segments


def test_plain_words_for_the_models_reading() -> None:
    assert translator("en").sure("negative", 0.912) == "negative, 91% sure"
    assert translator("de").sure("negative", 0.912) == "negativ, zu 91\u00a0% sicher"
    assert translator("fr").sure("positive", 0.5) == "positive, 50% sure"


def test_segments_follow_sentences_and_flag_safety_terms() -> None:
    text = "Nice room. There was mould in the bath."
    sentences = [
        {"start": 0, "end": 10, "label": "positive", "probabilities": {"positive": 0.9}},
        {"start": 11, "end": 39, "label": "negative", "probabilities": {"negative": 0.8}},
    ]
    reasons = [{"code": "safety_term", "evidence": {"start": 21, "end": 26}}]
    cut = segments(text, sentences, reasons)
    assert "".join(s.text for s in cut) == text
    assert [(s.text, s.label, s.flagged) for s in cut] == [
        ("Nice room.", "positive", False),
        (" ", None, False),
        ("There was ", "negative", False),
        ("mould", "negative", True),
        (" in the bath.", "negative", False),
    ]
    # spans outside the text are ignored rather than trusted
    assert segments("short", [{"start": 0, "end": 99, "label": "negative"}], []) == segments(
        "short", [], []
    )


def test_charts_escape_every_text() -> None:
    svg = str(charts.bars("<title>", [('<script>alert(1)</script>"', 3)]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    svg = str(charts.stacked_days("t", [("<d>", 1, 2)], ("<a>", "b")))
    assert "<d>" not in svg and "&lt;d&gt;" in svg
