"""Redaction of personal data (`triage.privacy.redaction`): the kinds one by one, the
annotated sets, and a redacted training export of verdicts given through the API."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import World
from triage.privacy.redaction import find, redact, redact_counted
from triage.privacy.redaction_eval import DATASETS, DEFAULT_FILES, evaluate, parse, read
from triage_cli.main import main


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "The room was dirty and nobody cleaned it. Call me on +49 170 1234567, Maria Schulz.",
            "The room was dirty and nobody cleaned it. Call me on [PHONE], [NAME].",
        ),
        (
            "Alles bestens.\nViele Grüße, Familie Brandt",
            "Alles bestens.\nViele Grüße, Familie [NAME]",
        ),
        ("Zimmer war kalt.\nLG Thomas", "Zimmer war kalt.\nLG [NAME]"),
        ("Lovely stay.\nKind regards, J. Miller", "Lovely stay.\nKind regards, [NAME]"),
        ("Mein Name ist Jana Weber, Tel. 0171 2345678", "Mein Name ist [NAME], Tel. [PHONE]"),
        (
            "We came with my daughter Rose. A rose on the pillow!",
            "We came with my daughter [NAME]. A rose on the pillow!",
        ),
        (
            "Im Mai waren wir im Hotel Adler in Garmisch.",
            "Im Mai waren wir im Hotel Adler in Garmisch.",
        ),
        ("Write to anna.keller+hotel@example.co.uk please", "Write to [EMAIL] please"),
        ("Buchungsnummer 4711-2233, Zimmer 312.", "Buchungsnummer [BOOKING], Zimmer [ROOM]."),
        ("Erstattung auf DE89 3704 0044 0532 0130 00 bitte", "Erstattung auf [IBAN] bitte"),
        ("Karte 4111 1111 1111 1111, endet auf 1111", "Karte [CARD], endet auf [CARD]"),
        (
            "Mein Sohn ist am 23.09.2019 geboren, Anreise 02.10.2026.",
            "Mein Sohn ist am [DOB] geboren, Anreise 02.10.2026.",
        ),
        ("Please post it to 12 Baker Street, London NW1 6XE.", "Please post it to [ADDRESS]."),
        (
            "Nothing personal here: 2 nights, 129,00 € at 14:30.",
            "Nothing personal here: 2 nights, 129,00 € at 14:30.",
        ),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_checksums_decide_for_ibans_and_cards() -> None:
    # One digit off: neither an IBAN nor a card any more, so nothing is replaced.
    assert redact("IBAN DE89 3704 0044 0532 0130 01") == "IBAN DE89 3704 0044 0532 0130 01"
    assert "[CARD]" not in redact("Karte 4111 1111 1111 1112")


def test_staff_names_are_kept_unless_asked_and_everything_is_counted() -> None:
    text = "Danke an Herrn Yilmaz an der Rezeption! Ruf mich an: 0171 2345678.\nLG Anna"
    kept = redact_counted(text)
    assert kept.text == "Danke an Herrn Yilmaz an der Rezeption! Ruf mich an: [PHONE].\nLG [NAME]"
    assert dict(kept.replaced) == {"PHONE": 1, "NAME": 1}
    assert dict(kept.kept) == {"STAFF": 1}
    both = redact_counted(text, staff=True)
    assert both.text.startswith("Danke an Herrn [STAFF] an der Rezeption!")
    assert both.replaced["STAFF"] == 1 and not both.kept


def test_everything_but_the_spans_stays_byte_for_byte() -> None:
    for item in read(DEFAULT_FILES[0])[:40]:
        spans = find(item.text)
        out = redact(item.text, staff=True)
        pieces = [item.text[a.end : b.start] for a, b in itertools.pairwise(spans)]
        outside = [item.text[: spans[0].start] if spans else item.text, *pieces]
        if spans:
            outside.append(item.text[spans[-1].end :])
        rebuilt = re.split(
            r"\[(?:NAME|STAFF|EMAIL|PHONE|ADDRESS|BOOKING|ROOM|IBAN|CARD|DOB)\]", out
        )
        assert rebuilt == outside


def test_the_markup_of_the_sets() -> None:
    item = parse("Hallo {STAFF|Lea}, hier {NAME|Anna} aus {KEEP|München}.")
    assert item.text == "Hallo Lea, hier Anna aus München."
    assert [(s.kind, item.text[s.start : s.end]) for s in item.spans] == [
        ("STAFF", "Lea"),
        ("NAME", "Anna"),
    ]
    assert [item.text[a:b] for a, b in item.keep] == ["München"]
    with pytest.raises(ValueError, match="unknown kind"):
        parse("{PASSPORT|C01X00T47}")


def test_the_annotated_set_stays_where_it_was_measured() -> None:
    """Floors a little under what `triage eval-redaction` measured on the set the rules
    were written against (README): a change that loses ground fails here."""
    result = evaluate(list(DEFAULT_FILES))
    for language, block in result["languages"].items():
        for kind, figures in block["kinds"].items():
            floor = 0.85 if kind in ("STAFF", "ADDRESS") else 0.9
            assert figures["recall"] >= floor, (language, kind, figures)
            assert figures["precision"] >= floor, (language, kind, figures)
        assert block["leak_rate"] <= 0.05, (language, block["leak_rate"])
        assert block["keep_hits"] <= 1, language


def test_the_third_development_set_is_not_worse_than_measured() -> None:
    """The first held-out set, scored once untouched (README) and tuned on since."""
    result = evaluate([DATASETS / "dev3_de.txt", DATASETS / "dev3_en.txt"])
    for language, block in result["languages"].items():
        assert block["leak_rate"] <= 0.12, (language, block["leak_rate"])


def test_the_second_development_set_stays_where_it_was_measured() -> None:
    result = evaluate([DATASETS / "dev2_de.txt", DATASETS / "dev2_en.txt"])
    for language, block in result["languages"].items():
        assert block["leak_rate"] <= 0.09, (language, block["leak_rate"])
        for kind in ("EMAIL", "ADDRESS", "BOOKING", "IBAN", "DOB"):
            assert block["kinds"][kind]["recall"] >= 0.95, (language, kind)


def test_a_redacted_export_of_verdicts_given_through_the_api(
    client: TestClient,
    world: World,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = (
        "Das Zimmer war schmutzig und keiner hat geputzt. Rufen Sie mich an: "
        "+49 170 1234567.\nViele Grüße, Maria Schulz"
    )
    posted = client.post(
        "/v1/reviews",
        headers=world.auth(world.key_a),
        json={"property_id": "hotel-a", "source": "survey", "external_id": "r-1", "text": text},
    )
    assert posted.status_code == 201, posted.text
    agent = world.auth(world.agent_a)
    item = client.post("/v1/queue/claim", headers=agent).json()
    done = client.post(
        f"/v1/queue/{item['queue']['item_id']}/resolve",
        headers=agent,
        json={"label": "negative", "action": "no_action"},
    )
    assert done.status_code == 200, done.text
    monkeypatch.setenv("TRIAGE_DATABASE_URL", database_url)
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path))
    out = tmp_path / "training.jsonl"
    assert main(["export", "--training", "--redact", "--output", str(out)]) == 0
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["text"] == (
        "Das Zimmer war schmutzig und keiner hat geputzt. Rufen Sie mich an: "
        "[PHONE].\nViele Grüße, [NAME]"
    )
    said = capsys.readouterr().err
    assert 'redacted: {"NAME": 1, "PHONE": 1}' in said
    assert "Maria" not in said and "1234567" not in said
