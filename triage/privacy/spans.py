"""A personal span of guest text: where it starts and ends, and its kind (one of
`triage.privacy.redaction.KINDS`).

The rule modules (`triage.privacy.identifiers`, `triage.privacy.people`) yield them;
`triage.privacy.redaction.find` merges them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    kind: str
