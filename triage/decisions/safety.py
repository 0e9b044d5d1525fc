"""Safety terms: words that always bring a review to a person at the highest priority.

German compounds carry the stem inside the word ("Schimmelbefall", "verschimmelt"),
so German stems match anywhere in a word; English terms match whole words.
Admins extend the list per property (`policy.safety_terms`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

#: category -> (English topic name, German topic name)
CATEGORY_NAMES: dict[str, tuple[str, str]] = {
    "illness": ("illness", "Krankheit"),
    "food_poisoning": ("food poisoning", "Lebensmittelvergiftung"),
    "mould": ("mould", "Schimmel"),
    "pests": ("bedbugs or pests", "Bettwanzen oder Ungeziefer"),
    "injury": ("injury", "Verletzung"),
    "theft": ("theft", "Diebstahl"),
    "discrimination": ("discrimination or harassment", "Diskriminierung oder Belästigung"),
    "legal": ("legal action", "rechtliche Schritte"),
    "police": ("police", "Polizei"),
    "custom": ("a term on the property's safety list", "ein Begriff der Sicherheitsliste"),
}

# (category, regex). Word-internal German stems use \w*; English uses \b.
_PATTERNS: list[tuple[str, str]] = [
    ("illness", r"\b\w*krank\w*"),
    ("illness", r"\b(?:sick|illness|ill|fever|hospital|ambulance|doctor|allergic reaction)\b"),
    ("illness", r"\b\w*(?:fieber|arzt|ärztin|notarzt|notaufnahme|allergische)\w*"),
    ("food_poisoning", r"\b\w*(?:vergiftung|durchfall|erbroch|erbrech)\w*"),
    ("food_poisoning", r"\b(?:food poisoning|poisoned|diarrh\w*|vomit\w*|threw up|throwing up)\b"),
    ("mould", r"\b\w*schimmel\w*"),
    ("mould", r"\b(?:mould\w*|mold|molds|moldy)\b"),
    ("pests", r"\b\w*(?:wanzen|kakerlake\w*|schabe\w*|ungeziefer|ratte\w*|mäuse)\b"),
    ("pests", r"\b(?:bed ?bugs?|cockroach\w*|roach\w*|rats?|mice|vermin|fleas?)\b"),
    ("injury", r"\b\w*(?:verletz|gestürzt|ausgerutscht|blutet|verbrüht)\w*"),
    ("injury", r"\b(?:injur\w*|hurt myself|slipped|fell down|bleeding|burned myself|scalded)\b"),
    ("theft", r"\b\w*(?:gestohlen|diebstahl|geklaut|bestohlen|dieb)\w*"),
    ("theft", r"\b(?:stolen|theft|thief|thieves|robbed|robbery|stole)\b"),
    ("discrimination", r"\b\w*(?:diskrimin|rassis|belästig|sexis)\w*"),
    ("discrimination", r"\b(?:discriminat\w*|racis\w*|harass\w*|sexis\w*|homophob\w*)\b"),
    ("legal", r"\b\w*(?:anwalt|anwält|verklag|klage\b|gerichtlich)\w*"),
    ("legal", r"\b(?:lawyer|attorney|solicitor|sue|suing|lawsuit|legal action)\b"),
    ("police", r"\b\w*polizei\w*"),
    ("police", r"\b(?:police|cops?)\b"),
]

_COMPILED = [(category, re.compile(pattern, re.IGNORECASE)) for category, pattern in _PATTERNS]


@dataclass(frozen=True, slots=True)
class SafetyMatch:
    """A safety term found in a text: its category and where it stands."""

    category: str
    term: str
    start: int
    end: int


def find_safety_terms(text: str, extra_terms: Iterable[str] = ()) -> list[SafetyMatch]:
    """Every safety term in `text`, in order of appearance, one per category."""
    found: dict[str, SafetyMatch] = {}
    patterns = list(_COMPILED)
    patterns.extend(
        ("custom", re.compile(r"\b" + re.escape(term.strip()), re.IGNORECASE))
        for term in extra_terms
        if term.strip()
    )
    for category, regex in patterns:
        match = regex.search(text)
        if match is None:
            continue
        current = found.get(category)
        if current is None or match.start() < current.start:
            found[category] = SafetyMatch(category, match.group(), match.start(), match.end())
    return sorted(found.values(), key=lambda m: m.start)
