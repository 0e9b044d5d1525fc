"""The rules for personal data with a fixed shape in guest text: EMAIL, IBAN, CARD, DOB,
BOOKING, PHONE, ADDRESS and ROOM (the kinds and what counts are described in
`triage.privacy.redaction`).

`emails` finds the e-mail addresses; `with_digits` runs the finders of every other kind
(each holds a digit), in their order. Their spans may overlap: `triage.privacy.redaction.find`
is the entry, which merges them with the people's (`triage.privacy.people`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum import luhn

from triage.privacy.shapes import NAME, SENTENCE_END, WORD, in_link, known
from triage.privacy.spans import Span

#: Where phone numbers without a country code are read as national numbers.
PHONE_REGIONS = ("DE", "AT", "CH", "GB", "US", "IE", "NL", "FR", "IT", "AU")


#: A train or flight number's code, right before its digits ("ICE 597", "FR 554").
_TRANSPORT_BEFORE = re.compile(
    r"\b(?:ICE|IC|EC|ECE|IR|IRE|RE|RB|RJX?|TGV|NJ|FR|BA|LH|EZY|U2|EI|OS|LX|EW|KL|AF|DL|UA|AA)"
    r"\s?$"
)


def reader_span_holds(text: str, start: int, end: int, kind: str) -> bool:
    """Whether a name reader's span of a kind with digits (ADDRESS, BOOKING, ROOM, DOB) can
    be one (`redaction.find` has cut it at line breaks): it holds a digit, is not a train or
    flight number nor in a handle, hashtag or link, a room has a room number's shape, a date
    of birth is a whole past date that no stay, expiry or wedding dates (`_can_be_born`),
    and an address is not a floor or a distance ("the 29th floor", "1 block") nor the
    hotel's own."""
    span = text[start:end]
    if not _has_digit(span):
        return False
    if _TRANSPORT_BEFORE.search(text[max(0, start - 5) : start]):
        return False
    if text[max(0, start - 1) : start] in ("@", "#") or in_link(text, start):
        return False  # a handle, a hashtag or a link ("@cs50737", "#3009", "t.co/Ab3x9")
    if kind == "ROOM":  # a room number's shape, not a floor ("the 33rd"), a quantity or an age
        room = _ROOM_NUMBER_RE.match(text, start)
        before = text[max(0, start - 12) : start]
        return (
            room is not None
            and room.end() == end
            and not _NOT_A_ROOM_BEFORE.search(before)
            and not _STREET_AFTER.match(text, end)  # "a trattoria at 112 Lygon Street"
            and not (  # "2. Monika und Rainer": a list's number
                not text[text.rfind("\n", 0, start) + 1 : start].strip()
                and text[end : end + 1] in (".", ")")
            )
        )
    if kind == "DOB":
        return _can_be_born(text, start, end)
    if kind == "BOOKING" and re.match(r"[ \t]\d[A-Z]{2}\b", text[end : end + 4]):
        return False  # "postcode CA11 0QA": a UK postcode's first half
    if kind != "ADDRESS":
        return True
    if re.fullmatch(r"\d+(?:st|nd|rd|th)?", span.strip()) and (
        _FLOOR_OR_DISTANCE.match(text, end)
        or re.search(
            r"(?i)(?:room|saal|raum|level|gate|floor|ebene|halle|hall|terminal|pier|gleis)\s*$",
            text[max(0, start - 12) : start],
        )
    ):
        return False  # "Ballroom 1", "Gate 4"
    return not _hotels_own(text, start)


#: After a number, what makes it a floor or a distance: "the 29th floor", "1 block away".
_FLOOR_OR_DISTANCE = re.compile(
    r"(?i)(?:[ \t]+|&\d/\d[ \t]*|[ \t]+and a half[ \t]+)"
    r"(?:floors?|blocks?|stock|etage|minutes?|min|km|miles?)\b"
)


#: Right before a reader's room number, what makes it an age, a table, a bus or a bay.
_NOT_A_ROOM_BEFORE = re.compile(
    r"(?i)(?:\b(?:(?:she|he)['’]?s|aged?|turned|wird|ist|tisch|table|bus|linie|line|gate|"
    r"platz|bay|stellplatz|parkplatz|terminal)\s+)$"
)


def with_digits(text: str) -> Iterator[Span]:
    """The spans of the kinds that hold a digit, finder by finder: IBAN, CARD, DOB,
    BOOKING, PHONE, ADDRESS, ROOM."""
    for finder in (_ibans, _cards, _dates_of_birth, _bookings, _phones, _addresses, _rooms):
        yield from finder(text)


# --- e-mail, payment, dates of birth ----------------------------------------------------

_EMAIL = re.compile(
    r"[\w.+-]+\s?(?:@|\(at\)|\[at\]|\{at\})\s?[\w-]+(?:\.[\w-]+)*"
    r"(?:\.|\(dot\)|\[dot\])[A-Za-z]{2,}"
)
#: A hotel's own role address ("reservations@thegrange-hotel.co.uk") is not a guest's.
_HOTEL_MAILBOX = re.compile(
    r"(?i)^(?:info|reservations?|reservierung|rezeption|reception|frontdesk|front\.desk|"
    r"booking|bookings|buchung|kontakt|contact|service|events|sales|hotel|welcome|stay)"
    r"[@(\[{].*(?:hotel|resort|inn|gasthof|gasthaus|pension|lodge|spa)"
)


#: A role mailbox ("reservierung@seehof-tegernsee.de") the guest wrote to: the hotel's.
_ROLE_MAILBOX = re.compile(
    r"(?i)^(?:info|reservations?|reservierung(?:en)?|rezeption|reception|frontdesk|front\.desk|"
    r"booking|bookings|buchung|kontakt|contact|events|welcome|stay|empfang|concierge|"
    r"guestrelations|guest\.relations)[@(\[{]"
)
_WROTE_TO = re.compile(
    r"(?i)(?:mail|e-mail|email|schrieb|geschrieben|emailed|e-mailed|wrote|sent|geschickt)"
    r"\s+(?:an|to|at)?\s*$"
)


def emails(text: str) -> Iterator[Span]:
    for m in _EMAIL.finditer(text):
        if _ROLE_MAILBOX.match(m.group(0)) and _WROTE_TO.search(
            text[max(0, m.start() - 30) : m.start()]
        ):
            continue
        if _HOTEL_MAILBOX.match(m.group(0)) or names_a_hotel(_line_of(text, m.start())):
            continue  # "Von: Reservierung Hotel Alpenrose <reservierung@alpenrose-lech.at>"
        yield Span(m.start(), m.end(), "EMAIL")


_IBAN = re.compile(r"(?i)\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")


def _ibans(text: str) -> Iterator[Span]:
    for m in _IBAN.finditer(text):
        candidate = m.group(0)
        # Longest first: the match may run on into a following code or word.
        for end in range(len(candidate), 14, -1):
            if candidate[end - 1] == " ":
                continue
            if _valid_iban(candidate[:end]):
                yield Span(m.start(), m.start() + end, "IBAN")
                break


def _valid_iban(candidate: str) -> bool:
    """ISO 13616: the country's length and the mod-97 check (a bank's own national check
    digits are not required: a typo-free IBAN passes mod 97 alone)."""
    try:
        stdnum_iban.validate(candidate.upper(), check_country=False)
    except ValueError:
        return False
    return True


