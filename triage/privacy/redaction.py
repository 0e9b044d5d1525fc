"""Redaction of the personal data guests write into feedback (German and English).

`find` returns the personal spans of a text; `redact` replaces each with a typed
placeholder (`[NAME]`, `[PHONE]`, ...) and keeps every other character as it was; the
counts by kind say what was found without repeating it. It is the one step for guest text
that leaves the service: the training export, the anonymisation that keeps a text, and
the notes in webhook payloads of endpoints that ask for it.

Kinds (`KINDS`):
- EMAIL; PHONE (German, Austrian, Swiss and international formats, validated by
  `phonenumbers`, Google's libphonenumber; a number it cannot place counts where the text
  says it is a phone number: "Tel.", "call me on", ...);
- IBAN and CARD, validated by their checksums (`python-stdnum`: ISO 13616 mod 97, Luhn),
  and the last four digits of a card where the text says so ("Karte endet auf 4821");
- DOB: a date after "geboren", "born", "date of birth", "Geburtsdatum"...; other dates stay;
- BOOKING: the reference after "Buchungsnummer", "booking ref", "Reservierung"...;
- ROOM: the number after "Zimmer", "room", "Suite"...;
- ADDRESS: a street with its number (and postcode and town after it), German and
  English forms, unless the text says it is the hotel's;
- NAME and STAFF: people's names where the text marks them as names (a title, "Familie",
  an introduction, a signature, a greeting, a relation such as "meine Tochter", a list of
  travellers) or where a first name of the lists in `triage.privacy.names` stands with or
  without a surname. A name next to a staff role ("Herr Yilmaz an der Rezeption", "our
  waiter Luca") is STAFF: kept by default (praise needs it), replaced with `staff=True`.

Rule-based and measured on a hand-written, annotated set (`triage/privacy/datasets`,
`triage eval-redaction`); a capitalised German noun is not a name, so a capitalised word
the lists do not know is a name only where the text marks it as one.

The rules live beside this module: `triage.privacy.identifiers` (EMAIL, IBAN, CARD, DOB,
BOOKING, PHONE, ADDRESS, ROOM) and `triage.privacy.people` (NAME, STAFF), on the shapes
both read (`triage.privacy.shapes`: a name's words, a sentence's end); `Span` is in
`triage.privacy.spans`. `find` runs the rules and merges what they found.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from triage.privacy import identifiers, people
from triage.privacy.identifiers import PHONE_REGIONS as PHONE_REGIONS
from triage.privacy.spans import Span as Span

KINDS = ("NAME", "STAFF", "EMAIL", "PHONE", "ADDRESS", "BOOKING", "ROOM", "IBAN", "CARD", "DOB")
#: When two finders claim overlapping text, the earlier kind here wins.
_PRIORITY = {
    kind: rank
    for rank, kind in enumerate(
        ("EMAIL", "IBAN", "CARD", "DOB", "BOOKING", "PHONE", "ADDRESS", "ROOM", "STAFF", "NAME")
    )
}


@dataclass(frozen=True, slots=True)
class Redacted:
    """A redacted text and what was found in it (counts by kind; never the data)."""

    text: str
    replaced: Counter[str] = field(default_factory=Counter)
    #: Staff names found and kept (`staff=False`).
    kept: Counter[str] = field(default_factory=Counter)


#: A learned reader of personal spans (`models.name_tagger.NameTagger`): for each text, the
#: `(start, end, kind)` of what it read, kind one of `READER_KINDS`.
NameReader = Callable[[Sequence[str]], Sequence[Sequence[tuple[int, int, str]]]]
#: Texts handed to a name reader at once.
READER_BATCH = 256
#: The kinds a reader's spans may add (where the rules found nothing there): not the kinds
#: with checksums or a fixed syntax (IBAN, CARD, EMAIL, PHONE), which the rules decide.
READER_KINDS = ("NAME", "STAFF", "ADDRESS", "BOOKING", "ROOM", "DOB")


def redact(text: str, *, staff: bool = False, reader: NameReader | None = None) -> str:
    """`text` with its personal spans replaced by typed placeholders."""
    return redact_many([text], staff=staff, reader=reader)[0].text


def redact_many(
    texts: Sequence[str], *, staff: bool = False, reader: NameReader | None = None
) -> list[Redacted]:
    """Each text redacted: the rules, and the names `reader` reads where the rules found
    nothing (one batch of texts at a time)."""
    out: list[Redacted] = []
    for at in range(0, len(texts), READER_BATCH):
        batch = list(texts[at : at + READER_BATCH])
        names = reader(batch) if reader is not None else [()] * len(batch)
        out.extend(
            redact_counted(t, staff=staff, names=n) for t, n in zip(batch, names, strict=True)
        )
    return out


def redact_counted(
    text: str, *, staff: bool = False, names: Sequence[tuple[int, int, str]] = ()
) -> Redacted:
    """`text` redacted, with the counts by kind of what was replaced and kept; `names` are
    a name reader's spans for it."""
    spans = find(text, names)
    replaced: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    out: list[str] = []
    at = 0
    for span in spans:
        if span.kind == "STAFF" and not staff:
            kept[span.kind] += 1
            continue
        out.append(text[at : span.start])
        out.append(f"[{span.kind}]")
        replaced[span.kind] += 1
        at = span.end
    out.append(text[at:])
    return Redacted("".join(out), replaced, kept)


