from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StrictBool, StringConstraints

from ..kit.timeutil import Timestamp, TimestampIn
from ..kit.validators import ABSENT, Color, Model, OutModel, Text

MIN_OPTIONS, MAX_OPTIONS = 2, 50
VoteKind = Literal["choice", "abstain", "veto"]
PublicId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
OptionId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


def _in_range(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("is out of range") from None


ClosesAt = Annotated[TimestampIn, AfterValidator(_in_range)]


class PollOptionIn(Model):
    id: OptionId | None = Field(None, description="Only in PATCH: the id of an existing option, to keep it (and "
                                                  "change its label or color). Options without an id are new.")
    label: Annotated[str, Text(100, min_length=1)]
    color: Color | None = Field(None, description="rrggbb or #rrggbb")


PollOptions = Annotated[list[PollOptionIn], Field(min_length=MIN_OPTIONS, max_length=MAX_OPTIONS,
                                                  description="2..50 options; labels unique (ignoring case).")]


class PollCreate(Model):
    title: Annotated[str, Text(200, min_length=1)]
    description: Annotated[str, Text(2000)] | None = None
    options: PollOptions
    allow_multiple: StrictBool = Field(False, description="A choice vote may pick several options.")
    allow_abstain: StrictBool = Field(False, description="Members may vote `abstain`.")
    allow_veto: StrictBool = Field(False, description="Members may vote `veto`.")
    closes_at: ClosesAt | None = Field(None, description="The poll closes at this time (with an offset); "
                                                         "a time in the past makes a closed poll.")
    created_by: PublicId | None = Field(None, description="Short id or uuid of a member of this system.")


class PollPatch(Model):
    title: Annotated[str, Text(200, min_length=1)] = ABSENT
    description: Annotated[str, Text(2000)] | None = None
    options: PollOptions = Field(ABSENT, description="Replaces the options: 409 poll_has_votes once the poll has "
                                                   "votes (unless the options sent are the current ones).")
    allow_multiple: StrictBool = Field(ABSENT, description="Turning it off is 409 poll_has_votes while a vote "
                                                         "picks several options.")
    allow_abstain: StrictBool = Field(ABSENT, description="Turning it off is 409 poll_has_votes while an abstain "
                                                        "vote exists.")
    allow_veto: StrictBool = Field(ABSENT, description="Turning it off is 409 poll_has_votes while a veto exists.")
    closes_at: ClosesAt | None = Field(None, description="null removes the closing time.")


class VoteIn(Model):
    member_id: PublicId = Field(description="Short id or uuid of the voting member (of the poll's system).")
    kind: VoteKind = Field("choice", description="`abstain` and `veto` only where the poll allows them.")
    option_ids: Annotated[list[OptionId], Field(max_length=MAX_OPTIONS)] | None = Field(
        None, description="For `choice`: 1 option id, or several when the poll allows multiple; none otherwise.")
    comment: Annotated[str, Text(500)] | None = None


class PollOptionOut(OutModel):
    id: str
    label: str
    color: str | None = Field(description="#rrggbb")


class PollOut(OutModel):
    id: str
    title: str
    description: str | None
    options: list[PollOptionOut]
    allow_multiple: bool
    allow_abstain: bool
    allow_veto: bool
    closes_at: Timestamp | None
    closed: bool = Field(description="true once closed explicitly or once closes_at has passed.")
    created_by: str | None = Field(description="Short id of the member who made the poll; null when unknown, "
                                               "and for other viewers when that member is private.")
    results: dict[str, int] = Field(description="{option_id: n, ..., abstain: n, veto: n}, counted from the "
                                                "votes this viewer may see (every option is listed, 0 included).")
    vote_count: int = Field(description="How many members voted (abstentions and vetoes included), among the "
                                        "votes this viewer may see.")
    created_at: Timestamp


class VoteOut(OutModel):
    member_id: str
    option_ids: list[str]
    kind: VoteKind
    comment: str | None
    created_at: Timestamp
