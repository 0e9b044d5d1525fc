"""Language decisions are deterministic; safety terms are found in both languages."""

from __future__ import annotations

import pytest

from triage.decisions.safety import find_safety_terms
from triage.intake.language import decide_language

LANGUAGE_CASES = [
    ("Das Zimmer war sehr sauber und das Frühstück war ausgezeichnet.", None, "de", False),
    ("The room was spotless and breakfast was excellent.", None, "en", False),
    ("Très bon hôtel, le personnel était très sympathique.", None, "fr", True),
    ("Hotel muy bonito y el personal muy amable con nosotros.", None, "es", True),
    ("ok", None, None, True),
    ("😀😀😀😀", None, None, True),
    ("ok", "de", "de", False),
    ("Super!", "en-GB", "en", False),
    ("Très bon hôtel, le personnel était très sympathique.", "de", "fr", True),
]


@pytest.mark.parametrize(("text", "hint", "language", "needs_person"), LANGUAGE_CASES)
def test_language(text: str, hint: str | None, language: str | None, needs_person: bool) -> None:
    decision = decide_language(text, hint)
    assert decision.language == language
    assert (decision.problem is not None) == needs_person


def test_language_is_the_same_every_time() -> None:
    text = "Hotel ok, Frühstück good, staff freundlich"
    answers = {decide_language(text, None) for _ in range(20)}
    assert len(answers) == 1


SAFETY_CASES = [
    ("We got food poisoning from the buffet", ["food_poisoning"]),
    ("Mein Mann hat sich eine Lebensmittelvergiftung geholt", ["food_poisoning"]),
    ("Bettwanzen im Zimmer 212!", ["pests"]),
    ("There were bed bugs everywhere", ["pests"]),
    ("Mould on the ceiling", ["mould"]),
    ("Das Bad war verschimmelt", ["mould"]),
    ("My laptop was stolen from the room", ["theft"]),
    ("Ich werde meinen Anwalt einschalten", ["legal"]),
    ("We called the police", ["police"]),
    ("The receptionist made racist remarks", ["discrimination"]),
    ("Ich bin auf der nassen Treppe ausgerutscht und habe mich verletzt", ["injury"]),
    ("Our son got sick after the pool", ["illness"]),
    # Words that look alike but are no safety topic.
    ("Das Gericht war lecker und der Service toll", []),
    ("We will come back, the staff were brilliant", []),
    ("Schlüssel übergeben, alles prima", []),
    ("The tennis court was great", []),
]


@pytest.mark.parametrize(("text", "categories"), SAFETY_CASES)
def test_safety_terms(text: str, categories: list[str]) -> None:
    assert [m.category for m in find_safety_terms(text)] == categories


def test_safety_match_points_at_the_words() -> None:
    text = "Alles gut, nur Schimmel im Bad."
    (match,) = find_safety_terms(text)
    assert text[match.start : match.end] == "Schimmel"
