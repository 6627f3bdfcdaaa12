from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Self

from pydantic import Field, StrictBool, StringConstraints, model_validator

from ..kit.privacy import PrivacyPatch, PrivacySettings
from ..kit.timeutil import Timestamp
from ..kit.validators import ABSENT, Color, HttpsUrl, Model, OutModel, Rule, Text
from ..relationships.schemas import RelationshipOut
from .models import MEMBER_PRIVACY


def _birthday(value: str) -> str:
    """YYYY-MM-DD; year 0004 means the year is hidden (PluralKit's convention, and a leap year)."""
    try:
        if len(value) != 10:
            raise ValueError
        date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a date as YYYY-MM-DD (year 0004 hides the year)") from None
    return value


Birthday = Annotated[str, Rule(_birthday, {"format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"})]
Role = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Roles = Annotated[list[Role], Field(max_length=50)]


class ProxyTag(Model):
    prefix: Annotated[str, Text(100)] | None = None
    suffix: Annotated[str, Text(100)] | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not (self.prefix or self.suffix):
            raise ValueError("a proxy tag needs a prefix or a suffix")
        return self


ProxyTags = Annotated[list[ProxyTag], Field(max_length=50)]


class MemberPrivacy(PrivacySettings, table=MEMBER_PRIVACY):
    pass


class MemberPrivacyPatch(PrivacyPatch, table=MEMBER_PRIVACY):
    pass


FieldValuesIn = Annotated[dict[Annotated[str, StringConstraints(max_length=64)], Any],
                          Field(max_length=200, description="{field_id: value}; null removes a value.")]


class MemberWrite(Model):
    """Fields shared by create and patch."""

    display_name: Annotated[str, Text(100)] | None = None
    pronouns: Annotated[str, Text(100)] | None = None
    description: Annotated[str, Text(10_000)] | None = None
    color: Color | None = None
    avatar_url: HttpsUrl | None = None
    banner_url: HttpsUrl | None = None
    birthday: Birthday | None = None
    roles: Roles | None = None
    proxy_tags: ProxyTags | None = None
    keep_proxy: StrictBool = ABSENT
    is_custom_front: StrictBool = ABSENT
    archived: StrictBool = ABSENT
    fields: FieldValuesIn = ABSENT
    privacy: MemberPrivacyPatch = ABSENT


class MemberCreate(MemberWrite):
    name: Annotated[str, Text(100, min_length=1)]


class MemberPatch(MemberWrite):
    name: Annotated[str, Text(100, min_length=1)] = ABSENT


class ProxyTagOut(OutModel):
    prefix: str | None
    suffix: str | None


class MemberOut(OutModel):
    id: str
    uuid: str
    system_id: str
    name: str | None
    display_name: str | None
    pronouns: str | None
    description: str | None
    color: str | None
    avatar_url: str | None
    banner_url: str | None
    birthday: str | None
    roles: list[str]
    proxy_tags: list[ProxyTagOut] | None
    keep_proxy: bool | None
    is_custom_front: bool
    archived: bool
    fields: dict[str, Any] | None = Field(description="With ?include=fields: {field_id: value}.")
    group_ids: list[str] | None = Field(description="With ?include=groups.")
    relationships: list[RelationshipOut] | None = Field(description="With ?include=relationships.")
    privacy: MemberPrivacy | None = Field(description="null for viewers other than the owner.")
    created_at: Timestamp | None
    updated_at: Timestamp | None