_CARD = re.compile(r"(?<![\d+-])[1-9](?:[ -]?\d){12,18}(?![\d-])")
_CARD_END_AFTER = re.compile(
    r"(?i)\b(?:visa|mastercard|master|amex|karte|card|kreditkarte|ec-karte)\s+(?:mit|with)\s+"
    r"(\d{4})\s+(?:am ende|at the end)"
)
#: "die Karte, die auf 9036 endet"
_CARD_ENDS_ON = re.compile(r"(?i)\b(?:karte|card)\b[^.!?\n]{0,20}\bauf\s+(\d{4})\s+endet\b")
_CARD_END = re.compile(
    r"(?i)(?:endet auf|endend auf|endet mit|endend mit|endet|ending(?: (?:in|with))?|"
    r"endziffern?|endnummer|(?:mit (?:der )?)?endung|ending digits|last digits(?: are)?|"
    r"ends (?:in|with)|last (?:four|4)(?: digits)?(?: are| of| were)?|"
    r"letzten? (?:vier|4)(?: Ziffern)?(?: sind| lauten)?|"
    r"(?:\*{2,}|x{2,}|•{2,})[\s-]?(?:(?:\*{4}|x{4}|•{4})[\s-]?)*)\s*:?\s*(\d{4})\b"
)


def _cards(text: str) -> Iterator[Span]:
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19 and luhn.is_valid(digits):
            yield Span(m.start(), m.end(), "CARD")
    for pattern in (_CARD_END, _CARD_END_AFTER, _CARD_ENDS_ON):
        for m in pattern.finditer(text):
            yield Span(m.start(1), m.end(1), "CARD")


_MONTHS = (
    r"(?:Jan(?:uar|uary)?|Feb(?:ruar|ruary)?|Mär(?:z)?|Mar(?:ch)?|Apr(?:il)?|Mai|May|"
    r"Jun[ie]?|Jul[iy]?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|O[ck]t(?:ober)?|Nov(?:ember)?|"
    r"De[cz](?:ember)?)\.?"
)
DATE = (
    r"(?:\d{1,2}[./-]\s?\d{1,2}[./-]\s?(?:19|20)?\d{2}|(?:19|20)\d{2}-\d{1,2}-\d{1,2}|"
    rf"\d{{1,2}}(?:\.|st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}\s+(?:19|20)\d{{2}}|"
    rf"{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}}|"
    rf"\d{{1,2}}-{_MONTHS}-(?:19|20)\d{{2}})"
)
_DOB = re.compile(
    r"(?i)(?:\b(?:geboren(?:\s+am)?|geb\.?-?dat(?:um|\.)?|geb\.|born(?:\s+on)?|date of birth|"
    r"d\.?o\.?b\.?|geburtsdatum|birth ?date|birthday|geburtstag)|(?<!\w)\*)\s*"
    rf"(?:is|ist|war|was)?\s*[:,(]?\s*(?:(?:am|on|the)\s+)?({DATE})(?!\d)"
)
_BORN_AFTER = re.compile(rf"(?i)\bam\s+({DATE})\s+geboren")
_FULL_DATE = re.compile(rf"(?<![\d.])({DATE})(?![\d])")
_YEAR = re.compile(r"(?:19|20)\d{2}|(?<=[./-])\d{2}$")
#: A full date this many years back or more is read as a date of birth: stays, bookings
#: and invoices guests write about are recent.
DOB_YEARS_BACK = 3
#: ... and only right after a person: "Jonas Berg 14.02.2011", "für Michael Brückner der
#: 03.10.1982", "Mum (Margaret Ellis, DOB ...)": an old date of a stay stays.
_PERSON_BEFORE_DATE = re.compile(
    r"(?:[A-ZÄÖÜ][a-zäöüß]+\s+[A-ZÄÖÜ][a-zäöüß-]+|sohn|tochter|kind|son|daughter|child|"
    r"baby|mann|frau|husband|wife|mutter|vater|mother|father|mum|dad|^\s*[A-ZÄÖÜ][a-zäöüß]+,)"
    r"[,:\s(]*(?:der|die|am|is|ist)?[,:\s(]*$",
    re.IGNORECASE,
)

#: ... but not a date a stay or a visit is dated by: "Arrived on 06/04/05", "from the
#: 9/5/2009", "stayed there 4/17/09 through 4/20/09", "vom 12.03.2019 bis".
_STAY_BEFORE = re.compile(
    r"(?i)(?:\b(?:on|from|through|thru|to|until|till|between|and|since|arrived|stayed|"
    r"vom|bis|zum|seit|ab|und|angereist|anreise|abreise|check-?in|check-?out)\s+(?:the\s+)?)$"
)

#: A sentence about dates of birth: every full date in it is one.
BIRTH_SENTENCE = re.compile(
    r"(?i)geburtsdat|geburtstage? der|dates? of birth|birth ?dates|\bdobs\b|\bgeb\.|geboren|born"
)


def _year_of(date: str, this_year: int) -> int:
    """The year of a date `DATE` matched (two digits read as the nearest past century)."""
    year = _YEAR.search(date)
    if year is None:
        return this_year
    value = int(year.group(0))
    return value + (0 if value > 99 else (1900 if value > this_year % 100 else 2000))


def _is_date(date: str) -> bool:
    """A numeric date whose first two parts can be a day and a month (either way round:
    "07/22/1991"); "83/2/14" is a house and door number."""
    parts = re.split(r"[./-]\s?", date)
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[0]) == 4:
        return True
    a, b = int(parts[0]), int(parts[1])
    return 1 <= min(a, b) <= 12 and 1 <= max(a, b) <= 31


#: Right before a date, what it dates instead of a birth: "Date of stay: 02/08/2024",
#: "Licence expires 01/05/2029", "married 3 June 1995".
_NOT_BIRTH_BEFORE = re.compile(
    r"(?i)\b(?:stay|arrival|departure|anreise|abreise|aufenthalt|expir\w*|gültig\w*|valid|"
    r"married|wedding|hochzeit|verheiratet|geheiratet|issued|ausgestellt|invoice|rechnung)"
    r"\b[^\n]{0,15}$"
)


_WHOLE_DATE = re.compile(rf"(?i:{DATE}|(?:19|20)\d{{2}}[./]\d{{1,2}}[./]\d{{1,2}})")


def _can_be_born(text: str, start: int, end: int) -> bool:
    """Whether a name reader's date of birth can be one: a whole date (day, month and year,
    not "March 2024" nor a year alone) before this year ends, not dated as a stay, an
    expiry or a wedding, nor a letter's date on a line of its own."""
    date = text[start:end].strip(" \t()[],")
    if _WHOLE_DATE.fullmatch(date) is None or not _is_date(date):
        return False
    this_year = time.gmtime().tm_year
    if _year_of(date, this_year) > this_year:
        return False
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : len(text) if line_end < 0 else line_end]
    if line.strip() == date:
        above = text[max(0, line_start - 40) : line_start]
        return BIRTH_SENTENCE.search(above) is not None or _DOB.search(above + date) is not None
    before = text[max(line_start, start - 40) : start]
    return not (_STAY_BEFORE.search(before) or _NOT_BIRTH_BEFORE.search(before))


def _dates_of_birth(text: str) -> Iterator[Span]:
    for pattern in (_DOB, _BORN_AFTER):
        for m in pattern.finditer(text):
            yield Span(m.start(1), m.end(1), "DOB")
    this_year = time.gmtime().tm_year
    for sentence in re.finditer(r"[^.!?\n]+(?:\.(?=\d)[^.!?\n]*)*", text):
        if BIRTH_SENTENCE.search(sentence.group(0)):
            for m in _FULL_DATE.finditer(text, sentence.start(), sentence.end()):
                if _is_date(m.group(1)) and _year_of(m.group(1), this_year) < this_year:
                    yield Span(m.start(1), m.end(1), "DOB")
    for m in _FULL_DATE.finditer(text):
        if not _is_date(m.group(1)):
            continue
        value = _year_of(m.group(1), this_year)
        line_start = text.rfind("\n", 0, m.start()) + 1
        before = text[max(line_start, m.start() - 40) : m.start()]
        if (
            value <= this_year - DOB_YEARS_BACK
            and _PERSON_BEFORE_DATE.search(before)
            and not _STAY_BEFORE.search(before)
        ):
            yield Span(m.start(1), m.end(1), "DOB")


