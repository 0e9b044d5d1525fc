"""Which language a review is in, decided the same way every time.

The model reads German and English, and nearly every review is in one of them,
so those two languages are priors, not afterthoughts. Three kinds of evidence
are weighed, each deterministic:

- py3langid's naive Bayes over byte n-grams (its model ships in its wheel), as
  probabilities over its languages;
- langdetect (seeded), averaged in for texts long enough for it; on a few
  words it guesses wildly ("Super Hotel, alles top!..." was Afrikaans);
- a short list of words that only German or only English reviews use ("und",
  "leider", "Frühstück", "the", "staff", "breakfast"), each found word (up to
  `MAX_WORDS`) multiplying that language's odds; umlauts and ß count against English.

German and English start `PRIOR` times likelier than any other language. A
review is refused in another language's name only when that language is at least
`CLEAR_OTHER` likely after all this; otherwise German or English is read when it
is ahead of every other language, and a person reads the rest ("unclear"), as
they read texts without letters or too short to tell ("!!!", "ok", "👍"). A hint
(`de`/`en`) from the hotel system is trusted unless the detectors are sure of
another language. Nothing here logs a text.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException
from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

SUPPORTED = ("de", "en")
#: Below this many letters a text is too short to tell ("ok", "!!!", "👍").
MIN_LETTERS = 3
#: From this many letters on, a hint may be overruled by the detectors.
DETECTOR_LETTERS = 12
#: From this many letters on, langdetect is asked too (on fewer it guesses wildly).
LANGDETECT_LETTERS = 40
#: A hint is overruled only when the detectors are at least this sure of another language.
OVERRULE_HINT = 0.95
#: German and English are this many times likelier than any other language before reading.
PRIOR = 3.0
#: Each German-only (English-only) word found multiplies the odds of German (English) by this.
WORD_EVIDENCE = 8.0
#: Words beyond this many add nothing: on longer texts the detectors know enough.
MAX_WORDS = 3
#: Another language is named only when it is at least this likely.
CLEAR_OTHER = 0.5
#: Otherwise German or English is chosen when this many times likelier than any other language.
AHEAD = 1.0
#: py3langid's best language below this means it found no evidence (uniform is 1/140).
NO_EVIDENCE = 0.02

_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_WORDS = re.compile(r"[^\W\d_]+", re.UNICODE)
#: Umlauts and ß: evidence against English (not for German: Swedish, Turkish... use them too).
_NOT_ENGLISH = re.compile(r"[äöüßÄÖÜ]")


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words a German review uses that no other language the detector confuses with
# German (Dutch, Afrikaans, Luxembourgish, the Scandinavian languages) writes the same way.
_GERMAN_WORDS = _word_set(
    """
    und nicht sehr auch aber ich wir uns unser unsere ist sind war waren wäre hatte haben
    hat nur kein keine keinen nichts etwas ganz viel viele zu zum zur für fuer ein eine
    einen einem leider gern wieder immer danke vielen bitte alles einfach dieses diese
    dieser schön schoen schöne schoene schönes schoenes wunderschön tolle toller tolles
    toll nette nettes netter freundlich freundliche freundliches unfreundlich sauber
    saubere schlecht schlechte laut teuer günstig guenstig ruhig ruhige lecker gut gute
    guter gutes groß große zimmer frühstück fruehstueck frühstuck bett betten dusche
    badezimmer rezeption wlan aussicht empfehlenswert enttäuscht enttaeuscht
    enttäuschend kaputt dreckig schmutzig kalt heiß heiss niemals wirklich gemütlich
    gemuetlich geschlafen leise sauberkeit preis leistung mitarbeiter gastgeber
    ausstattung parkplatz tiefgarage schlüssel schluessel fenster problemlos
    """
)
_ENGLISH_WORDS = _word_set(
    """
    the and were very with not but would could should again never too great lovely
    amazing awesome awful dirty noisy quiet comfy comfortable friendly nice clean cleaned
    room rooms staff breakfast stay stayed recommend recommended definitely thanks thank
    you our they it this that there from really location view views bathroom shower
    value worth perfect fantastic wonderful poor helpful everything nothing slept sleep
    beds cold hot broken expensive cheap price good worst loved love enjoyed
    disappointed disappointing overpriced tiny small big brilliant superb
    """
)
_identifier: LanguageIdentifier | None = None
_load_lock = threading.Lock()
_langdetect_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class LanguageDecision:
    """`language` is None when unknown; `problem` says why a person must read it."""

    language: str | None
    problem: str | None
    method: str


def _py3langid() -> LanguageIdentifier:
    global _identifier
    if _identifier is None:
        with _load_lock:
            if _identifier is None:
                _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


def _langdetect(text: str) -> dict[str, float]:
    with _langdetect_lock:
        DetectorFactory.seed = 0
        try:
            candidates = detect_langs(text)
        except LangDetectException:
            return {}
    return {str(c.lang).split("-")[0]: float(c.prob) for c in candidates}


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORDS.findall(unicodedata.normalize("NFC", text))}


def language_scores(text: str) -> dict[str, float]:
    """Probability per language after the priors and the word evidence (sums to 1).

    Empty when there is no evidence at all (no letters the detector knows, no known word).
    """
    ranked = _py3langid().rank(text)
    scores = {lang: float(p) for lang, p in ranked if lang != "zxx"}
    words = _words(text)
    german = min(len(words & _GERMAN_WORDS), MAX_WORDS)
    english = min(len(words & _ENGLISH_WORDS), MAX_WORDS)
    if max(scores.values(), default=0.0) < NO_EVIDENCE and not german and not english:
        return {}
    if len(_LETTERS.findall(text)) >= LANGDETECT_LETTERS:
        second = _langdetect(text)
        if second:
            scores = {lang: (p + second.get(lang, 0.0)) / 2 for lang, p in scores.items()}
    scores["de"] *= PRIOR * WORD_EVIDENCE**german
    scores["en"] *= PRIOR * WORD_EVIDENCE**english
    if _NOT_ENGLISH.search(text):
        scores["en"] /= WORD_EVIDENCE
    total = sum(scores.values())
    return {lang: p / total for lang, p in scores.items()}


def warm_up() -> None:
    """Load both detectors' models now rather than on the first review."""
    language_scores("warm up the language profiles of both detectors before any review")


