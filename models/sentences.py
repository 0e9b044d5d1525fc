"""Split a review into sentences, keeping character offsets into the original text.

A sentence ends at `.`, `!`, `?`, `…` (with any closing quotes or brackets)
followed by white space, or at a line break. It does not end after common
German and English abbreviations (`z.B.`, `ca.`, `Dr.`, `etc.`), after an
ordinal or a single letter (`im 3. Stock`, `J. Smith`), or after a word of at
most three letters when the next word starts in lower case (an unknown
abbreviation such as `Std. frei` more likely than a sentence end).
"""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r"[.!?…]+[\"'“”„»«)\]]*\s+|\n\s*")
_LAST_WORD = re.compile(r"(\S+)$")
_ABBREVIATIONS = frozenset(
    {
        "z.b",
        "u.a",
        "d.h",
        "bzw",
        "ca",
        "evtl",
        "ggf",
        "inkl",
        "max",
        "min",
        "mind",
        "nr",
        "str",
        "tel",
        "usw",
        "vgl",
        "zb",
        "dr",
        "prof",
        "hr",
        "fr",
        "st",
        "abs",
        "etc",
        "e.g",
        "i.e",
        "mr",
        "mrs",
        "ms",
        "vs",
        "approx",
        "no",
        "jan",
        "feb",
        "mär",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "okt",
        "oct",
        "nov",
        "dez",
        "dec",
        "u.s",
        "o.k",
        "incl",
        "jr",
        "sr",
        "std",
        "u.v.m",
        "m.e",
    }
)


def _is_abbreviation(before: str) -> bool:
    match = _LAST_WORD.search(before)
    if match is None:
        return False
    word = match.group(1).lower().lstrip("([\"'„“")
    if word.endswith("."):
        word = word[:-1]
    if not word:
        return False
    if word in _ABBREVIATIONS:
        return True
    if word.isdigit() and len(word) <= 2:
        return True  # German ordinals: "im 3. Stock", "am 24. Mai"
    return len(word) == 1 and word.isalpha()


def _short_last_word(before: str) -> bool:
    match = _LAST_WORD.search(before)
    return match is not None and len(match.group(1).rstrip(".")) <= 3


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return `(start, end)` spans of the sentences of `text`, stripped of white space."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        terminator = match.group()
        if terminator.startswith("."):
            before = text[start : match.start() + 1]
            if _is_abbreviation(before) or (
                text[end : end + 1].islower() and _short_last_word(before)
            ):
                continue
        spans.append((start, end))
        start = end
    if start < len(text):
        spans.append((start, len(text)))
    stripped: list[tuple[int, int]] = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            stripped.append((a, b))
    return stripped
