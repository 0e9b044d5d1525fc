"""The gettext catalogues: every key found in code and templates is translated in both
languages with the same placeholders, and the committed .mo files match the .po files."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from review_ui.i18n import LOCALE_DIR, LOCALES, translator
from review_ui.message_keys import COMPOSED_KEYS

ROOT = Path(__file__).resolve().parents[2]
#: The keywords `make translations-extract` passes: pybabel's defaults and `t`.
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "t": None}


def _po(locale: str) -> Catalog:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f)


def _key(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _forms(message: Message) -> list[str]:
    return [message.string] if isinstance(message.string, str) else list(message.string)


def _extracted() -> dict[str, bool]:
    """Every key the code and templates use, and whether it is a plural."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str, bool] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        plural = not isinstance(message, str)
        key = message[0] if plural else message
        found[key] = found.get(key, False) or plural
    return found


def test_every_used_key_is_translated_in_both_languages() -> None:
    extracted = _extracted()
    assert "queue.title" in extracted and extracted["queue.total"] is True
    assert set(COMPOSED_KEYS) <= set(extracted)
    placeholders: dict[str, set[str]] = {}
    for locale in LOCALES:
        po = _po(locale)
        assert not po.obsolete, locale
        catalogue = {_key(m): m for m in po if m.id}
        assert set(catalogue) == set(extracted), locale  # nothing missing, nothing stale
        for key, plural in extracted.items():
            message = catalogue[key]
            assert message.pluralizable == plural, (locale, key)
            assert not message.fuzzy, (locale, key)
            forms = _forms(message)
            assert len(forms) == (2 if plural else 1) and all(forms), (locale, key)
            for form in forms:
                names = set(re.findall(r"{(\w*)}", form))
                assert names == placeholders.setdefault(key, names), (locale, key, form)


def test_the_committed_mo_files_match_the_po_files() -> None:
    """`make translations` was run after the last .po edit."""
    for locale in LOCALES:
        with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.mo").open("rb") as f:
            compiled = {_key(m): _forms(m) for m in read_mo(f) if m.id}
        source = {_key(m): _forms(m) for m in _po(locale) if m.id}
        assert compiled == source, f"run `make translations`: {locale} .mo is stale"


@pytest.mark.parametrize(
    ("locale", "one", "two", "thousands"),
    [
        ("en", "1 open item", "2 open items", "1,234 open items"),
        ("de", "1 offener Eintrag", "2 offene Einträge", "1.234 offene Einträge"),
    ],
)
def test_plurals_and_numbers_per_locale(locale: str, one: str, two: str, thousands: str) -> None:
    t = translator(locale)
    assert t.ngettext("queue.total", "queue.total", 1) == one
    assert t.ngettext("queue.total", "queue.total", 2) == two
    assert t.ngettext("queue.total", "queue.total", 1234) == thousands


def test_numbers_percentages_and_dates_per_locale() -> None:
    en, de = translator("en"), translator("de")
    assert (en.number(1234.5), de.number(1234.5)) == ("1,234.5", "1.234,5")
    assert (en.number(0.9125, 3), de.number(0.9125, 3)) == ("0.912", "0,912")
    assert (en.pct(0.912), de.pct(0.912)) == ("91%", "91\u00a0%")
    assert (en.pct1(0.0083), de.pct1(0.0083)) == ("0.8%", "0,8\u00a0%")
    assert en.pct1(None) == de.pct1(None) == "–"
    when = datetime(2026, 1, 5, 14, 7, tzinfo=UTC)
    assert en.datetime(when) == "Jan 5, 2026, 2:07\u202fPM UTC"
    assert de.datetime(when) == "05.01.2026, 14:07 UTC"
    assert en.datetime(None) == ""


def test_unknown_keys_and_locales() -> None:
    with pytest.raises(KeyError):
        translator("de")("no.such.key")
    with pytest.raises(KeyError):
        translator("en").ngettext("no.such", "no.such", 2)
    assert translator("fr").locale == "en" and translator(None)("nav.queue") == "Queue"
    assert translator("de").has("dept.housekeeping") and not translator("de").has("dept.spa")
