"""Privacy settings: every setting is `public` or `private`, and `private` unless its owner made it public.

A system, a member and a group have several settings, stored together as a dict (their `PrivacyKeys` tables); a
field and a journal entry have one, stored as a plain `privacy` string (the API's shape). The owner sees
everything; other viewers see what a public setting shows: `is_public` in Python, `public` and `visible` in SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import BaseModel
from sqlalchemy import ColumnElement
from sqlalchemy.orm import QueryableAttribute

from .validators import Model, OutModel

Visibility = Literal["public", "private"]
PUBLIC: Final = "public"
PRIVATE: Final = "private"


def is_public(setting: str | None) -> bool:
    """Whether a setting lets viewers other than the owner see its subject; a missing one is private."""
    return setting == PUBLIC


def public(setting: ColumnElement[Any] | QueryableAttribute[Any]) -> ColumnElement[bool]:
    """`is_public` in SQL."""
    return setting == PUBLIC


def visible(privacy: ColumnElement[Any] | QueryableAttribute[Any]) -> ColumnElement[bool]:
    """In SQL: whether a member or group (its stored settings) exists for viewers other than the owner."""
    return public(privacy["visibility"].as_string())


@dataclass(frozen=True)
class PrivacyKeys:
    """The privacy settings of one kind of object (system, member, group), stored together as a dict.

    This table is the one place that names them: the output and patch schemas are built from it
    (`PrivacySettings`, `PrivacyPatch`), new objects start from `defaults()`, imports merge through `merged()`,
    and the PluralKit shapes are checked against it.
    """

    keys: tuple[str, ...]

    def defaults(self) -> dict[str, str]:
        """A new object's settings: every one private."""
        return dict.fromkeys(self.keys, PRIVATE)

    def merged(self, current: Mapping[str, str], given: Mapping[str, Any]) -> dict[str, str]:
        """`current` with the settings of `given` that are this table's keys with a valid value; the rest of
        `given` is left out (an imported file's unknown keys)."""
        return {**current, **{key: value for key, value in given.items() if key in self.keys
                              and value in (PUBLIC, PRIVATE)}}


def _visibility_fields(cls: type[BaseModel], table: PrivacyKeys) -> None:
    # Set before pydantic reads the class (__init_subclass__ runs inside class creation, ahead of its fields).
    cls.__annotations__ = dict.fromkeys(table.keys, Visibility)


class PrivacySettings(OutModel):
    """An object's settings as its owner reads them: `class MemberPrivacy(PrivacySettings, table=MEMBER_PRIVACY)`
    has one required `public|private` field per key of the table."""

    def __init_subclass__(cls, *, table: PrivacyKeys, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _visibility_fields(cls, table)


class PrivacyPatch(Model):
    """Only the keys sent change; null is not a visibility."""

    # `class MemberPrivacyPatch(PrivacyPatch, table=MEMBER_PRIVACY)`: one optional field per key of the table, and
    # this docstring as the schema's description. Merged into the stored settings key by key (kit.patch).
    def __init_subclass__(cls, *, table: PrivacyKeys, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _visibility_fields(cls, table)
        for key in table.keys:
            setattr(cls, key, None)
        cls.__doc__ = cls.__doc__ or PrivacyPatch.__doc__
