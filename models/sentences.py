"""Split a review into sentences and passages, keeping character offsets into the text.

A sentence ends at `.`, `!`, `?`, `…` (with any closing quotes or brackets)
followed by white space, or at a line break. It does not end after common
German and English abbreviations (`z.B.`, `ca.`, `Dr.`, `etc.`), after an
ordinal or a single letter (`im 3. Stock`, `J. Smith`), or after a word of at
most three letters when the next word starts in lower case (an unknown
abbreviation such as `Std. frei` more likely than a sentence end).

A passage is a sentence, or a clause of one where a sentence joins two verdicts:
"Die Tagungstechnik fiel zweimal aus, das Catering war hervorragend." is two
passages, and so is "Great room, but the breakfast was cold." (`split_passages`).
Each passage is read by the model on its own, so friendly words around a complaint
cannot hide it.
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


#: Where a sentence is cut into passages: before a contrasting word after a comma
#: (", aber", ", but", ", leider" ...), at a semicolon, colon, or spaced dash, and before
#: a new main clause after a comma or "und"/"and" (a determiner or pronoun that starts
#: one: ", das Catering war ...", " and the staff ..."). Each side must keep
#: `MIN_PASSAGE_WORDS` words, so lists ("Bad, Bett, Balkon") and short asides stay whole.
_CONTRAST = (
    r"aber|jedoch|doch|allerdings|leider|nur|bloß|trotzdem|dafür|sonst|ansonsten|"
    r"obwohl|wobei|während|außer|but|though|although|however|yet|only|except|"
    r"whereas|while|sadly|unfortunately|otherwise|apart"
)
_CLAUSE_START = (
    r"der|die|das|den|dem|des|ein|eine|einen|einem|kein|keine|wir|ich|es|er|sie|man|"
    r"unser|unsere|unseren|mein|meine|meinen|dort|hier|alles|nichts|"
    r"the|a|an|our|my|we|i|it|they|he|she|there|everything|nothing|no|this|that|its"
)
_PASSAGE_CUT = re.compile(
    # A contrasting word followed by a comma is parenthetical ("The spa, however, was
    # closed"): no cut there.
    rf"(?P<contrast>(?:,\s+|\s+[–—-]\s+|;\s*|:\s+)(?=(?:{_CONTRAST})\b(?!,)))"
    rf"|;\s*|\s+[–—]\s+|\s+-\s+"
    rf"|(?:,\s+|\s+(?:und|and)\s+)(?=(?:{_CLAUSE_START})\s)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
#: Words each side of a cut must keep (before a contrasting word: "Great room, but ...").
MIN_PASSAGE_WORDS = 3
MIN_WORDS_BEFORE_CONTRAST = 2


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def _cut_sentence(text: str, start: int, end: int) -> list[tuple[int, int]]:
    sentence = text[start:end]
    pieces: list[tuple[int, int]] = []
    a = 0
    for match in _PASSAGE_CUT.finditer(sentence):
        if match.start() == 0:
            continue
        least = MIN_WORDS_BEFORE_CONTRAST if match.group("contrast") else MIN_PASSAGE_WORDS
        if _words(sentence[a : match.start()]) < least:
            continue
        if _words(sentence[match.end() :]) < least:
            continue
        pieces.append((a, match.start()))
        a = match.end()
    pieces.append((a, len(sentence)))
    out = []
    for pa, pb in pieces:
        while pa < pb and sentence[pa].isspace():
            pa += 1
        while pb > pa and sentence[pb - 1] in " \t\n,;:":
            pb -= 1
        if pb > pa:
            out.append((start + pa, start + pb))
    return out


def split_passages(text: str) -> list[tuple[int, int]]:
    """`(start, end)` spans of the passages of `text`: its sentences, each cut into
    clauses where it joins two verdicts (see the module docstring)."""
    return [passage for _, passages in sentence_passages(text) for passage in passages]


def sentence_passages(text: str) -> list[tuple[tuple[int, int], list[tuple[int, int]]]]:
    """Each sentence's span with the spans of its passages."""
    return [((a, b), _cut_sentence(text, a, b)) for a, b in split_sentences(text)]