# --- bookings, phones, rooms, addresses --------------------------------------------------

_BOOKING = re.compile(
    r"(?i)\b(?:buchungs-?(?:nummer|nr\.?|code|referenz|bestätigung)|"
    r"reservierungs-?(?:nummer|nr\.?|code)|bestätigungs-?(?:nummer|nr\.?|code)|"
    r"vorgangs-?(?:nummer|nr\.?)|auftrags-?(?:nummer|nr\.?)|rechnungs-?(?:nummer|nr\.?)|"
    r"booking(?:\s*(?:number|no\.?|nr\.?|ref(?:erence)?\.?|id|code|#))?|"
    r"reservation(?:\s*(?:number|no\.?|ref(?:erence)?\.?|code|id|#))?|"
    r"confirmation(?:\s*(?:number|no\.?|code|#))?|order\s*(?:number|no\.?|#)|"
    r"invoice\s*(?:number|no\.?)|ref(?:erence)?(?:\s*(?:number|no\.?))?|"
    r"buchung|reservierung|res\.?-?nr\.?|conf\.?\s*#|pnr|itinerary(?:\s*(?:number|no\.?))?|"
    r"invoice|rechnung|loyalty(?:\s*(?:number|no\.?|id))?|membership(?:\s*(?:number|no\.?))?|"
    r"member(?:ship)?\s*(?:number|no\.?|id)|stammgast-?(?:nummer|nr\.?)|kunden-?(?:nummer|nr\.?)|"
    r"mitglieds-?(?:nummer|nr\.?)|bonus-?(?:nummer|karte)|lost property(?:\s*(?:number|no\.?))?|"
    r"fundsachen-?(?:nummer|nr\.?|anfrage)|[\w-]*reiseplan(?:-?(?:nummer|nr\.?))?|"
    r"buchungscode(?: der \w+)?|bestätigung|"
    r"vertrags?-?(?:nummer|nr\.?)?|contract(?:\s*(?:number|no\.?))?|"
    r"bonus(?:karten)?-?(?:nummer|nr\.?)|rewards?(?:\s*(?:number|no\.?|id))?|folio|re:|"
    r"member\s*no\.?|record locator|res\.|res\s*#|conf\.?\s*(?:no\.?|number))"
    r"(?:\s+(?:laut|from|von|according to|per)\s+[^:\n]{3,30}:|"
    r"\s+(?:you|sie|ihr)\s+[a-z ]{3,30}?\s+(?:was|is|war|ist|lautet))?"
    r"\s*(?:(?:ist|is|war|was|lautet|lautete|unter|under|mit|with|nr\.?|no\.?)\s+)?[:#.(]?\s*"
    r"(\d{2,}(?:[ .]\d{2,}){1,3}|[A-Z]{1,4} \d{2,}(?:[ /-]\d{2,})+|[A-Z]{1,4} \d{3,}|"
    r"(?=[A-Za-z0-9/-]*\d)[A-Za-z0-9][A-Za-z0-9/-]{3,}[A-Za-z0-9])"
)
#: An unlabelled reference in the shape bookings have ("KX-20931", "RES-2026-004512").
_CODE = re.compile(
    r"\b[A-Z]{1,4}(?:-\d{2,4})*-\d{4,}(?:-[A-Z]{2,3})?\b|\b[A-Z]{2,4}-(?:19|20)\d{2}-\d{3,}\b"
)
#: A country's postcode before a town ("CH-8008 Zürich", "A-1060 Wien"): an address.
_POSTCODE_CODE = re.compile(r"(?:D|A|CH|FL|NL|F|B|L|I)-\d{4,5}\s+[A-ZÄÖÜ][a-zäöüß]")


_VAT_BEFORE = re.compile(r"(?i)\b(?:vat|ust|ust-?id\w*|tax|steuer\w*)\b")
#: A code a stay was booked under: "unter 4471-220 gebucht", "booked under KX 2209".
_BOOKED_UNDER = re.compile(
    r"(?i)\b(?:unter|under)\s+(?:(?:der|the)\s+(?:nummer|nr\.?|number|code)\s+)?"
    r"((?=[\w/ -]*\d)[A-Za-z0-9][\w/-]*(?: [\w/-]+){0,2}?)\s+"
    r"(?:gebucht|reserviert|booked|reserved)\b"
)


def _bookings(text: str) -> Iterator[Span]:
    for m in _BOOKING.finditer(text):
        if _VAT_BEFORE.search(text, max(0, m.start() - 40), m.start(1)):
            continue  # "the hotel's VAT number on the invoice (GB 274 3985 61)"
        yield Span(m.start(1), m.end(1), "BOOKING")
    for m in _BOOKED_UNDER.finditer(text):
        yield Span(m.start(1), m.end(1), "BOOKING")
    for m in _CODE.finditer(text):
        if not _POSTCODE_CODE.match(text, m.start()):
            yield Span(m.start(), m.end(), "BOOKING")


_PHONE_WORDS = re.compile(
    r"(?i)(?:tel\b|telefon|phone|mobile?|handy|mobil|cell|call|ring|ruf|anrufen|"
    r"erreichbar|reach|reached|whatsapp|nummer|number|rückruf|zurückrufen|melden|text me)"
)
#: Numbers that are the hotel's or a company's, not a guest's: a fax, a hotline, the
#: number on a website, a switchboard ("-0"), free and premium service numbers.
_NOT_GUESTS_PHONE = re.compile(
    r"(?i)(?:fax|hotline|help ?line|service ?line|servicenummer|zentrale|main line|"
    r"switchboard|website|webseite|homepage|"
    r"your number|ihre nummer|eure nummer|rezeption unter|reception on|\bvat\b|\bust\b|"
    r"steuernummer|\btax\b|"
    r"(?:nobody|no one|no-one|keiner|niemand)\s+(?:picked up|answered|ging|ran|hat))"
)
#: The sentence so far says the guest called this number: the hotel's.
_CALLED = re.compile(
    r"(?i)(?:^\s*|\b(?:i|we)\s+)(?:(?:have |had |'ve )?been\s+)?"
    r"(?:called|rang|phoned|tried(?: calling| to call| ringing| to ring)?|calling|ringing)\s+"
    r"(?:(?:the hotel|you|reception)\s+)?(?:(?:three|two|several|many) times\s+)?"
    r"(?:on\s+|at\s+)?$|\b(?:ich|wir)\s+(?:habe?n?\s+)?(?:vorher\s+|mehrfach\s+|mehrmals\s+)?"
    r"unter\s*$"
)
#: ... but "erreichbar bin ich unter ..." gives the guest's own number.
_REACHABLE = re.compile(r"(?i)erreichbar|zu erreichen|\b(?:bin|sind)\s+(?:ich|wir)\s+unter\b")
_BOOKING_LABEL_BEFORE = re.compile(
    r"(?i)(?:bestell|buchungs|rechnungs|reservierungs|auftrags|kunden|order|booking|invoice|"
    r"confirmation|reservation|itinerary)[\w-]*\s*(?:nr\.?|nummer|number|no\.?|#)?\s*:?\s*$"
)
#: A spoken extension after a number: "Durchwahl 23", "App. 17", "ext 214".
_EXTENSION = re.compile(
    r"(?i)[ \t]*,?[ \t]*(?:durchwahl|dw\.?|app\.|ext\.?|extension|x)[ \t]*\d{1,5}\b"
)
_SERVICE_NUMBER = re.compile(r"^(?:\+49\s?|0049\s?|0)(?:800|180\d?|900|137)|-0$")
_DIGITS = re.compile(r"(?<![\w+(])(?:\+|00|\()?\d[\d ()/.-]{5,}\d(?![\w])")
_COUNTRY_BEFORE = re.compile(r"(?:\+|00)\d{1,3}\s?$")


