from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from ..kit.timeutil import Timestamp
from ..kit.validators import ABSENT, Color, HttpsUrl, Model, OutModel, Text

Visibility = Literal["public", "private"]
PublicId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
# A whole system's roster fits; the cap keeps the IN lists of one request within every engine's bind limit.
MemberIds = Annotated[list[PublicId], Field(max_length=5000, description="Member short ids or uuids.")]


class GroupPrivacy(OutModel):
    visibility: Visibility
    name: Visibility
    description: Visibility
    icon: Visibility
    list: Visibility


class GroupPrivacyPatch(Model):
    """Only the keys sent change; null is not a visibility."""

    visibility: Visibility = ABSENT
    name: Visibility = ABSENT
    description: Visibility = ABSENT
    icon: Visibility = ABSENT
    list: Visibility = ABSENT


class GroupWrite(Model):
    """Fields shared by create and patch."""

    display_name: Annotated[str, Text(100)] | None = None
    description: Annotated[str, Text(10_000)] | None = None
    icon: HttpsUrl | None = None
    color: Color | None = None
    parent_id: PublicId | None = Field(None, description="Short id or uuid of a group of this system; "
                                                         "null = top level. Cycles are refused.")
    privacy: GroupPrivacyPatch = Field(ABSENT, description="Merged key by key; new groups start all private.")


class GroupCreate(GroupWrite):
    name: Annotated[str, Text(100, min_length=1)]
    member_ids: MemberIds = ABSENT


class GroupPatch(GroupWrite):
    name: Annotated[str, Text(100, min_length=1)] = ABSENT


class GroupMembers(Model):
    member_ids: MemberIds


class GroupOut(OutModel):
    id: str = Field(description="Six lowercase letters, PluralKit-style.")
    uuid: str
    name: str | None
    display_name: str | None
    description: str | None
    icon: str | None
    color: str | None = Field(description="#rrggbb")
    parent_id: str | None = Field(description="The parent group's short id; null at the top level.")
    member_ids: list[str] | None = Field(description="Member short ids; null when the group keeps its list "
                                                     "private from this viewer.")
    privacy: GroupPrivacy | None = Field(description="null for viewers other than the owner.")
    created_at: Timestamp
