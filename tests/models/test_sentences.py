from __future__ import annotations

import itertools

import pytest

from models.sentences import split_passages, split_sentences


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Die Tagungstechnik im Konferenzraum fiel zweimal aus, das Catering für unsere "
            "Gruppe war hervorragend.",
            [
                "Die Tagungstechnik im Konferenzraum fiel zweimal aus",
                "das Catering für unsere Gruppe war hervorragend.",
            ],
        ),
        (
            "Das Frühstück war kalt und die Auswahl dürftig. Das Zimmer war aber sehr sauber.",
            ["Das Frühstück war kalt", "die Auswahl dürftig.", "Das Zimmer war aber sehr sauber."],
        ),
        ("Great room, but the breakfast was cold.", ["Great room", "but the breakfast was cold."]),
        ("Schönes Zimmer - leider laut.", ["Schönes Zimmer", "leider laut."]),
        (
            "Lovely stay - the staff were great; only the parking was a nightmare.",
            ["Lovely stay - the staff were great", "only the parking was a nightmare."],
        ),
        # Kept whole: one verdict, a list, a parenthetical contrast, a clause too short.
        ("Check-in took forty minutes and nobody apologised.", None),
        ("Bad, Bett, Balkon - alles bestens.", None),
        ("The spa, however, was closed on two of our three days.", None),
        ("Nice, but loud.", None),
    ],
)
def test_split_passages(text: str, expected: list[str] | None) -> None:
    spans = split_passages(text)
    assert [text[a:b] for a, b in spans] == (expected or [text])
    assert all(b1 <= a2 for (_, b1), (a2, _) in itertools.pairwise(spans))