def _phones(text: str) -> Iterator[Span]:
    seen: set[tuple[int, int]] = set()
    if not _DIGITS.search(text):
        return  # no run of seven digits or more: no phone number (most reviews)
    valid = phonenumbers.Leniency.VALID
    candidates: list[tuple[int, int]] = []
    for region in PHONE_REGIONS:
        for number in phonenumbers.PhoneNumberMatcher(text, region, leniency=valid):
            candidates.append((number.start, number.end))
    for m in _DIGITS.finditer(text):
        if sum(c.isdigit() for c in m.group(0)) >= 7 and (
            _PHONE_WORDS.search(text[max(0, m.start() - 60) : m.start()])
            or re.search(r"(?i)\bunter\s*$", text[max(0, m.start() - 8) : m.start()])
            or re.match(r"(?i)\s*(?:erreichbar|reachable)", text[m.end() : m.end() + 15])
        ):
            candidates.append((m.start(), m.end()))
    for start, end in candidates:
        # "+44 (0)7700 900 654": the country code the matcher left out belongs to it.
        before = _COUNTRY_BEFORE.search(text, max(0, start - 6), start)
        if before:
            start = before.start()
        digits = text[start:end].strip()
        if digits.startswith("(") and ")" not in digits:
            start += 1
        if (start, end) in seen or _SERVICE_NUMBER.search(text[start:end].lstrip("(")):
            continue
        if re.fullmatch(r"\d{1,2}[./]\d{1,2}[./](?:\d{2}|\d{4})", text[start:end].strip()):
            continue  # a date, not a number to call
        if _STREET_AFTER.match(text, end):
            continue  # a house number: "1502-1088 Quebec St", "10235 101 St NW"
        seen.add((start, end))
        before_text = text[max(0, start - 50) : start]
        sentence_start = max((m.end() for m in SENTENCE_END.finditer(before_text)), default=0)
        after = text[end : end + 40]
        sentence_end = SENTENCE_END.search(after)
        around = (
            before_text[sentence_start:]
            + " "
            + after[: sentence_end.start() if sentence_end else 40]
        )
        called = _CALLED.search(before_text[sentence_start:]) and not _REACHABLE.search(around)
        if _BOOKING_LABEL_BEFORE.search(before_text):
            continue  # "Bestellnummer 4500218834": a booking's number
        if _NOT_GUESTS_PHONE.search(around) or called or _in_hotels_block(text, start):
            continue
        extension = _EXTENSION.match(text, end)
        if extension is not None:
            end = extension.end()  # "0821 455 903 Durchwahl 23": the extension is the number's
        yield Span(start, end, "PHONE")


_ROOM_NUMBER = (
    r"(\d{1,4}[a-zA-Z]?|\d[A-Z])(?![.,/]\d)(?!\s*(?:floors?|stars?|nights?|Stock|Sterne|"
    r"Nächte|Etagen?|people|persons|Personen|Betten|beds|m²|qm|sq|€|euro|eur|£|\$|%|x\b|"
    r"mal\b|times\b|minutes|Minuten|hours|Stunden|years|Jahre|Uhr|Tage|days|km|min\b|am\b|"
    r"pm\b|Euro|pounds|GBP|USD|CHF|kg|Gäste|guests|Kinder|kids|children|percent|per cent|"
    r"prozent|Prozent))"
)
_ROOM_NUMBER_RE = re.compile(_ROOM_NUMBER)
#: Three or four digits (or "12B") standing alone, not a time, price or quantity.
_ROOM_NUMBER_3 = (
    r"(?<![\d.,:/-])(\d{3,4}[A-Z]?|\d{1,2}[A-Z])(?![.,:/]\d)"
    + _ROOM_NUMBER[_ROOM_NUMBER.index(")") + 1 :]
)
_ROOMS = (
    re.compile(
        r"(?i)\b(?:(?:einzel|doppel|familien|dreibett)?zimmers?(?:-?(?:nummer|nr\.?))?|"
        r"zi\.(?:-?nr\.?)?|zi\b|room|rm\.?|[a-zäöü]*suite|apartment|appartement|app\.|"
        r"ferienwohnung|fewo|cabin|chalet|bungalow|hütte|villa|lodge|tent|zelt|treehouse|"
        r"baumhaus|yurt|jurte|pod)"
        rf"\s*(?:\(\s*)?[,:]?\s*(?:nr\.?|no\.?|number|nummer|#)?:?\s*"
        rf"(?:(\d\.\d{{2,3}})(?![\d.,]|\s*(?:€|euro|eur|uhr|h\b))|{_ROOM_NUMBER})\b"
    ),
    # "Unseres (Nr. 23)", "in der 408", "we were in 411", "Lou from 305"
    re.compile(rf"\((?:Nr\.|No\.|#)\s*{_ROOM_NUMBER}\)"),
    re.compile(r"\b(?:in|aus) der\s+(\d{3,4}[a-zA-Z]?)\b(?!\s*(?:Uhr|Euro|€|m\b))"),
    # "die Familie aus der 14", "in die 15 umgezogen", "wir hatten wieder die 27"
    re.compile(
        r"\b(?:aus|neben) der\s+(\d{1,2})\b(?![.,:/]?\d)(?!\.)"
        r"(?!\s*(?:Uhr|Euro|€|m\b|Jahre|Minuten|Reihe|Etage|Stock|Tage|Nächte|Personen))"
        r"|\bin die\s+(\d{1,4}[a-zA-Z]?)\s+(?:umgezogen|verlegt|gezogen|umquartiert)\b"
        r"|\b(?:hatten|bekamen|haben|hatte|bekam)\s+(?:wieder\s+|diesmal\s+)?die\s+"
        r"(\d{1,4}[a-zA-Z]?)\b(?![.,:/]?\d)(?!\s*(?:Uhr|Euro|€|Nächte|Tage|Minuten))"
    ),
    re.compile(
        r"(?i)\b(?:we were|i was|we are|i am|we're|i'm|wir waren|ich war)\s+in\s+"
        r"(\d{2,4}[a-zA-Z]?|\d[A-Z]|\d(?=[,.;)]))\b(?!\s*(?:am|pm|minutes|hours|days))"
    ),
    re.compile(
        r"(?i)\b(?:from|aus)\s+(?:room\s+|zimmer\s+)?(\d{3,4}[a-zA-Z]?)\b"
        r"(?=\s*(?:[.,!?]|$|[^\w\s€$£%°/:-])|\s+(?:here|hier))"
    ),
    re.compile(r"(?i)\bor was it\s+(\d{2,4}[a-zA-Z]?)\b"),
    re.compile(r"(?m)^\s*(\d{2,4}[A-Z]?)\s+(?:here|hier)\b"),
    re.compile(
        r"(?i)\b(?:given|gave us|put (?:us|me) in|moved (?:us |me )?(?:in)?to|upgraded to|"
        r"staying in|is in|are in|wohnt in|wohnen in|bekamen|bekommen)\s+"
        r"(?:room\s+|zimmer\s+)?(\d{3,4}[A-Z]?)\b(?![.,]\d)(?!\s*(?:€|£|\$|euro|pounds|minutes|min))"
    ),
    re.compile(
        r"(?i)\b(?:schlüssel(?:karte)?|key ?card|key|tür|door)\s+(?:für|for|zu|to|of)\s+"
        r"(?:zimmer\s+|room\s+)?(\d{2,4}[A-Z]?)\b"
    ),
    # German "die 214", "in die 226", "aus der 310", "auf 305"; English "in 408", "moved to
    # 219", "was 512", "Mo here, 903": three or four digits (or "12B") after these words.
    re.compile(
        r"(?i)\b(?:die|der|in die|in der|aus der|auf|in|im|nach|to|was|at|here,|maybe|"
        rf"vielleicht(?: auch)?(?: die)?)\s+{_ROOM_NUMBER_3}\b"
    ),
    re.compile(r"\b(?:die|der)\s+(\d{1,2})\b(?=[,.]?\s+(?:und|aber|war|die|the|,))"),
    # "zimmer war 3.12", "room was 512"; "(612)" after a room word
    re.compile(r"(?i)\b(?:zimmer|room)\s+(?:war|was|is|ist)\s+(\d{1,2}\.\d{1,3}|\d{1,4}[A-Z]?)\b"),
    re.compile(
        r"(?i)\b(?:zimmer|room|floor|stock|etage)[^.!?\n]{0,30}\((\d{2,4}[A-Z]?)\)(?!\s*\d)"
    ),
    # "Beatriz (309)", "meiner Schwester Lucía (203)": a person's room in brackets
    re.compile(rf"(?<![\w-])(?:{WORD})[ \t]*\((\d{{3,4}}[A-Z]?)\)"),
)
#: A rooming list's lines that start with the room: "101 Brautpaar Agnieszka & Tim".
_ROOMING_LIST = re.compile(r"(?i)zimmerliste|zimmerverteilung|zimmereinteilung|rooming ?list")
_ROOMING_LINE = re.compile(r"(?m)^[ \t]*(\d{2,4}[A-Z]?)[ \t]*[:–-]?[ \t]+(?=[A-ZÄÖÜ])")
#: A room that is no guest's: a function room, a room shown in photos or a brochure.
#: "Einzelzimmer 401, 402 und 405", "rooms 401, 402 and 407": every number of the list.
_ROOM_LIST = re.compile(
    r"(?i)\b(?:(?:einzel|doppel|familien)?zimmer|(?:single |double |twin |family )?rooms|"
    r"we're in|we are in|wir sind in|from|aus)\s+"
    r"\d{1,4}[A-Z]?(?:\s*(?:,|und|and|&)\s*\d{1,4}[A-Z]?)+"
)
#: After the number: a room booked for a meeting, not slept in.
_FUNCTION_USE = re.compile(
    r"(?i)[^.!?\n]{0,40}\b(?:for (?:our|the|a) (?:seminar|conference|meeting|workshop|training|"
    r"offsite|event|presentation)|für (?:unser(?:e|en)?|die|das|den) (?:seminar|tagung|meeting|"
    r"workshop|schulung|konferenz|besprechung))"
)
_NOT_GUESTS_ROOM = re.compile(
    r"(?i)(?:conference|meeting|function|seminar|session|breakout|tagungs|konferenz|besprechungs|"
    r"prospekt|brochure|photos?|fotos?|bilder|website|webseite|homepage|katalog|catalogue)"
)


