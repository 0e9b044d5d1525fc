"""Redaction of personal data (`triage.privacy.redaction`): the kinds one by one, the
annotated sets, and a redacted training export of verdicts given through the API."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from models.name_tagger import NameTagger, load_default
from tests.conftest import World
from triage.privacy.redaction import Span, find, redact, redact_counted, redact_many
from triage.privacy.redaction_eval import (
    DATASETS,
    DEFAULT_FILES,
    HELD_OUT_FILES,
    evaluate,
    parse,
    read,
)
from triage_cli.main import main


def _at(text: str, part: str, kind: str = "NAME") -> tuple[int, int, str]:
    """A reader's span of `kind` over the first `part` of `text`."""
    start = text.index(part)
    return start, start + len(part), kind


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
        (  # an old stay's dates are not dates of birth (real reviews of 2009 have them)
            "Arrived on 06/04/05. Stayed from 4/17/09 through 4/20/09. Jonas Berg 14.02.2011",
            "Arrived on 06/04/05. Stayed from 4/17/09 through 4/20/09. [NAME] [DOB]",
        ),
        ("Please post it to 12 Baker Street, London NW1 6XE.", "Please post it to [ADDRESS]."),
        (  # a street without a street word, up to its postcode
            "Thanks.\nArthur Pennington\n2 The Paddocks, Much Wenlock TF13 6AP",
            "Thanks.\n[NAME]\n[ADDRESS]",
        ),
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


@pytest.mark.parametrize(
    ("name", "ceilings"),
    [
        ("dev3", (0.02, 0.03)),
        ("dev4", (0.05, 0.07)),
        ("dev5", (0.15, 0.22)),
        ("dev6", (0.11, 0.11)),
        ("dev7", (0.09, 0.13)),
        ("dev8", (0.11, 0.19)),
    ],
)
def test_the_later_development_sets_stay_where_they_were_measured(
    name: str, ceilings: tuple[float, float]
) -> None:
    """Each was a held-out set, scored once untouched (README), then tuned on."""
    result = evaluate([DATASETS / f"{name}_de.txt", DATASETS / f"{name}_en.txt"])
    for (language, block), ceiling in zip(result["languages"].items(), ceilings, strict=True):
        assert block["leak_rate"] <= ceiling, (name, language, block["leak_rate"])


def test_the_held_out_sets_with_the_rules_alone() -> None:
    """Never tuned on, never trained on; the rules alone (`--redact-rules-only`; measured
    on the four: 7.1% / 13.7%)."""
    result = evaluate(list(HELD_OUT_FILES))
    leaks = {lang: block["leak_rate"] for lang, block in result["languages"].items()}
    assert leaks["de"] <= 0.08 and leaks["en"] <= 0.145, leaks


@pytest.fixture(scope="module")
def shipped_tagger(real_encoder_cache: Path) -> NameTagger:
    return load_default(real_encoder_cache)


def test_the_held_out_sets_with_the_shipped_tagger(shipped_tagger: NameTagger) -> None:
    """The rules and the shipped tagger, as the export runs them by default: less leaks
    than with the rules alone (measured on the four held-out sets: 2.4% / 2.9% against
    7.1% / 13.7%)."""
    result = evaluate(list(HELD_OUT_FILES), shipped_tagger)
    for language, ceiling in (("de", 0.035), ("en", 0.04)):
        block = result["languages"][language]
        assert block["leak_rate"] <= ceiling, (language, block["leak_rate"])
        assert block["kinds"]["NAME"]["recall"] >= 0.88, (language, block["kinds"]["NAME"])


def test_a_name_reader_adds_names_where_the_rules_found_nothing() -> None:
    text = "Vroni hat alles vorbereitet. Ruf an: +49 170 1234567. Rezeption"
    vroni = (0, 5, "STAFF")  # a service done for the guests: staff
    over_phone = (text.index("+49"), text.index("+49") + 3, "NAME")  # the rules' span wins
    desk = (text.index("Rezeption"), len(text), "NAME")  # a word that is never a name
    spans = find(text, [vroni, over_phone, desk])
    assert [(s.kind, text[s.start : s.end]) for s in spans] == [
        ("STAFF", "Vroni"),
        ("PHONE", "+49 170 1234567"),
    ]
    assert Span(0, 5, "STAFF") in spans

    def reader(texts: object) -> list[list[tuple[int, int, str]]]:
        return [[vroni]]

    (done,) = redact_many([text], staff=True, reader=reader)
    assert done.text.startswith("[STAFF] hat alles") and done.replaced["STAFF"] == 1


