"""Redaction of personal data a guest wrote: e-mail addresses, phone numbers, names.

Rule-based and conservative, for exports that leave the service (training data,
files for trainers). Names are caught where a text marks them as names: after a
title or salutation ("Herr Keller", "Mrs. O'Brien", "Dr. Meier"), after "my name is"
/ "ich heiße" / "mein Name ist", and after a greeting or sign-off ("Liebe Anna",
"Thanks, Tom", "Grüße, Jana Schulz"). A capitalised German noun is not a name, so
other capitalised words are left alone: a redactor that rewrote every noun would
ruin the text for training.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# +49 30 1234567, 030/1234567, (030) 123 45 67, 0171-1234567, +1 (555) 010-9999
PHONE = re.compile(r"(?<![\w+(])(?:\+|00|\()?\d[\d ()/.-]{5,}\d(?!\w)")
_NAME = r"[A-ZÄÖÜ][\w'’-]+(?:\s+[A-ZÄÖÜ][\w'’-]+)?"
_TITLES = r"Herr|Herrn|Frau|Fräulein|Mr|Mrs|Ms|Miss|Mister|Dr|Prof|Familie|Family|Kollege|Kollegin"
TITLED = re.compile(rf"\b(?P<lead>(?:{_TITLES})\.?\s+)(?P<name>{_NAME})", re.UNICODE)
INTRODUCED = re.compile(
    rf"(?P<lead>\b(?:my name is|I am called|ich heiße|ich heisse|mein Name ist|"
    rf"name:)\s+)(?P<name>(?-i:{_NAME}))",
    re.UNICODE | re.IGNORECASE,
)
GREETED = re.compile(
    rf"(?P<lead>\b(?:Liebe|Lieber|Hallo|Hi|Dear|Danke|Thanks|Thank you|Grüße|Gruß|Regards|"
    rf"Cheers|Best|LG|VG|MfG),?\s+)(?P<name>{_NAME})",
    re.UNICODE,
)
# Words after a greeting that are not names.
_NOT_NAMES = {
    "Team",
    "Grüße",
    "Gruß",
    "Dank",
    "Hotel",
    "Ihnen",
    "Euch",
    "Dir",
    "Sie",
    "Regards",
    "Wishes",
    "The",
    "All",
    "Everyone",
    "Again",
    "For",
    "To",
    "Und",
    "An",
    "Alle",
}


def _names(pattern: re.Pattern[str], text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group("name")
        if name.split()[0] in _NOT_NAMES:
            return match.group(0)
        return match.group("lead") + "[NAME]"

    return pattern.sub(replace, text)


def redact(text: str) -> str:
    """The text with e-mail addresses, phone numbers and marked names replaced."""
    text = EMAIL.sub("[EMAIL]", text)
    text = PHONE.sub(_phone, text)
    for pattern in (TITLED, INTRODUCED, GREETED):
        text = _names(pattern, text)
    return text


def _phone(match: re.Match[str]) -> str:
    digits = sum(c.isdigit() for c in match.group(0))
    # Seven or more digits make a phone number; dates, prices and room numbers stay.
    if digits < 7 or re.fullmatch(r"\d{1,2}[./]\d{1,2}[./]\d{2,4}", match.group(0).strip()):
        return match.group(0)
    return "[PHONE]"
