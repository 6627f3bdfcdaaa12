"""Wrapped recaps (docs/API.md §4): every key always present, null when the viewer may not see that part."""

from __future__ import annotations

from pydantic import Field

from ..kit.timeutil import Timestamp
from ..kit.validators import OutModel


class MemberFronting(OutModel):
    member_id: str
    name: str | None = Field(description="null when the viewer may not see the member's name.")
    seconds: int
    share: float = Field(description="seconds ÷ fronting.total_seconds (co-fronting counts for each member, so "
                                     "shares can add up to more than 1).")
    sessions: int = Field(description="Fronts that overlap the period.")
    longest_session_seconds: int


class Cofront(OutModel):
    member_ids: list[str] = Field(description="Two or more members fronting together, sorted.")
    seconds: int


class LongestSession(OutModel):
    member_id: str
    started_at: Timestamp
    ended_at: Timestamp | None
    seconds: int = Field(description="Within the period.")


class Fronting(OutModel):
    total_seconds: int = Field(description="Time anyone was fronting.")
    switch_count: int = Field(description="Moments within the period when who was fronting changed.")
    members: list[MemberFronting] = Field(description="Most time first.")
    top_cofronts: list[Cofront] = Field(description="The five longest-together sets of members, most first.")
    longest_session: LongestSession | None
    by_weekday: list[int] = Field(description="Seconds anyone fronted per local weekday, Monday first.")
    by_hour: list[int] = Field(description="Seconds anyone fronted per local hour, 0-23.")


class MembersRecap(OutModel):
    created: int
    archived: int = Field(description="Members archived within the period (since archiving times are kept).")


class JournalRecap(OutModel):
    entries: int
    words: int


class PollsRecap(OutModel):
    created: int
    votes: int


class ThoughtsRecap(OutModel):
    count: int


class WrappedOut(OutModel):
    period: str = Field(description="`YYYY` or `YYYY-MM`.")
    kind: str = Field(description="`year` or `month`.")
    start: Timestamp = Field(description="Local midnight at the start of the period, in UTC.")
    end: Timestamp = Field(description="Local midnight after the period, in UTC.")
    final: bool = Field(description="false while the period is still going: the numbers may still change.")
    generated_at: Timestamp
    fronting: Fronting | None = Field(description="null for other viewers when the system's front_history is "
                                                  "private.")
    members: MembersRecap | None
    journal: JournalRecap | None
    polls: PollsRecap | None
    thoughts: ThoughtsRecap | None


class PeriodOut(OutModel):
    period: str
    kind: str
    start: Timestamp
    end: Timestamp
    final: bool