#: Right after the number: a function room or one in a brochure ("Room 2 meeting room",
#: "Zimmer 101 im Prospekt").
_NOT_GUESTS_ROOM_AFTER = re.compile(
    r"(?i)\s+(?:meeting|conference|function|breakout|seminar|tagungs?|konferenz|"
    r"(?:[^.!?\n]{0,15}\b)?(?:in the|in your|on your|im|in der|auf der|auf den|on the|"
    r"in ihrem|auf ihrer|in eurem|auf eurer) (?:[\w-]+ )?"
    r"(?:brochure|prospekt|katalog|website|webseite|homepage|photos|fotos|[\w-]*fotos))"
)


def _rooms(text: str) -> Iterator[Span]:
    for pattern in _ROOMS:
        for m in pattern.finditer(text):
            group = next(i for i in range(1, (m.lastindex or 1) + 1) if m.group(i) is not None)
            start, end = m.start(group), m.end(group)
            value = m.group(group)
            if re.fullmatch(r"(?:19|20)\d{2}", value):  # a year
                continue
            before = text[max(0, m.start() - 40) : m.start()]
            before = before[max((e.end() for e in SENTENCE_END.finditer(before)), default=0) :]
            if (
                _NOT_GUESTS_ROOM.search(before)
                or _FUNCTION_USE.match(text, end)
                or _NOT_GUESTS_ROOM_AFTER.match(text, end)
                or _STREET_AFTER.match(text, end)  # "a trattoria at 112 Lygon Street"
            ):
                continue
            yield Span(start, end, "ROOM")
    if _ROOMING_LIST.search(text):
        for m in _ROOMING_LINE.finditer(text):
            yield Span(m.start(1), m.end(1), "ROOM")
    for m in _ROOM_LIST.finditer(text):
        for number in re.finditer(r"\d{1,4}[A-Z]?", m.group(0)):
            yield Span(m.start() + number.start(), m.start() + number.end(), "ROOM")