def test_a_name_the_reader_takes_for_staff_is_staff_only_where_the_text_says_so() -> None:
    """A guest taken for staff would be kept in the export, so without a role, thanks or a
    service in the text, the reader's STAFF counts as a NAME."""
    text = "Mit Wastl war der Abend lustig. Wastl an der Bar hat uns super beraten."
    second = text.index("Wastl an")
    spans = find(text, [(4, 9, "STAFF"), (second, second + 5, "STAFF")])
    assert [(s.kind, s.start) for s in spans] == [("NAME", 4), ("STAFF", second)]
    assert redact_counted(text, names=[(4, 9, "STAFF")]).text.startswith("Mit [NAME] war")


def test_a_name_the_rules_found_is_staff_where_the_reader_and_the_text_say_so() -> None:
    """The rules alone keep "Anna" a guest's (no sign beside her); the reader reads staff,
    and her sentence speaks of breakfast: staff. Without a staff word it stays a name."""
    text = "Breakfast was great and Anna was lovely. Anna and I loved the walk."
    assert {s.kind for s in find(text)} == {"NAME"}
    first, second = text.index("Anna"), text.rindex("Anna")
    spans = find(text, [(first, first + 4, "STAFF"), (second, second + 4, "STAFF")])
    assert [(s.kind, s.start) for s in spans] == [("STAFF", first), ("NAME", second)]


def test_a_name_the_reader_reads_in_a_place_or_firm_is_not_a_person() -> None:
    text = "Walked from Navy Pier to Hotel Wastl, then met Radley Rowing Club and Vroni."

    spans = find(
        text,
        [_at(text, "Navy"), _at(text, "Wastl"), _at(text, "Radley Rowing"), _at(text, "Vroni")],
    )
    assert [(s.kind, text[s.start : s.end]) for s in spans] == [("NAME", "Vroni")]


def test_a_readers_numbers_count_only_where_they_can_be_what_it_read() -> None:
    text = (
        "Wir kamen mit dem ICE 597 an. Hotel Adler, Marktplatz 3, 88709 Meersburg. "
        "Post bitte an Flat 2, The Old Forge. Geboren im Juni 1985\nMax"
    )

    read = [
        _at(text, "597", "BOOKING"),  # a train's number
        _at(text, "Marktplatz 3", "ADDRESS"),  # the hotel's own address
        _at(text, "Flat 2, The Old Forge", "ADDRESS"),
        _at(text, "Juni", "DOB"),  # no digit
        _at(text, "1985\nMax", "DOB"),  # over a line break
    ]
    spans = find(text, read)
    assert [(s.kind, text[s.start : s.end]) for s in spans] == [
        ("ADDRESS", "Flat 2, The Old Forge"),
        ("NAME", "Max"),
    ]


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("Wir haben unter 4471-220 gebucht, Zimmer mit Balkon.", ("BOOKING", "4471-220")),
        ("Über HRS gebucht, Buchungscode HRS 550 918 442. Danke", ("BOOKING", "HRS 550 918 442")),
        ("betreffend Rechnung RE 24/0915: bitte um Korrektur", ("BOOKING", "RE 24/0915")),
        ("Expedia-Reiseplan-Nr. 7302 8841 5590, storniert", ("BOOKING", "7302 8841 5590")),
        ("Zimmer-Nr. 214 war kalt.", ("ROOM", "214")),
        ("Zimmernummer: 214, bitte zurückrufen.", ("ROOM", "214")),
        ("Wir hatten Zimmer 2.04 im zweiten Stock.", ("ROOM", "2.04")),
        ("Unsere Ferienwohnung 3 war super.", ("ROOM", "3")),
        ("our cabin 6 was cosy", ("ROOM", "6")),
        ("über den Zustand des Zimmers 112 beschweren", ("ROOM", "112")),
        ("Pech, neben der Familie aus der 14 zu wohnen.", ("ROOM", "14")),
        ("Wir hatten wieder die 27 unterm Dach.", ("ROOM", "27")),
        ("hiya reception, its us from 209 🙋 could we get towels", ("ROOM", "209")),
        ("Erreichbar bin ich unter 0171 4839201.", ("PHONE", "0171 4839201")),
        ("tagsüber bin ich unter 089 / 2198 33-214 erreichbar", ("PHONE", "089 / 2198 33-214")),
        ("Bezahlt habe ich mit der Karte, die auf 9036 endet.", ("CARD", "9036")),
        ("gern auf die karte mit endung 5521 buchen", ("CARD", "5521")),
        ("Das Zimmer meiner Eltern (201) war nicht fertig.", ("ROOM", "201")),
        ("Booked villa 7 for our anniversary.", ("ROOM", "7")),
        ("bitte von der karte nehmen. danke (zi 15)", ("ROOM", "15")),
        (
            "Rückfragen an mein Büro, 0821 455 903 Durchwahl 23.",
            ("PHONE", "0821 455 903 Durchwahl 23"),
        ),
        (
            "Rückruf gern unter +49 (0)176 44 91 20 37. Die Expedia-Hotline half nicht.",
            ("PHONE", "+49 (0)176 44 91 20 37"),
        ),
        ("We had glamping tent 8, next to the toilet block.", ("ROOM", "8")),
        ("Tiny B&B, only five rooms. We were in 2, and loved it.", ("ROOM", "2")),
    ],
)
def test_numbers_in_more_shapes(text: str, span: tuple[str, str]) -> None:
    assert [(s.kind, text[s.start : s.end]) for s in find(text)] == [span]


