from __future__ import annotations

import itertools

import pytest

from models.sentences import split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Das Zimmer war sauber. Leider war das Frühstück kalt! Kommen wir wieder?",
            ["Das Zimmer war sauber.", "Leider war das Frühstück kalt!", "Kommen wir wieder?"],
        ),
        (
            "Wir waren im 3. Stock, z.B. mit Blick. Ca. 5 Min. zum Bahnhof.",
            ["Wir waren im 3. Stock, z.B. mit Blick.", "Ca. 5 Min. zum Bahnhof."],
        ),
        (
            "Great location... Only flaw: breakfast (pricey).\n\nStaff rude!!  Never again",
            ["Great location...", "Only flaw: breakfast (pricey).", "Staff rude!!", "Never again"],
        ),
        ("Dr. Müller war nett. „Super!“ Danke", ["Dr. Müller war nett.", "„Super!“", "Danke"]),
        ("ohne Satzzeichen", ["ohne Satzzeichen"]),
        ("   ", []),
        ("", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == expected
    assert all(0 <= a < b <= len(text) for a, b in spans)
    assert all(b1 <= a2 for (_, b1), (a2, _) in itertools.pairwise(spans))