_STREET_SUFFIX = (
    r"(?:straße|strasse|str\.|weg|gasse|allee|platz|ring|damm|ufer|chaussee|steig|pfad|markt|"
    r"graben|wall|kamp|stieg|zeile|gracht|straat|laan|plein|kade|dreef|singel)"
)
_STREET_DE = (
    r"(?:(?:Alte|Alter|Neue|Neuer|Große|Großer|Grosse|Kleine|Kleiner|Obere|Oberer|Untere|"
    r"Unterer|Hohe|Lange|Breite|Innere|Äußere|Hintere|Vordere|Sankt|St\.)\s+)?"
    r"(?!(?:Stell|Park|Sitz|Camping|Spiel|Arbeits|Stand|Liege|Tisch|Abstell)platz)"
    rf"(?:[A-ZÄÖÜ][\wäöüß.-]*{_STREET_SUFFIX}|"
    r"[A-ZÄÖÜ][\wäöüß-]+\s(?:Straße|Strasse|Str\.|Weg|Gasse|Allee|Platz|Ring|Damm|Ufer|Markt)|"
    r"(?:Am|An der|An den|Im|In der|Auf der|Auf dem|Auf den|Zum|Zur|Hinter der|Unter den|"
    r"Unter der|Vor dem|Bei der)\s+"
    r"(?![\wäöüß-]*(?:raum|saal|zimmer|halle|bereich|keller|garten|stock|geschoss|restaurant)\b)"
    r"[A-ZÄÖÜ][\wäöüß-]+)"
)
_HOUSE = (
    r"\d{1,4}(?:\s?[a-zA-Z]\b)?(?:\s?[-/]\s?\d{1,4}[a-zA-Z]?){0,3}(?:-[IVX]+)?"
    r"(?!\s*(?:Minuten|Min\.|min\b|Gehminuten|km\b|Meter|m\b))"
)
_TOWN = (
    r"(?:(?:Bad|St\.|Sankt|Markt|Hann\.)\s)?[A-ZÄÖÜ][\wäöüß-]+"
    r"(?:\s(?:am|an der|im|bei|ob der|in der)\s[A-ZÄÖÜ][\wäöüß-]+)?"
    r"(?:\s\([A-ZÄÖÜ][\wäöüß. -]{1,25}\))?"
)
_POSTCODE_TOWN = rf"(?:(?:D|A|CH|NL|F|B|L)-)?(?:\d{{4}}\s?[A-Z]{{2}}|\d{{4,5}})\s+{_TOWN}"
_ADDRESS_DE = re.compile(rf"\b{_STREET_DE}\s+{_HOUSE}\b(?:,?\s+{_POSTCODE_TOWN})?")
_ADDRESS_ROMANCE = re.compile(
    r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?i:Rue|Avenue|Av\.|Boulevard|Bd|Place|Chemin|Allée|"
    r"Impasse|Quai|Via|Viale|Piazza|Corso|Calle|Avenida|Rua|Plaza)\s+[\w'’ -]{2,40}?"
    rf"(?:,\s*{_POSTCODE_TOWN}|(?=[,.\n]))"
    r"|\b(?:Via|Viale|Piazza|Corso|Calle|Avenida|Rua)\s+[A-Z][\w'’ ]{2,30}?\s+\d{1,4}[a-z]?"
    rf"(?:,\s*{_POSTCODE_TOWN})?"
)
_HOUSE_WORD = (
    r"(?:Cottage|Cottages|House|Court|Farm|Lodge|Barn|Forge|Rectory|Vicarage|Mill|Hall|Manor|"
    r"Grange|Mews|Villa|Bank|View|Croft|Bungalow|Heights|Lea|Mead|Orchard|Steading|Haus|Hof)"
)
#: UK and Irish addresses that start with a flat or a house name and end in a postcode:
#: "Rose Cottage, 4 Mill Lane, Chipping Norton OX7 5LP".
_ADDRESS_HOUSE_NAME = re.compile(
    r"\b(?:(?:Flat|Apartment|Apt\.?|Unit)\s+\d+\w?|(?:The\s+)?(?:[A-Z][a-z]+\s+){0,2}"
    rf"{_HOUSE_WORD}|(?:Tŷ|Y)\s[A-Z][\w'’-]+)(?:,\s*[^,\n]{{2,40}}){{1,4}}?,?\s+"
    r"(?:[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|[A-Z]\d{2}\s?[A-Z\d]{4})\b"
)
#: A line that is a US town, state and ZIP code ("Chicago, IL 60614").
_ADDRESS_US_TOWN = re.compile(r"(?m)^[A-Z][a-z]+(?: [A-Z][a-z]+)*, [A-Z]{2} \d{5}(?:-\d{4})?\b")
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"
_CA_POSTCODE = r"[A-Z]\d[A-Z][ \t]?\d[A-Z]\d"
_EIRCODE = r"[AC-FHKNPRTV-Y]\d{2}[ \t]?[AC-FHKNPRTV-Y\d]{4}"
#: Polish ("ul. Długa 14/3, 80-827 Gdańsk"), Irish (Eircode) and Australian addresses.
_ADDRESS_MORE = re.compile(
    r"(?m)\bul\.\s+\w+(?:\s\w+)?\s+\d{1,4}(?:/\d{1,4})?(?:,\s*\d{2}-\d{3}\s+\w+)?|"
    r"^\d{2}-\d{3}\s+\w+[ \t]*$|"
    r"(?:[A-Z][\w'’-]+(?:\s[A-Z][\w'’-]+)*,\s*){1,4}(?:Co\.\s)?[A-Z][a-z]+\s+"
    r"[AC-FHKNPRTV-Y]\d{2}\s?[AC-FHKNPRTV-Y\d]{4}\b|"
    r"\bDublin \d{1,2}(?:,\s*D\d{2}\s?[A-Z\d]{4})?\b(?=[ \t]*$|[ \t]*,\s*Ireland)|"
    r"^[A-Z][a-z]+(?: [A-Z][a-z]+)*,?\s(?:VIC|NSW|QLD|SA|WA|TAS|NT|ACT)\s\d{4}[ \t]*$|"
    rf"(?<=\n)[A-Z][a-z]+(?:[ -][A-Z][a-z]+)*,?\s+{_UK_POSTCODE}[ \t]*$|"
    rf"(?<=\n)(?:Co\.\s)?[A-Z][a-z]+(?:[ -][A-Z][a-z]+)*,?\s+(?:{_EIRCODE}|(?:[A-Z]{{2}},?\s+)?"
    rf"{_CA_POSTCODE})[ \t]*$|"
    rf"^(?:The\s+)?(?:[A-Z][a-z]+\s+){{0,2}}{_HOUSE_WORD},\s*(?:\d+\s+)?(?:[A-Z][a-z]+\s+){{1,3}}"
    r"(?:Street|Road|Lane|Close|Way|Drive|Avenue|Crescent|Terrace|Row|Hill)[ \t]*$"
)
#: A house number and words to a UK postcode, whatever the street is called ("7 Meadow View,
#: Stokesley, Middlesbrough TS9 5HF", "2 The Paddocks, Much Wenlock TF13 6AP").
_ADDRESS_TO_POSTCODE = re.compile(
    r"(?:\b(?:Flat|Apt\.?|Apartment|Unit)\s+\d+[A-Za-z]?,?\s+)?(?<![/.\d])\b\d{1,5}[A-Za-z]?,?"
    r"[ \t]+(?:[A-Z][\w'’-]+[ \t]){0,3}?(?:[A-Z][\w'’-]+)"
    r"(?:,[ \t]*(?:[A-Z][\w'’-]+[ \t]?){1,3}){0,3}"
    rf",?[ \t]+{_UK_POSTCODE}\b"
)
#: A post-office box or a rural route ("PO Box 4412", "Postfach 10 23 45", "Rural Route 2,
#: Box 118"); the town after it is its tail (`whole_addresses`).
_ADDRESS_BOX = re.compile(
    r"\b(?:P\.?[ \t]?O\.?[ \t]?Box|Postfach|Rural Route[ \t]+\d{1,3},?[ \t]+Box)"
    r"[ \t]+\d(?:[ \t]?\d){0,9}\b"
)
#: A "c/o Kessler Bau GmbH" line of a letterhead.
_ADDRESS_CARE_OF = re.compile(r"(?m)^c/o [^\n]{3,60}[ \t]*$")
#: A line that is a postcode and a town, under a street line.
_ADDRESS_TOWN_LINE = re.compile(rf"(?m)(?<=\n)(?:{_POSTCODE_TOWN})[ \t]*$")
_STREET_EN = (
    r"(?:Street|St\.?|Road|Rd\.?|Avenue|Ave\.?|Lane|Ln\.?|Drive|Dr\.?(?!\s*[A-ZÄÖÜ][a-zäöü])|"
    r"Close|Way|Place|Parade|Quay|Esplanade|Wharf|Highway|Hwy\.?|Parkway|Pkwy\.?|Circle|Trail|"
    r"Crescent|Court|Terrace|Gardens|Square|Row|Mews|Grove|Boulevard|Blvd\.?|Walk|Rise|Hill)"
)
#: A street's name and word right after digits: the digits are a house number, not a phone
#: ("1502-1088 Quebec St", "10235 101 St NW").
_STREET_AFTER = re.compile(rf"[ \t]+(?:[A-Z][\w'’-]+[ \t]+){{0,2}}{_STREET_EN}\b")
_ADDRESS_EN = re.compile(
    rf"(?:\b(?:Flat|Apt\.?|Apartment|Unit)\s+(?:\d+[A-Za-z]?,?\s+|(?=\d{{1,4}}/)))?"
    rf"(?<![/.\d])\b(?:\d{{1,4}}[/-]\d{{1,5}}[A-Za-z]?\s+|\d{{1,5}}[A-Za-z]?,?\s+)"
    rf"(?:[NSEW]\.?\s+)?(?:(?:[A-Z][a-z'’]+|\d{{1,3}}(?:st|nd|rd|th)?(?=\s+{_STREET_EN}))\s+){{1,3}}{_STREET_EN}(?![a-z])"
    rf"(?:,?\s+(?:Apt\.?|Flat|Unit|Suite)\s+\w+)?"
    rf"(?:(?:,[ \t]*|[ \t]+)(?!{_UK_POSTCODE})[A-Z][a-z]+(?:[ \t][A-Z][a-z]+)?)?"
    rf"(?:,?\s+(?:{_UK_POSTCODE}|[A-Z]{{2}}\s\d{{5}}(?:-\d{{4}})?|\d{{5}}))?"
)
#: "My address is ...", "Anschrift: ...": what follows, to the end of the line or sentence.
_ADDRESS_LABELLED = re.compile(
    r"(?i)\b(?:(?:my|home|postal|our|billing)\s+address(?:\s+is)?|address:|"
    r"(?:meine|unsere)\s+(?:adresse|anschrift)(?:\s+(?:ist|lautet))?|adresse:|anschrift:|"
    r"wohnhaft in|post (?:it|them) to|send (?:it|them) to|schicken sie (?:es|sie) an)"
    r"\s*:?\s*(?P<address>(?=[^\n]{0,80}\d)(?-i:[A-ZÄÖÜ0-9])[^\n]{5,120}?)"
    r"(?=(?<!str)\.\s|\.$|\n|\?|!|$| / )"
)
_HOTELS_OWN = re.compile(
    r"(?i)(?:hotel|haus|liegt|gelegen|befindet sich|located|situated|adresse des hotels|"
    r"the hotel is (?:at|on)|hotel's address|ihre adresse|eure adresse|your (?:own )?address)"
    r"[^.!?\n]{0,40}$|(?:website|webseite|homepage|navi|sat ?nav)[^\n]{0,80}$|"
    r"(?:front desk|reception|rezeption|the front|entrance|eingang|restaurant|osteria|trattoria|"
    r"café|cafe|pub|bistro|bar|museum|gallery|galerie|station|bahnhof)"
    r"(?:[ \t]+[A-Z][\w'’]+){0,3},?[ \t]+(?:at|on|in|an der|in der|am|im)[ \t]+$"
)