@pytest.mark.parametrize(
    "text",
    [
        "The hotel's VAT number on the invoice (GB 274 3985 61) is wrong.",
        "Das Zimmer 2.50 € Aufpreis pro Nacht.",
        "Breakfast: 4/5\nRoom: 3/5\nValue: 2/5",  # ratings
        "The Room 2 meeting room next door was noisy.",
        "Zimmer 101 im Prospekt sah größer aus.",
        "Zimmer 101 sah im Prospekt größer aus.",
        "Zimmer 3 auf den Website-Fotos hat eine Badewanne.",
        "Session rooms (Room 2 and Room 3) were freezing.",
        "It looked exactly like Room 1 in your website photos.",
        "Zum Bahnhof 5 Minuten, zum See 10.",
        "Reservierung · Hotel Alpenrose · Tannberg 12 · T +43 5583 2291",
        "Von: Reservierung Hotel Alpenrose <reservierung@alpenrose-lech.at>",
        "> Kind regards,\n> The Crown Hotel\n> 14 High Street\n> 0117 496 0210",
        "The concierge sent us to a trattoria at 112 Lygon Street, Carlton.",
        "Ich habe unter 089 123456 angerufen, niemand ging ran.",  # the hotel's, called
        "I tried calling the hotel on 0131 496 0000 three times.",
        "The Booking.com helpline (020 7946 0000) sent me to you.",
        "Wir saßen in der 1. Reihe, das Zimmer lag aus der 2. Etage gesehen links.",
    ],
)
def test_numbers_that_are_no_guests(text: str) -> None:
    assert find(text) == []


def test_a_rooming_lists_lines_start_with_their_rooms() -> None:
    text = "Zimmerliste Hochzeit, 23.08.\n\n101 Brautpaar Anna & Tim\n104 Oma Irmgard"
    rooms = [text[s.start : s.end] for s in find(text) if s.kind == "ROOM"]
    assert rooms == ["101", "104"]


def test_no_name_starts_inside_a_handle_or_hashtag() -> None:
    assert find("@BlackCatAoife Haha, aber mir wurde bestätigt #AnnaFreut") == []


def test_a_readers_floor_year_club_number_or_link_is_not_personal() -> None:
    text = (
        "We stayed on the 29th floor. Die Fans von 1860 kamen auch, 12 Oak Road. RT @cs50737 "
        "http://t.co/ratvsmE2M9 www.example.com/Anna"
    )

    read = [
        _at(text, "29th", "ADDRESS"),
        _at(text, "1860", "NAME"),
        _at(text, "12 Oak Road", "ADDRESS"),
        _at(text, "cs50737", "BOOKING"),  # a handle
        _at(text, "ratvsmE2M9", "BOOKING"),  # a link
        _at(text, "Anna", "NAME"),
    ]
    places = "Sangeet in Ballroom 1. Sat nav postcode CA11 0QA gets you there."
    read = [_at(places, "1", "ADDRESS"), _at(places, "CA11", "BOOKING")]
    assert find(places, read) == []
    age = "we're in 204, she's 79 and the stairs are a struggle"
    assert [age[s.start : s.end] for s in find(age, [_at(age, "79", "ROOM")])] == ["204"]
    others = "Tisch 12 war laut.\n2. Monika Schuster\nSent us to a trattoria at 112 Lygon Street."
    read = [_at(others, "12", "ROOM"), _at(others, "2.", "ROOM"), _at(others, "112", "ROOM")]
    read[1] = (read[1][0], read[1][1] - 1, "ROOM")
    assert [s.kind for s in find(others, read)] == ["NAME"]
    assert [(s.kind, text[s.start : s.end]) for s in find(text, read)] == [
        ("ADDRESS", "12 Oak Road")
    ]


