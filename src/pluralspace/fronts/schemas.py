from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from ..kit.timeutil import Timestamp, TimestampIn, utcnow
from ..kit.validators import ABSENT, Model, OutModel, Text
from ..members.schemas import MemberOut

CLOCK_SKEW = timedelta(minutes=5)
"""How far in the future a client's clock may be: a timestamp later than now + this is refused."""
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)


def _plausible(value: datetime) -> datetime:
    try:
        value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("is out of range") from None
    if value < EARLIEST:
        raise ValueError("must not be before 1900")
    if value > utcnow() + CLOCK_SKEW:
        raise ValueError("must not be in the future (5 minutes of clock skew are allowed)")
    return value.astimezone(UTC)


FrontTime = Annotated[TimestampIn, AfterValidator(_plausible)]
"""A front's time: RFC 3339 with an offset, not later than now plus 5 minutes of clock skew."""
Comment = Annotated[str, Text(500)]
PublicId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class FrontCreate(Model):
    member_id: PublicId = Field(description="Short id or uuid of a member (custom fronts included).")
    started_at: FrontTime | None = Field(None, description="Default now; may be back-dated.")
    ended_at: FrontTime | None = Field(None, description="null or absent: fronting now.")
    comment: Comment | None = None


class FrontPatch(Model):
    started_at: FrontTime = ABSENT
    ended_at: FrontTime | None = Field(None, description="null reopens the front (fronting now).")
    comment: Comment | None = None


class FrontEnd(Model):
    ended_at: FrontTime | None = Field(None, description="Default now.")


class FrontersReplace(Model):
    member_ids: Annotated[list[PublicId], Field(max_length=100)] = Field(
        description="Everyone fronting after the change; [] ends every open front.")
    at: FrontTime | None = Field(None, description="When the change happened; default now.")
    comment: Comment | None = Field(None, description="Comment of the fronts this starts.")


class FrontOut(OutModel):
    id: str
    member_id: str
    member: MemberOut | None = Field(description="With ?include=member, and always on /fronters.")
    started_at: Timestamp
    ended_at: Timestamp | None = Field(description="null: fronting now.")
    comment: str | None
    created_at: Timestamp
    updated_at: Timestamp


class SwitchOut(OutModel):
    timestamp: Timestamp
    member_ids: list[str] = Field(description="Everyone fronting right after the change ([] = nobody), "
                                              "in the order they started fronting.")
