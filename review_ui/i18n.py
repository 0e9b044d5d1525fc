"""UI text in English and German, chosen per person (`User.locale`).

The text lives in gettext catalogues, `review_ui/locale/{en,de}/LC_MESSAGES/messages.po`,
compiled to the `.mo` files beside them, which are committed (a test checks that they match
the `.po` files), so a fresh checkout serves both languages without a build step.

Message ids are the stable keys the pages already used ("queue.total", "label.negative"),
not English sentences, and English is a translation like German. Reasons: many keys are
composed at run time from domain codes ("label." + a sentiment, "reason." + a routing
reason), which an English msgid could not be; and rewording the English text does not
orphan the German one. A key that neither catalogue has raises `KeyError`, as before.
Placeholders are `str.format` fields (`{n}`); a test checks both languages use the same.

Counts use `ngettext`: a plural entry's msgid and msgid_plural are both the key
(`t.ngettext("queue.total", "queue.total", 3)`), and its forms follow the catalogue's
Plural-Forms; the count is also the `{n}` placeholder, formatted per locale, unless the
caller passes `n`. Numbers, percentages and dates are formatted per locale with Babel
(`number`, `pct`, `pct1`, `datetime`).

Templates use Jinja2's `i18n` extension (`install_translations(env)`): `_("key", name=value)` and
`ngettext(key, key, count, name=value)` resolve to the person's `Translator`, which every
page gets as `t`.

Extract and compile (Makefile targets `translations-extract` and `translations`):

    pybabel extract -F babel.cfg -k t -k N_ -o review_ui/locale/messages.pot review_ui
    pybabel update -i review_ui/locale/messages.pot -d review_ui/locale -N
    pybabel compile -d review_ui/locale --statistics
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import jinja2
from babel import Locale
from babel.dates import format_datetime, get_date_format, get_datetime_format, get_time_format
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations

from models.touchpoint_lexicon import NAMES

LOCALE_DIR = Path(__file__).with_name("locale")
LOCALES = ("en", "de")
DEFAULT_LOCALE = "en"


@functools.cache
def catalogue(locale: str) -> NullTranslations:
    """The compiled catalogue of one locale; German falls back to English for a missing key."""
    loaded = Translations.load(str(LOCALE_DIR), [locale], domain="messages")
    if not isinstance(loaded, Translations):
        raise FileNotFoundError(f"no compiled catalogue for {locale!r} under {LOCALE_DIR}")
    if locale != DEFAULT_LOCALE:
        loaded.add_fallback(catalogue(DEFAULT_LOCALE))
    return loaded


@functools.cache
def _percent_pattern(locale: str, decimals: int) -> str:
    """The locale's percent pattern with a fixed number of decimals ("#,##0.0 %")."""
    pattern = Locale.parse(locale).percent_formats[None].pattern
    return re.sub(r"0(?=[^0]*$)", "0." + "0" * decimals, pattern) if decimals else pattern


@functools.cache
def _datetime_pattern(locale: str) -> str:
    """Medium date, short time, the zone: "Jan 5, 2026, 2:07 PM UTC" / "05.01.2026, 14:07 UTC"."""
    date = get_date_format("medium", locale=locale).pattern
    time = get_time_format("short", locale=locale).pattern
    return str(get_datetime_format("medium", locale=locale)).format(time, date) + " z"


@dataclass(frozen=True, slots=True)
class Translator:
    """`t("key", name=value)`: the text in the person's language."""

    locale: str

    def __call__(self, key: str, **values: object) -> str:
        template = catalogue(self.locale).gettext(key)
        if template == key:
            raise KeyError(key)
        return template.format(**values) if values else template

    def ngettext(self, singular: str, plural: str, count: int, **values: object) -> str:
        """The form for `count` ("1 open item", "2 open items"); `{n}` is the count."""
        template = catalogue(self.locale).ngettext(singular, plural, count)
        if template in (singular, plural):
            raise KeyError(singular)
        values.setdefault("n", self.number(count))
        return template.format(**values)

    def has(self, key: str) -> bool:
        return catalogue(self.locale).gettext(key) != key

    def number(self, value: float, decimals: int | None = None) -> str:
        """1,234.5 / 1.234,5; with `decimals`, exactly that many (0.912 / 0,912)."""
        if decimals is None:
            return format_decimal(value, locale=self.locale)
        pattern = "#,##0." + "0" * decimals if decimals else "#,##0"
        return format_decimal(value, pattern, locale=self.locale)

    def pct(self, share: float) -> str:
        """A share as a whole percentage: 91% / 91 %."""
        return format_percent(share, _percent_pattern(self.locale, 0), locale=self.locale)

    def pct1(self, share: float | None) -> str:
        """A small rate with one decimal: 0.8% / 0,8 %."""
        if share is None:
            return "–"
        return format_percent(share, _percent_pattern(self.locale, 1), locale=self.locale)

    def datetime(self, value: datetime | None) -> str:
        """A stored (UTC) time: "Jan 5, 2026, 2:07 PM UTC" / "05.01.2026, 14:07 UTC"."""
        if value is None:
            return ""
        return format_datetime(
            value, _datetime_pattern(self.locale), tzinfo=UTC, locale=self.locale
        )

    def touchpoint(self, code: str) -> str:
        """A touchpoint's name for people (`models.touchpoint_lexicon.NAMES`); the code if
        unknown."""
        names = NAMES.get(code)
        if names is None:
            return code
        name = names[1] if self.locale == "de" else names[0]
        return name[:1].upper() + name[1:]

    def touchpoints(self, codes: Iterable[str]) -> str:
        """Names joined by commas, or "none"."""
        return ", ".join(self.touchpoint(c) for c in codes) or self(N_("tp.nothing"))

    def departments(self, codes: Iterable[str]) -> str:
        """Department names joined by commas ("Housekeeping, Front office")."""
        return ", ".join(self(f"dept.{c}") if self.has(f"dept.{c}") else c for c in codes)

    def sure(self, label: str, probability: float) -> str:
        return self(N_("sure"), label=self(f"label.{label}"), pct=self.pct(probability))


def translator(locale: str | None) -> Translator:
    return Translator(locale if locale is not None and locale in LOCALES else DEFAULT_LOCALE)


@jinja2.pass_context
def _gettext(context: jinja2.runtime.Context, key: str, **values: object) -> str:
    t = context.resolve("t")
    if not isinstance(t, Translator):
        raise TypeError("a page is rendered without its Translator `t`")
    return t(key, **values)


@jinja2.pass_context
def _ngettext(
    context: jinja2.runtime.Context, singular: str, plural: str, count: int, **values: object
) -> str:
    t = context.resolve("t")
    if not isinstance(t, Translator):
        raise TypeError("a page is rendered without its Translator `t`")
    return t.ngettext(singular, plural, count, **values)


def install_translations(env: jinja2.Environment) -> None:
    """Jinja2's `i18n` extension, its `_`, `gettext` and `ngettext` bound to the page's `t`."""
    env.add_extension("jinja2.ext.i18n")
    env.globals.update(gettext=_gettext, ngettext=_ngettext)


def N_(key: str) -> str:
    """Marks a key for `pybabel extract` where it is composed or used later (gettext's N_)."""
    return key
