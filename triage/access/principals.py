"""Who is calling: a hotel system's API key or a signed-in person with a role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a hotel system's key (`system`) or a person with a role."""

    kind: Literal["api_key", "user"]
    id: int
    role: Literal["system", "agent", "trainer", "admin"]
    property_ids: frozenset[str]
    email: str | None = None

    def can_see(self, property_id: str) -> bool:
        return property_id in self.property_ids