#: A line that names a hotel (in a letter's address block or a quoted reply's signature):
#: "Parkhotel Adler", "> The Crown Hotel", "Glenview Hotel", "The Midland Lodge"; a house
#: called "Rose Lodge" is a guest's.
_HOTELS_BLOCK = re.compile(
    r"(?im)^[> \t]*(?:(?:von|from|an|to|cc)[ \t]*:[ \t]*)?"
    r"(?!(?:hallo|hello|hi|hey|dear|liebe[rs]?|sehr|guten|good)\b)"
    r"(?:an das|an den|an die|to)?\s*(?:(?:[\w'’&-]+[ \t]+){0,3}"
    r"(?:[\w-]*hotel|resort|motel|hostel|gasthof|gasthaus)|pension|inn|lodge|landhaus|"
    r"the(?:[ \t]+[\w'’&-]+){1,3}[ \t]+(?:lodge|inn))\b(?!-?team)[^\n]*$"
)


def names_a_hotel(line: str) -> bool:
    """The line names a hotel ("Hotel Seehof", "> The Crown Hotel", "Reservierung · Hotel
    Alpenrose"): an address under it is the hotel's, a name above it signs for it."""
    return (
        _HOTELS_BLOCK.search(line) is not None
        or re.search(r"[,·|–-][ \t]*(?:[A-ZÄÖÜ][\w'’&-]*[ \t]+){0,2}[\w-]*[Hh]otel\b", line)
        is not None
    )


def _in_hotels_block(text: str, at: int) -> bool:
    """`at` is on a line naming the hotel, or on a short line of the block under one (its
    signature or letterhead: "> The Crown Hotel\n> 14 High Street ...\n> 0117 496 0210")."""
    line = _line_of(text, at)
    if names_a_hotel(line):
        return True
    if len(line.strip(" \t>")) > 40:
        return False
    start = text.rfind("\n", 0, at) + 1
    for _ in range(3):
        if start == 0:
            return False
        above_start = text.rfind("\n", 0, start - 1) + 1
        above = text[above_start : start - 1]
        if not above.strip(" \t>"):
            return False
        if names_a_hotel(above):
            return True
        start = above_start
    return False


def _line_of(text: str, at: int) -> str:
    """The whole line `at` is on."""
    end = text.find("\n", at)
    return text[text.rfind("\n", 0, at) + 1 : len(text) if end < 0 else end]


def _lines_before(text: str, at: int, count: int) -> str:
    """The `count` whole lines before the line `at` is on."""
    start = text.rfind("\n", 0, at) + 1
    for _ in range(count):
        if start == 0:
            break
        start = text.rfind("\n", 0, start - 1) + 1
    return text[start : text.rfind("\n", 0, at) + 1]


def _hotels_own(text: str, at: int) -> bool:
    """The address at `at` is the hotel's: the text says so just before it, or a hotel's
    name heads it, up to three lines above ("An das\nParkhotel Adler\nKönigsseer Str. 12\n
    83471 Schönau")."""
    lead = text[text.rfind("\n", 0, at) + 1 : at].strip(" \t>")
    starts_line = len(lead.split()) <= 2 and not re.search(r"[.!?:]", lead)  # "> Level 2, 88 ..."
    return _HOTELS_OWN.search(text[max(0, at - 60) : at]) is not None or (
        starts_line and _HOTELS_BLOCK.search(_lines_before(text, at, 3)) is not None
    )


#: What may stand between two parts of one address on its line: "1203 W Belmont Ave" "#4",
#: "Chicago" ...
_ADDRESS_GAP = re.compile(r"[ \t]*(?:[,#/][ \t]*)?")
#: The rest of an address on its line after the street: a unit or a compass point, the
#: town (and county or state), and a postcode of the US ("IL 60657", "DC 20500-0001"),
#: Canada ("ON M5C 1R6"), Australia ("NSW 2026"), the UK or Ireland, or a town's
#: four or five digits after a comma ("Dunedin 9016").
_ADDRESS_TAIL = re.compile(
    r"(?:[ \t]+(?:N|S|E|W|NE|NW|SE|SW)\b)?"
    r"(?:,?[ \t]*(?:#|(?:Apt|Ste|Suite|Unit|Flat)\.?[ \t]+)\w{1,5}\b)?"
    r"(?:,?[ \t]*(?!(?:Room|Zimmer|Suite|Tel|Phone|Fax|Booking|Buchung|Nr|No)\b)"
    r"[A-Z][\w'’.-]+(?:[ \t][A-Z][\w'’.-]+){0,2}){0,3}"
    r"(?:,?[ \t]+(?:(?:[A-Z]{2}|NSW|VIC|QLD|TAS|ACT)[ \t]+(?:\d{5}(?:-\d{4})?|\d{4}|"
    rf"{_CA_POSTCODE})|{_CA_POSTCODE}|{_UK_POSTCODE}|{_EIRCODE})"
    r"|(?<=\b[A-Z]{2})[ \t]+(?:\d{5}(?:-\d{4})?|" + _CA_POSTCODE + r")"
    r"|(?<=NSW|VIC|QLD|TAS|ACT)[ \t]+\d{4}"
    r"|,[ \t]*[A-Z][a-z]+(?:[ \t][A-Z][a-z]+)?[ \t]+\d{4,5}"
    rf"|,?[ \t]+{_POSTCODE_TOWN})(?![\w-])"
)


#: What stands before a street on its line and belongs to the address: a flat, suite or
#: level ("Flat B, ", "Level 3, ") or a house's name ("Laurel Bank, ", "Tŷ Gwyn, "), after
#: the line's start, a colon, "is", "to", "at" or a comma.
_ADDRESS_HEAD = re.compile(
    r"(?P<head>\b(?:Flat|Apt\.?|Apartment|Unit|Suite|Ste\.?|Level|Floor)[ \t]+\w{1,5}"
    r"|(?:^|(?<=\n)|(?<=[:(,])[ \t]*|(?<=\b(?:is|to|at|of))[ \t]+)"
    rf"(?:(?:The[ \t]+)?(?:[A-Z][\w'’-]*[ \t]+){{0,2}}{_HOUSE_WORD}|(?:Tŷ|Y)[ \t]+[A-Z][\w'’-]+))"
    r",?[ \t]*\Z"
)
#: An address line that ends in a postcode of the UK, Ireland, Canada, the US or Australia,
#: or a German-style postcode and town.
_POSTAL_LINE_END = re.compile(
    rf"(?:{_UK_POSTCODE}|{_EIRCODE}|{_CA_POSTCODE}|\b[A-Z]{{2,3}}[ \t]+\d{{4,5}}(?:-\d{{4}})?|"
    rf"\b(?:(?:D|A|CH)-)?\d{{4,5}}[ \t]+[A-ZÄÖÜ][\w()äöüß. -]*)[ \t]*\Z"
)
#: Lines of a letter that are not its address: greetings, closings, dates, contacts.
_NOT_ADDRESS_LINE = re.compile(
    r"(?i)\b(?:dear|hello|hi|regards|thanks|thank you|cheers|best|sincerely|faithfully|"
    r"yours|sehr geehrte|hallo|liebe|grüße|gruß|grüßen|danke|vielen dank|tel|phone|mobile|"
    r"fax|e-?mail|handy|mobil|ref|invoice|re:|betreff|datum|date|name|hochachtungsvoll|mfg|"
    r"lg|vg|love|xx|z\. ?hd|attn|für|for|und|and)\b|[@&:]"
)


