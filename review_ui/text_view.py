"""A review's text cut into segments to highlight, and routing reasons in the reader's words.

Segments carry plain text; the template escapes it. Nothing here builds HTML.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from review_ui.i18n import Translator


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    #: the model's label of the sentence this segment is part of, if any
    label: str | None
    probability: float | None
    #: part of a safety term the routing found
    flagged: bool
    #: the 1-based number of the sentence this segment is part of (as in
    #: `triage.journeys.review_journey`), so a touchpoint chip can point at it
    sentence: int | None = None


def _spans(reasons: Sequence[Mapping[str, Any]]) -> list[tuple[int, int]]:
    flagged = []
    for reason in reasons:
        evidence = reason.get("evidence") or {}
        if reason.get("code") == "safety_term":
            start, end = evidence.get("start"), evidence.get("end")
            if isinstance(start, int) and isinstance(end, int):
                flagged.append((start, end))
    return flagged


def segments(
    text: str, sentences: Sequence[Mapping[str, Any]], reasons: Sequence[Mapping[str, Any]]
) -> list[Segment]:
    """The text as consecutive segments, each inside at most one sentence span."""
    n = len(text)
    spans: list[tuple[int, int, str, float, int]] = []
    for s in sentences:
        start, end = int(s.get("start", 0)), int(s.get("end", 0))
        if 0 <= start < end <= n:
            label = str(s.get("label", ""))
            probability = float((s.get("probabilities") or {}).get(label, 0.0))
            spans.append((start, end, label, probability, len(spans) + 1))
    flagged = [(a, b) for a, b in _spans(reasons) if 0 <= a < b <= n]
    cuts = {0, n}
    for start, end, _, _, _ in spans:
        cuts.update((start, end))
    for start, end in flagged:
        cuts.update((start, end))
    ordered = sorted(cuts)
    out: list[Segment] = []
    for a, b in itertools.pairwise(ordered):
        sentence = next((s for s in spans if s[0] <= a and b <= s[1]), None)
        segment = Segment(
            text[a:b],
            sentence[2] if sentence else None,
            sentence[3] if sentence else None,
            any(fa <= a and b <= fb for fa, fb in flagged),
            sentence[4] if sentence else None,
        )
        last = out[-1] if out else None
        if last and (last.label, last.probability, last.flagged, last.sentence) == (
            segment.label,
            segment.probability,
            segment.flagged,
            segment.sentence,
        ):
            out[-1] = Segment(
                last.text + segment.text, last.label, last.probability, last.flagged, last.sentence
            )
        else:
            out.append(segment)
    return out


def duration(t: Translator, delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


def due_words(t: Translator, due_at: datetime, now: datetime) -> str:
    if due_at >= now:
        return t("due.in", t=duration(t, due_at - now))
    return t("due.over", t=duration(t, now - due_at))


def reason_sentence(
    t: Translator, reason: Mapping[str, Any], probabilities: Mapping[str, float] | None
) -> str:
    """The stored English sentence; in German, a sentence built from the same facts."""
    stored = str(reason.get("explanation") or reason.get("message") or reason.get("code", ""))
    if t.locale != "de":
        return stored
    code = reason.get("code")
    evidence = reason.get("evidence") or {}
    probs = probabilities or {}
    if code == "negative_sentiment" and "negative" in probs:
        return f"Negativ, zu {t.pct(probs['negative'])} sicher."
    if code == "neutral_sentiment" and "neutral" in probs:
        return (
            f"Neutral, zu {t.pct(probs['neutral'])} sicher: automatisch erledigt wird nur "
            "eindeutiges Lob."
        )
    if code == "low_confidence" and "positive" in probs:
        return f"Positiv, aber nur zu {t.pct(probs['positive'])} sicher."
    if code == "confident_positive" and "positive" in probs:
        return f"Positiv, zu {t.pct(probs['positive'])} sicher, ohne erkennbares Risiko."
    if code == "mixed_signals":
        if evidence.get("kind") == "rating_contradicts_text":
            return "Die Sternebewertung passt nicht zur Stimmung des Textes."
        return "Überwiegend positiv, aber einzelne Passagen lesen sich negativ."
    if code == "safety_term":
        return "Erwähnt ein Sicherheitsthema: das sieht immer zuerst ein Mensch."
    if code == "unsupported_language":
        return "Die Sprache wird vom Modell nicht unterstützt oder ist unklar."
    if code == "model_unavailable":
        return "Das Modell konnte diese Bewertung nicht lesen, also muss ein Mensch es tun."
    if code == "pulled_back":
        return "Automatisch erledigt, dann von einem Menschen zurück in die Warteschlange geholt."
    return stored