@pytest.mark.parametrize(
    ("text", "address"),
    [  # an address reaches over its flat or house name and on to its postcode
        (
            "We live at 1203 W Belmont Ave #4, Chicago, IL 60657 now.",
            "1203 W Belmont Ave #4, Chicago, IL 60657",
        ),
        (
            "The office: 1600 Pennsylvania Ave NW, Washington, DC 20500.",
            "1600 Pennsylvania Ave NW, Washington, DC 20500",
        ),
        ("Mail it to 3/14 Smith St, Fitzroy VIC 3065 please", "3/14 Smith St, Fitzroy VIC 3065"),
        (
            "Please invoice Level 3, 50 Carrington Street, Sydney NSW 2000 thanks",
            "Level 3, 50 Carrington Street, Sydney NSW 2000",
        ),
        ("PO Box 4412, Halifax, NS B3K 5M2", "PO Box 4412, Halifax, NS B3K 5M2"),
        (  # a house number with a dash is not a phone number
            "Could you mail it to her at 1502-1088 Quebec St, Vancouver, BC V6A 4H2?",
            "1502-1088 Quebec St, Vancouver, BC V6A 4H2",
        ),
        (
            "Send it c/o my father Gerald Whitlock, Laurel Bank, 7 Gillygate, York YO31 7EA",
            "Laurel Bank, 7 Gillygate, York YO31 7EA",
        ),
        ("Bitte an: Am Anger 2, 06618 Naumburg (Saale)", "Am Anger 2, 06618 Naumburg (Saale)"),
    ],
)
def test_an_address_is_taken_whole(text: str, address: str) -> None:
    spans = find(text)
    assert ("ADDRESS", address) in [(s.kind, text[s.start : s.end]) for s in spans]


def test_a_letterheads_lines_above_its_postcode_are_its_address() -> None:
    """Line by line up to the writer's name; a hotel's own block is not taken."""
    text = "Padraig Costello\nGortnahoo\nBallyheigue\nCo. Kerry V92 F3K8\n\nDear Sir,\nthanks."
    assert [(s.kind, text[s.start : s.end]) for s in find(text)] == [
        ("NAME", "Padraig Costello"),
        ("ADDRESS", "Gortnahoo"),
        ("ADDRESS", "Ballyheigue"),
        ("ADDRESS", "Co. Kerry V92 F3K8"),
    ]
    hotel = (
        "An das\nHotel Schwarzer Adler\nz. Hd. der Geschäftsleitung\nMarktplatz 3\n88709 Meersburg"
    )
    assert [s for s in find(hotel) if s.kind == "ADDRESS"] == []
    for elsewhere in (  # the hotel's front or a restaurant it sent the guest to
        "The sat nav sent us round the back instead of the front at 1 Riverside Quay, Bristol.",
        "Your concierge sent us to Osteria Lucca at 88 Charlotte Street - best pasta.",
    ):
        assert [s for s in find(elsewhere) if s.kind == "ADDRESS"] == []
    guest = "Please post my scarf (left in the bar) to 45 Hyndland Road, Glasgow G12 9UX."
    assert [guest[s.start : s.end] for s in find(guest)] == ["45 Hyndland Road, Glasgow G12 9UX"]