def find(text: str, names: Sequence[tuple[int, int, str]] = ()) -> list[Span]:
    """The personal spans of `text`, in order, none overlapping: the rules' first, then the
    spans a reader read (`names`; cut at line breaks, an address's pieces joined) where the
    rules' checks let them count (`people.reader_kind`, `identifiers.reader_span_holds`)
    and the rules found nothing or only a shorter span of the same kind; last, every
    address made whole (`identifiers.whole_addresses`)."""
    found = list(people.find(text))
    if "@" in text or "(at)" in text or "[at]" in text or "{at}" in text:
        found += identifiers.emails(text)
    if any(c.isdigit() for c in text):  # every other kind holds a digit
        found += identifiers.with_digits(text)
    found.sort(key=lambda s: (_PRIORITY[s.kind], s.start, -(s.end - s.start)))
    chosen: list[Span] = []
    for span in found:
        if all(span.end <= c.start or span.start >= c.end for c in chosen):
            chosen.append(span)
    for start, end, read_kind in identifiers.joined_addresses(text, _by_line(text, names)):
        if read_kind not in READER_KINDS:
            continue
        if read_kind in ("NAME", "STAFF"):
            kind = people.reader_kind(text, start, end, read_kind)
        elif identifiers.reader_span_holds(text, start, end, read_kind):
            kind = read_kind
        else:
            kind = None
        if kind is None:
            continue
        # A reader's span that reaches beyond the rules' spans of its kind (a surname after
        # the first name they found, an address's town) widens them, unless the widened
        # span would overlap a span of another kind. A name the rules found without any
        # sign of staff or guest, and the reader reads as staff where the text speaks of
        # staff (`people.reader_kind`), is staff.
        same = [c for c in chosen if _widens(c, start, end, kind)]
        start = min([start, *(c.start for c in same)])
        end = max([end, *(c.end for c in same)])
        if all(end <= c.start or start >= c.end for c in chosen if c not in same):
            chosen = [c for c in chosen if c not in same] + [Span(start, end, kind)]
    return identifiers.whole_addresses(text, sorted(chosen, key=lambda s: s.start))


def _widens(chosen: Span, start: int, end: int, kind: str) -> bool:
    """Whether a reader's span `start:end` of `kind` takes in the rules' span `chosen`: one
    of its kind that it overlaps, or a NAME inside it that it reads as STAFF."""
    if not (chosen.start < end and start < chosen.end):
        return False
    if chosen.kind == kind:
        return True
    return (kind, chosen.kind) == ("STAFF", "NAME") and start <= chosen.start and chosen.end <= end


def _by_line(text: str, read: Sequence[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """A reader's spans cut at line breaks (a personal span never holds one; a reader may
    run a name on into the address line under it), each piece trimmed of spaces."""
    out: list[tuple[int, int, str]] = []
    for start, end, kind in read:
        at = start
        for piece in text[start:end].split("\n"):
            lead = len(piece) - len(piece.lstrip())
            if piece.strip():
                out.append((at + lead, at + len(piece.rstrip()), kind))
            at += len(piece) + 1
    return out