def joined_addresses(text: str, read: Sequence[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """A reader's spans with the pieces of one address on one line joined into one span
    ("1203" "W Belmont Ave" "Chicago" "IL 60657"): each piece alone lacks the digit or the
    street an address's checks ask for."""
    out: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(read):
        last = out[-1] if out else None
        if last and kind == last[2] == "ADDRESS" and _ADDRESS_GAP.fullmatch(text, last[1], start):
            out[-1] = (out[-1][0], end, kind)
        else:
            out.append((start, end, kind))
    return out


def whole_addresses(text: str, spans: list[Span]) -> list[Span]:
    """`spans` (in order, none overlapping) with each address made whole: the parts of one
    address on one line joined, each reaching back over a flat or house name before it
    (`_ADDRESS_HEAD`) and on to the end of its postal tail (`_ADDRESS_TAIL`), and a
    letterhead's lines above an address line taken with it (`_letterhead`). A name or
    room inside ("Washington" of "Washington, DC 20500", "Laurel Bank") becomes part of
    the address; any other kind stops it."""
    out: list[Span] = []
    for span in spans:
        last = out[-1] if out else None
        if last is not None and last.kind == "ADDRESS" and last.end > span.start:
            if span.end > last.end:
                out[-1] = Span(last.start, span.end, "ADDRESS")
            continue
        if (
            last is not None
            and last.kind == span.kind == "ADDRESS"
            and _ADDRESS_GAP.fullmatch(text, last.end, span.start)
        ):
            out[-1] = Span(last.start, span.end, "ADDRESS")
            continue
        if span.kind == "ADDRESS":
            span = _widened(text, span, spans)
            while out and out[-1].start >= span.start and out[-1].kind in _IN_ADDRESS:
                out.pop()
        out.append(span)
    return _letterhead(text, out)


def _widened(text: str, span: Span, spans: list[Span]) -> Span:
    start, end = span.start, span.end
    line_start = text.rfind("\n", 0, start) + 1
    head = _ADDRESS_HEAD.search(text, line_start, start)
    if head is not None and _only_in_address(spans, head.start("head"), start):
        start = head.start("head")
    # The tail is tried from the span's end and from its last commas: a reader may stop
    # inside a postcode ("Ottawa, ON K2P" of "... K2P 1K4").
    commas = [start + m.start() for m in re.finditer(",", text[start:end])][-3:]
    for at in [end, *commas]:
        tail = _ADDRESS_TAIL.match(text, at)
        if tail is not None and tail.end() > end and _only_in_address(spans, end, tail.end()):
            end = tail.end()
    return Span(start, end, "ADDRESS")


def _only_in_address(spans: list[Span], start: int, end: int) -> bool:
    """Whether every span that touches `start:end` lies inside it and may be part of an
    address."""
    touching = [s for s in spans if s.start < end and start < s.end]
    return all(s.kind in _IN_ADDRESS and start <= s.start and s.end <= end for s in touching)


def _letterhead(text: str, spans: list[Span]) -> list[Span]:
    """A letterhead's lines above an address line that ends in a postcode ("Gortnahoo\n
    Ballyheigue\nCo. Kerry V92 F3K8"): each short line above it, up to the writer's name
    line, a blank line or a sentence, is an address line of its own."""
    added: list[Span] = []
    for span in spans:
        if span.kind != "ADDRESS" or not _POSTAL_LINE_END.search(
            text, span.start, _line_end(text, span.end)
        ):
            continue
        line_start = text.rfind("\n", 0, span.start) + 1
        if text[line_start : span.start].strip():
            continue
        block: list[Span] = []
        for _ in range(4):
            if line_start == 0:
                break
            above_start = text.rfind("\n", 0, line_start - 1) + 1
            line = text[above_start : line_start - 1]
            stripped = line.strip()
            on_line = [s for s in spans if s.start < line_start - 1 and above_start < s.end]
            if (
                not stripped
                or len(stripped) > 50
                or stripped[-1] in ".!?:;,"
                or _NOT_ADDRESS_LINE.search(stripped)
                or any(s.kind not in _IN_ADDRESS for s in on_line)
                or (any(s.kind in ("NAME", "STAFF") for s in on_line) and not _has_digit(stripped))
            ):
                break
            if _HOTELS_BLOCK.search(stripped):
                block = []
                break
            lead = above_start + line.index(stripped)
            if not any(s.kind == "ADDRESS" and s.start <= lead for s in on_line):
                block.append(Span(lead, lead + len(stripped), "ADDRESS"))
            line_start = above_start
        if block and not _hotels_own(text, block[-1].start):
            added += block
    if not added:
        return spans
    kept = [s for s in spans if not any(a.start <= s.start and s.end <= a.end for a in added)]
    return sorted(kept + added, key=lambda s: s.start)


def _has_digit(text: str) -> bool:
    return any(c.isdigit() for c in text)


def _line_end(text: str, at: int) -> int:
    end = text.find("\n", at)
    return len(text) if end < 0 else end


_IN_ADDRESS = ("ADDRESS", "NAME", "STAFF", "ROOM")


def _addresses(text: str) -> Iterator[Span]:
    for pattern in (
        _ADDRESS_DE,
        _ADDRESS_EN,
        _ADDRESS_ROMANCE,
        _ADDRESS_HOUSE_NAME,
        _ADDRESS_US_TOWN,
        _ADDRESS_TOWN_LINE,
        _ADDRESS_CARE_OF,
        _ADDRESS_MORE,
        _ADDRESS_TO_POSTCODE,
        _ADDRESS_BOX,
    ):
        for m in pattern.finditer(text):
            if not _hotels_own(text, m.start()):
                yield Span(m.start(), m.end(), "ADDRESS")
    for m in _ADDRESS_LABELLED.finditer(text):
        if _HOTELS_OWN.search(text[max(0, m.start() - 60) : m.start()]):
            continue
        start, end = m.start("address"), m.end("address")
        # "Adresse: Thomas Pircher, Via Portici 21, ...": the person before the address is a
        # name, not part of it.
        person = re.match(
            rf"(?:(?:Dr|Prof|Mr|Mrs|Ms|Herr|Frau)\.?\s+)?{NAME},\s*(?=\D)", text[start:end]
        )
        if person is not None and known(person.group(0).split()[-1].rstrip(",")) | known(
            re.sub(r"^(?:Dr|Prof|Mr|Mrs|Ms|Herr|Frau)\.?\s+", "", person.group(0))
        ):
            start += person.end()
        # A country after the town is not part of the address.
        end = start + len(
            re.sub(
                r",\s*(?:Germany|Deutschland|France|Frankreich|UK|USA|"
                r"Austria|Österreich|Switzerland|Schweiz|Italy|Italien|"
                r"Netherlands|Niederlande|Spain|Spanien)\s*$",
                "",
                text[start:end],
            )
        )
        yield Span(start, end, "ADDRESS")