@pytest.mark.parametrize(
    ("text", "staff"),
    [  # the addressee of a letter under its letterhead works at the hotel
        (
            "Margaret Ogilvie\nFlat 3, 27 Marchmont Crescent\nEdinburgh EH9 1HQ\n\n"
            "Dear Declan,\nhi",
            "Declan",
        ),
        ("To Ms Pereira (GM),\nthe lift was broken again.", "Pereira"),
        ("Your night clerk, Dolores, was sympathetic.", "Dolores"),
        ("Anthony -the Concierge- was a nice guy. The room was fine.", "Anthony"),
        ("Our room was lovely. Angie suggested a great restaurant for us. Good bed.", "Angie"),
        ("Rude welcome from Donna, the very grumpy front desk clerk. Never again.", "Donna"),
    ],
)
def test_staff_named_by_a_letter_or_a_role_beside_them(text: str, staff: str) -> None:
    assert ("STAFF", staff) in [(s.kind, text[s.start : s.end]) for s in find(text)]


@pytest.mark.parametrize(
    ("text", "staff"),
    [  # thanks before a list, the hotel's colleague, a survey's question about its people
        ("Ein Dankeschön an Marta, Herrn Schuster und Frau Baumgartner!", "Baumgartner"),
        ("Die nette Kollegin Agnieszka hat alles umgebucht.", "Agnieszka"),
        ("Wer hat Ihren Aufenthalt besonders gemacht?\nKasia und Mehmet!", "Mehmet"),
        ("Laut Frau Hummel aus der Reservierung kommt das Geld bald.", "Hummel"),
        ("Took us 20 mins before Neil on the door waved us in.", "Neil"),
        ("Milan an der Nachtrezeption hat nicht gemeckert.", "Milan"),
        ("The hotel's own driver, Yusuf, brought us our bags.", "Yusuf"),
        ("booking was under Donnelly. thx to Sorcha for the late checkout!", "Sorcha"),
        ("Eggs Benedict mit Sauce Hollandaise, serviert von Benedikt.", "Benedikt"),
        ("Ausverkauft, aber Frau Demirci hat noch Restkarten besorgt.", "Demirci"),
    ],
)
def test_staff_named_in_thanks_lists_answers_and_departments(text: str, staff: str) -> None:
    assert ("STAFF", staff) in [(s.kind, text[s.start : s.end]) for s in find(text)]


@pytest.mark.parametrize(
    ("text", "guest"),
    [  # people who work for someone else, the writer's company, kin and whose party it was
        ("Zum Glück hat uns Herr Abebe, ein Taxifahrer, noch mitgenommen.", "Abebe"),
        ("Spent an hour with an Expedia agent called Raj who said the hotel would refund.", "Raj"),
        ("Our own planner, Imogen, said she'd never worked with a venue so organised.", "Imogen"),
        ("Der Hausmeister hat das Fahrrad meines Mannes Sebastian repariert.", "Sebastian"),
        ("Patenonkel Javier war hin und weg vom Buffet.", "Javier"),
        ("The sauce was a bit rich for me. Rich and I loved the room though.", "Rich"),
        ("Chelsea's hen do!! 8 of us across two floors.", "Chelsea"),
        ("refund to my account pls, thx Sanne", "Sanne"),  # the writer signs
        ("Initials R.O.A. are sewn into the lining.", "R.O.A."),
        ("Der Concierge bestellte ein Taxi, und der Fahrer, Herr Bašić, erzählte viel.", "Bašić"),
        ("Mein Schwager Marco Engel hat uns das Haus empfohlen.", "Marco Engel"),
        ("An der Bar, nach der Hochzeitsfeier von Jana und Philipp!", "Philipp"),
        ("Our waiter was great. William (my husband, not the waiter!) sent it back.", "William"),
        ("Danke!\nLiebe Grüße aus St. Wolfgang\nManfred und Maria Eder", "Manfred"),
    ],
)
def test_guests_and_people_who_work_elsewhere_are_names(text: str, guest: str) -> None:
    assert ("NAME", guest) in [(s.kind, text[s.start : s.end]) for s in find(text)]
    read = find(text, [_at(text, guest, "STAFF")])
    assert ("NAME", guest) in [(s.kind, text[s.start : s.end]) for s in read]


def test_a_guests_firm_has_its_own_accounts_department() -> None:
    text = "Frau Kraus aus der Buchhaltung unserer Firma braucht die Rechnung."
    assert [(s.kind, text[s.start : s.end]) for s in find(text)] == [("NAME", "Kraus")]


