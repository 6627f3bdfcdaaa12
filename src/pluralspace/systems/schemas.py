from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from ..kit.timeutil import Timestamp
from ..kit.validators import ABSENT, Color, HttpsUrl, Model, OutModel, Text, TimeZoneName

Visibility = Literal["public", "private"]


class SystemPrivacy(OutModel):
    description: Visibility
    member_list: Visibility
    group_list: Visibility
    front: Visibility
    front_history: Visibility
    fields: Visibility
    relationships: Visibility
    journal: Visibility
    polls: Visibility
    thoughts: Visibility
    wrapped: Visibility


class SystemPrivacyPatch(Model):
    """Only the keys sent change; null is not a visibility."""

    description: Visibility = ABSENT
    member_list: Visibility = ABSENT
    group_list: Visibility = ABSENT
    front: Visibility = ABSENT
    front_history: Visibility = ABSENT
    fields: Visibility = ABSENT
    relationships: Visibility = ABSENT
    journal: Visibility = ABSENT
    polls: Visibility = ABSENT
    thoughts: Visibility = ABSENT
    wrapped: Visibility = ABSENT


class SystemOut(OutModel):
    id: str = Field(description="Six lowercase letters, PluralKit-style.")
    uuid: str
    name: str | None
    description: str | None
    tag: str | None
    pronouns: str | None
    color: str | None = Field(description="#rrggbb")
    avatar_url: str | None
    banner_url: str | None
    timezone: str
    privacy: SystemPrivacy | None = Field(description="null for viewers other than the owner.")
    created_at: Timestamp
    updated_at: Timestamp


class SystemPatch(Model):
    name: Annotated[str, Text(100)] | None = None
    description: Annotated[str, Text(10_000)] | None = None
    tag: Annotated[str, Text(79)] | None = None
    pronouns: Annotated[str, Text(100)] | None = None
    color: Color | None = None
    avatar_url: HttpsUrl | None = None
    banner_url: HttpsUrl | None = None
    timezone: TimeZoneName | None = Field(None, description="IANA zone; null resets to UTC.")
    privacy: SystemPrivacyPatch = Field(ABSENT, description="Merged key by key.")


__all__ = ["SystemOut", "SystemPatch", "SystemPrivacy", "datetime"]
