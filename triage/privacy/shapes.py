"""The shapes of guest text both rule modules read: the words of a person's name (`WORD`,
`NAME` and their parts), the end of a sentence, and whether a name's first word is one the
lists of `triage.privacy.names` know.

The rules are in `triage.privacy.people` and `triage.privacy.identifiers`;
`triage.privacy.redaction.find` runs them.
"""

from __future__ import annotations

import re

from triage.privacy import names

UPPER = "A-ZÄÖÜÀ-ÞŁŚŻŹĆŃŠŽČŘĐŞĞİŐŰȘȚĀĒĪŪĄĘ"
LOWER = "a-zäöüßà-ÿłśżźćńšžčřđğışőűșțāēīūąęḁ-ỹ"
WORD = rf"(?:O['’]|Mc|Mac|D['’])?[{UPPER}][{LOWER}'’]+(?:-[{UPPER}][{LOWER}'’]+)?"
PARTICLE = r"(?:von|van|de|der|den|du|di|da|del|la|le|ter|zu|vom|dos|das|Ní|Nic|Ó|bin|ben|al|el)"
INITIAL = rf"[{UPPER}]\.(?:-[{UPPER}]\.)?"
NAME = (
    rf"(?:(?:{INITIAL}\s?){{0,2}}{WORD}(?:\s+(?:{PARTICLE}\s+){{0,2}}{WORD}){{0,2}}"
    rf"|{INITIAL}\s?{INITIAL}(?:\s?{INITIAL})?)"
)
SENTENCE_END = re.compile(r"[.!?;\n]")


def known(name: str) -> bool:
    """The first word of `name` is one the name lists know."""
    first = name.split()[0].strip(".")
    return names.is_name_word(first.capitalize()) or names.is_name_word(first)


_LINK_SO_FAR = re.compile(r"(?i)(?:https?://|www\.)\S*$")


def in_link(text: str, at: int) -> bool:
    """`text[at]` is inside a web address ("http://t.co/ratvsmE2M9"): a reader's span
    there is no name, booking or room."""
    token_start = max(text.rfind(" ", 0, at), text.rfind("\n", 0, at), text.rfind("\t", 0, at)) + 1
    return _LINK_SO_FAR.search(text, token_start, at) is not None