@pytest.mark.parametrize(
    ("text", "name"),
    [  # what a guest tells or asks of someone, and what that person says, promises or
        # apologises for, confirm a reader's STAFF; they do not make a reader's NAME staff
        ("Habe es Herrn Aziz gesagt, passiert ist nichts.", "Aziz"),
        ("morning! ravi said we could leave our bags after checkout", "ravi"),
        ("Is Bernard still working there?", "Bernard"),
        ("Kristina hat sich zwar entschuldigt, aber naja.", "Kristina"),
        ("Scones divine, and Hamish kept the pots coming.", "Hamish"),
        ("Mein Mann lässt Herrn Sommer schön grüßen.", "Sommer"),
        ("The invoice was signed off by J. Mwangi but still shows the minibar.", "J. Mwangi"),
    ],
)
def test_what_staff_are_told_and_say_confirms_a_readers_staff(text: str, name: str) -> None:
    assert [s.kind for s in find(text, [_at(text, name, "STAFF")])] == ["STAFF"]
    assert [s.kind for s in find(text, [_at(text, name, "NAME")])] == ["NAME"]


def test_a_toys_a_pets_and_a_places_name_are_no_persons() -> None:
    text = (
        "Ein grauer Hase namens Paule blieb liegen. Mit Dackel Waldi und Hope aus Accra. "
        "Met a couple from Victoria in the bar, and a card from Anna."
    )
    read = [
        _at(text, part) for part in ("Paule", "Dackel Waldi", "Hope", "Accra", "Victoria", "Anna")
    ]
    assert [text[s.start : s.end] for s in find(text, read)] == ["Hope", "Anna"]


def test_a_readers_date_of_birth_is_a_whole_past_date_of_a_birth() -> None:
    text = (
        "Date of birth: 19/05/1990\nDate of stay: 02/08/2024\nMarried 3 June 1995. "
        "Licence expires 01/05/2029. Kids born 2008 or 2009. Arrival March 2024."
    )
    read = [
        _at(text, part, "DOB")
        for part in ("19/05/1990", "02/08/2024", "3 June 1995", "01/05/2029", "2008 or 2009")
    ]
    assert [(s.kind, text[s.start : s.end]) for s in find(text, read)] == [("DOB", "19/05/1990")]
    letter = "Mrs Gwen Pritchard\nLlandeilo\nSA19 6BN\n\n12 March 2024\n\nDear Reservations,"
    assert [s.kind for s in find(letter, [_at(letter, "12 March 2024", "DOB")])] == [
        "NAME",
        "ADDRESS",
    ]


def test_an_address_under_a_hotels_name_is_the_hotels() -> None:
    for text in (
        "> Kind regards,\n> Lauren Pike\n> The Crown Hotel\n> 14 High Street, Wells BA5 2SG",
        "The Manager\nGlenview Hotel\nLochside Road\nFort William PH33 6NX\n\nDear Sir,",
    ):
        assert [s for s in find(text) if s.kind == "ADDRESS"] == [], text
    guest = "Hallo liebes Hotel-Team,\nbitte an Melanie Brückner, Gartenstraße 31, 04229 Leipzig."
    assert ("ADDRESS", "Gartenstraße 31, 04229 Leipzig") in [
        (s.kind, guest[s.start : s.end]) for s in find(guest)
    ]


def test_a_reply_signed_for_the_hotel_greets_a_guest_and_is_signed_by_staff() -> None:
    text = (
        "Danke, ich hole sie ab.\nJonas Nguyen\n\n"
        "> Sehr geehrter Herr Nguyen,\n> Ihre Brille liegt an der Rezeption.\n"
        "> Mit herzlichen Grüßen\n> Miriam Hollaus\n> Front Office Managerin\n> Hotel Seehof"
    )
    assert [(s.kind, text[s.start : s.end]) for s in find(text)] == [
        ("NAME", "Jonas Nguyen"),
        ("NAME", "Nguyen"),
        ("STAFF", "Miriam Hollaus"),
    ]
    # the guest's own letter greets the hotel's people
    letter = "Sehr geehrter Herr Pichler,\ndie Brille bitte an mich.\nMit Grüßen\nJonas Nguyen"
    assert [(s.kind, letter[s.start : s.end]) for s in find(letter)] == [
        ("STAFF", "Pichler"),
        ("NAME", "Jonas Nguyen"),
    ]
    unsigned = "> Dear Mr Grant, your receipt is enclosed.\n> Hannah Osei, Front Office Manager"
    assert [(s.kind, unsigned[s.start : s.end]) for s in find(unsigned)] == [
        ("NAME", "Grant"),
        ("STAFF", "Hannah Osei"),
    ]
    reply = "Hi Tom,\nwe'll refund it.\nKind regards\nSarah Klein\nGuest Relations\n\n"
    reply += "> On 2 May, Tom wrote"
    assert [(s.kind, reply[s.start : s.end]) for s in find(reply)] == [
        ("NAME", "Tom"),
        ("STAFF", "Sarah Klein"),
        ("NAME", "Tom"),
    ]
    header = "Am 03.04. schrieb Theresa Kirchmair <events@seehotel-mondsee.at>:\n> Liebe Julia,"
    assert ("STAFF", "Theresa Kirchmair") in [
        (s.kind, header[s.start : s.end]) for s in find(header)
    ]


