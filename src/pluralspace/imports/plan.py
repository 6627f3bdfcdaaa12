"""The import plan: what a source file says, in this server's terms, before anything is written.

Every format module turns its file into one `Plan`; `apply.apply_plan` writes any plan the same way. Objects keep
the id they have in the source (`source_id`) and refer to each other by source ids, so the engine can map them onto
objects of an earlier import of the same source. `values` holds the model columns the source states; a key the
source does not know is absent, so a re-import never clears what the source never had.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class Warnings:
    """What could not be mapped, and why: one line per kind of problem, with how often it happened."""

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], int] = {}

    def add(self, code: str, message: str, count: int = 1) -> None:
        if count > 0:
            self._items[(code, message)] = self._items.get((code, message), 0) + count

    def extend(self, other: Warnings) -> None:
        for (code, message), count in other._items.items():
            self.add(code, message, count)

    def as_list(self) -> list[dict[str, Any]]:
        return [{"code": code, "message": message, "count": count}
                for (code, message), count in self._items.items()]

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class Item:
    source_id: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class MemberItem(Item):
    fields: dict[str, Any] = field(default_factory=dict)  # source field id -> value
    hid: str | None = None  # the short id the source gave it, kept when free


@dataclass
class GroupItem(Item):
    parent: str | None = None
    members: list[str] = field(default_factory=list)
    hid: str | None = None


@dataclass
class FrontItem:
    source_id: str
    member: str
    started_at: datetime
    ended_at: datetime | None
    comment: str | None = None


@dataclass
class JournalItem(Item):
    authors: list[str] = field(default_factory=list)


@dataclass
class PollOption:
    key: str | None  # how votes in the source name this option (None: a malformed file named none)
    label: str
    color: str | None = None


@dataclass
class PollVote:
    member: str
    kind: str  # choice | abstain | veto
    options: list[str] = field(default_factory=list)  # option keys
    comment: str | None = None
    created_at: datetime | None = None


@dataclass
class PollItem(Item):
    options: list[PollOption] = field(default_factory=list)
    created_by: str | None = None
    votes: list[PollVote] = field(default_factory=list)


@dataclass
class RelationshipItem(Item):
    type: str = ""
    source_member: str = ""
    target_member: str = ""


@dataclass
class ThoughtItem(Item):
    member: str | None = None


@dataclass
class Plan:
    format: str
    system: dict[str, Any] = field(default_factory=dict)
    fields: list[Item] = field(default_factory=list)
    members: list[MemberItem] = field(default_factory=list)
    groups: list[GroupItem] = field(default_factory=list)
    relationship_types: list[Item] = field(default_factory=list)
    relationships: list[RelationshipItem] = field(default_factory=list)
    fronts: list[FrontItem] = field(default_factory=list)
    journal: list[JournalItem] = field(default_factory=list)
    polls: list[PollItem] = field(default_factory=list)
    thoughts: list[ThoughtItem] = field(default_factory=list)
    linked_accounts: list[str] = field(default_factory=list)  # PluralKit's Discord account ids
    images: dict[str, bytes] = field(default_factory=dict)  # source object id -> image file found beside the data
    warnings: Warnings = field(default_factory=Warnings)
