"""What every schema module shares: the base of inputs, UTC timestamps, the NUL rule and
the problem body."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, ValidationInfo


def _representable_in_utc(value: datetime) -> datetime:
    """Refuse times that exist only in their own zone (e.g. year 1 at +05:00)."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("must be a time that can be expressed in UTC") from None
    return value


#: A timestamp with a time zone that converts to UTC (the database stores UTC).
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_representable_in_utc)]


def no_nul(value: str | None, info: ValidationInfo) -> str | None:
    """PostgreSQL text cannot hold NUL; refuse it as a rule, not a 500."""
    if value is not None and "\x00" in value:
        raise ValueError(f"{info.field_name} must not contain NUL characters")
    return value


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class ProblemRead(BaseModel):
    """An RFC 9457 problem: what went wrong and, per field, which rule was broken."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] = []
