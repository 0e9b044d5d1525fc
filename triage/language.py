"""Which language a review is in, decided the same way every time.

langdetect is seeded, so a text always gets the same answer. A hint (`de`/`en`)
from the hotel system is trusted unless the detector is sure of another
language; it also decides texts too short for the detector.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

SUPPORTED = ("de", "en")
#: Below this many letters the detector is not asked: too short to tell.
MIN_LETTERS = 12
#: A hint is overruled only when the detector is at least this sure of another language.
OVERRULE_HINT = 0.95
#: Without a hint, the detector must be at least this sure.
MIN_CONFIDENCE = 0.7

_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class LanguageDecision:
    """`language` is None when unknown; `problem` says why a person must read it."""

    language: str | None
    problem: str | None
    method: str


def _detect(text: str) -> tuple[str, float] | None:
    with _lock:
        DetectorFactory.seed = 0
        try:
            candidates = detect_langs(text)
        except LangDetectException:
            return None
    if not candidates:
        return None
    best = candidates[0]
    return str(best.lang), float(best.prob)


def warm_up() -> None:
    """Load langdetect's profiles now rather than on the first review."""
    _detect("warm up the language profiles")


def decide_language(text: str, hint: str | None) -> LanguageDecision:
    hint = hint.lower().split("-")[0] if hint else None
    letters = len(_LETTERS.findall(text))
    detected = _detect(text) if letters >= MIN_LETTERS else None

    if hint in SUPPORTED:
        if detected and detected[0] != hint and detected[1] >= OVERRULE_HINT:
            return _from_detection(detected)
        return LanguageDecision(hint, None, "hint")
    if detected is None:
        return LanguageDecision(
            None,
            "Too short to tell which language it is in, so a person should read it.",
            "detector",
        )
    return _from_detection(detected)


def _from_detection(detected: tuple[str, float]) -> LanguageDecision:
    language, confidence = detected
    if language not in SUPPORTED:
        return LanguageDecision(
            language,
            f"Written in '{language}' (detected, {round(100 * confidence)}% sure); "
            "only German and English are read by the model.",
            "detector",
        )
    if confidence < MIN_CONFIDENCE:
        return LanguageDecision(
            None,
            f"The language is unclear (at best '{language}', {round(100 * confidence)}% sure).",
            "detector",
        )
    return LanguageDecision(language, None, "detector")