def test_swiss_and_bavarian_sign_offs_sign() -> None:
    text = "Zimmer 27 lag über der Bar.\nFreundliche Grüsse, Ursula Zgraggen\nPfiat Eich, Max"
    read = [_at(text, "Freundliche Grüsse")]
    assert [text[s.start : s.end] for s in find(text, read) if s.kind != "ROOM"] == [
        "Ursula Zgraggen",
        "Max",
    ]
    assert [s for s in find("Danke euch. Grüsse von Los Angeles") if s.kind == "NAME"] == []
    maori = "We'll hold the booking.\nNgā mihi,\nAnahera Paki"
    assert [maori[s.start : s.end] for s in find(maori, [_at(maori, "Ngā mihi")])] == [
        "Anahera Paki"
    ]


def test_places_named_like_people_are_no_names() -> None:
    text = "Fort William and San Diego. Turn left on George Street to St Mary's College."
    read = [_at(text, "William"), _at(text, "Diego"), _at(text, "George Street")]
    read.append(_at(text, "Mary's College"))
    assert find(text, read) == []


def test_words_that_open_lines_like_names_are_no_names() -> None:
    text = "Ich bin Stammgast, Jahrgang 1952. Junior Suite war top.\nTausend Dank!!"
    assert find(text, [_at(text, "Stammgast"), _at(text, "Junior"), _at(text, "Tausend")]) == []


def test_a_letter_to_the_hotels_team_names_no_one_but_its_writer() -> None:
    text = "Marlene Ostrowski\nBrunnenstraße 14\n99084 Erfurt\n\nLiebes Hotelteam, danke"
    assert [(s.kind, text[s.start : s.end]) for s in find(text)] == [
        ("NAME", "Marlene Ostrowski"),
        ("ADDRESS", "Brunnenstraße 14\n99084 Erfurt"),
    ]


@pytest.mark.parametrize(
    "text",
    [  # a staff word near a guest's name does not make them staff: they would be kept
        "Anna and I loved the spa, the best weekend in years.",
        "Die Rezeption war überfordert. Herr Brandt aus Zimmer 12 hat sich auch beschwert.",
    ],
)
def test_a_name_near_a_staff_word_stays_a_guests(text: str) -> None:
    kinds = {s.kind for s in find(text)}
    assert "NAME" in kinds and "STAFF" not in kinds


def test_a_readers_pieces_of_one_address_are_one_span() -> None:
    """A reader that breaks an address at its commas ("W Belmont", "4", "Chicago") still
    replaces it whole, joined with the rules' street; and its span that runs over a line
    break is cut there."""
    text = "Send it to 1203 W Belmont Ave #4, Chicago, IL 60657.\nPadraig Costello\nGortnahoo"

    read = [
        _at(text, "W Belmont", "ADDRESS"),
        _at(text, "4,", "ADDRESS"),
        _at(text, "Chicago", "ADDRESS"),
        _at(text, "IL", "ADDRESS"),
        _at(text, "Padraig Costello\nGortnahoo", "NAME"),
    ]
    assert [(s.kind, text[s.start : s.end]) for s in find(text, read)] == [
        ("ADDRESS", "1203 W Belmont Ave #4, Chicago, IL 60657"),
        ("NAME", "Padraig Costello"),
        ("NAME", "Gortnahoo"),
    ]


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
    real_encoder_cache: Path,
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
    # The export reads names with the shipped tagger on the encoder (built once per run).
    (tmp_path / "encoders").symlink_to(real_encoder_cache / "encoders")
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