def decide_language(text: str, hint: str | None) -> LanguageDecision:
    hint = hint.lower().split("-")[0] if hint else None
    letters = len(_LETTERS.findall(text))

    if hint in SUPPORTED:
        scores = language_scores(text) if letters >= DETECTOR_LETTERS else {}
        if scores:
            other, confidence = _best(scores)
            if other != hint and other not in SUPPORTED and confidence >= OVERRULE_HINT:
                return _unsupported(other, confidence)
        return LanguageDecision(hint, None, "hint")
    scores = language_scores(text) if letters >= MIN_LETTERS else {}
    if not scores:
        return LanguageDecision(
            None,
            "Too short to tell which language it is in, so a person should read it.",
            "detector",
        )
    language, confidence = _best(scores)
    supported, support = _best({lang: scores[lang] for lang in SUPPORTED})
    if language not in SUPPORTED and confidence >= CLEAR_OTHER:
        return _unsupported(language, confidence)
    if support >= AHEAD * max(p for lang, p in scores.items() if lang not in SUPPORTED):
        return LanguageDecision(supported, None, "detector")
    return LanguageDecision(
        None,
        f"The language is unclear (at best '{language}', {round(100 * confidence)}% sure).",
        "detector",
    )


def _best(scores: dict[str, float]) -> tuple[str, float]:
    # Ties go to German, then English, then the alphabet: the same answer every time.
    order = {lang: i for i, lang in enumerate(SUPPORTED)}
    language = min(scores, key=lambda lang: (-scores[lang], order.get(lang, 2), lang))
    return language, scores[language]


def _unsupported(language: str, confidence: float) -> LanguageDecision:
    return LanguageDecision(
        language,
        f"Written in '{language}' (detected, {round(100 * confidence)}% sure); "
        "only German and English are read by the model.",
        "detector",
    )
