"""UTC time and the contract's timestamp format (RFC 3339, Z suffix, at most 6 fractional digits)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AwareDatetime, PlainSerializer


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


Timestamp = Annotated[datetime, PlainSerializer(format_timestamp, return_type=str, when_used="json")]
"""A timestamp in responses."""

TimestampIn = Annotated[AwareDatetime, PlainSerializer(format_timestamp, return_type=str, when_used="json")]
"""A timestamp in requests: must carry an offset, so no local time is ever guessed."""
