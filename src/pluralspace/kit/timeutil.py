"""UTC time and the contract's timestamp format (RFC 3339, Z suffix, at most 6 fractional digits)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, PlainSerializer


def utcnow() -> datetime:
    return datetime.now(UTC)


class Clock:
    """The time the running app reads where a test must move it instead of waiting: whether a token has expired.

    The app holds one (`AppState.clock`), given to `create_app`; nothing reachable over HTTP replaces or moves it.
    Only the test suite builds a server with another (tests/conftest.py's `MovableClock`)."""

    def now(self) -> datetime:
        return utcnow()


def format_timestamp(value: datetime) -> str:
    text = value.astimezone(UTC).replace(tzinfo=None).isoformat()
    return text + "Z"


def in_utc(value: datetime) -> datetime:
    return value if value.tzinfo is UTC else value.astimezone(UTC)


# Pydantic's own JSON form of a UTC datetime is the contract's (`format_timestamp`: a `Z`, the fraction only when not
# zero, 6 digits), written by its serializer; a Python serializer here cost a call per timestamp on every list.
# Values are turned into UTC when the model is built instead (a no-op for the database's, which are UTC already).
Timestamp = Annotated[datetime, AfterValidator(in_utc)]
"""A timestamp in responses."""

# Kept as sent while validating: the domains' own validators say what a time that UTC cannot hold (year 1 with an
# offset) is wrong with, which a conversion here would turn into a 500.
TimestampIn = Annotated[AwareDatetime, PlainSerializer(format_timestamp, return_type=str, when_used="json")]
"""A timestamp in requests: must carry an offset, so no local time is ever guessed."""
