"""What one viewer may see of one system: its owner everything, anyone else what the privacy settings show.

Below every domain (events render objects for each kind of viewer with it); finding a system and deciding who owns
it is `systems.access`.
"""

from __future__ import annotations

import uuid
from collections.abc import Container, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import class_mapper

from ..kit.errors import Forbidden
from ..kit.privacy import is_public, visible
from .system import System


class InSystem(Protocol):
    """A row that belongs to one system."""

    @property
    def system_uuid(self) -> uuid.UUID: ...


class Listed(InSystem, Protocol):
    """A member or a group: named by a short id or its uuid, with a visibility of its own. Their columns, for
    queries, come from the model's mapper (`class_mapper(model).columns`)."""

    @property
    def uuid(self) -> uuid.UUID: ...

    @property
    def hid(self) -> str: ...

    @property
    def privacy(self) -> dict[str, str]: ...


T = TypeVar("T", bound=tuple[Any, ...])


class _EveryKey(Container[str]):
    """What the owner sees of any object's settings: every key."""

    def __contains__(self, key: object) -> bool:
        return True


EVERY_KEY = _EveryKey()


@dataclass(frozen=True)
class Access:
    system: System
    owner: bool

    @property
    def system_uuid(self) -> uuid.UUID:
        return self.system.uuid

    def area_public(self, area: str) -> bool:
        return self.shows(self.system.privacy.get(area))

    def require_area(self, area: str) -> None:
        """Lists and areas the system keeps private are 403 for anyone but the owner."""
        if not self.area_public(area):
            raise Forbidden(f"This system keeps its {area.replace('_', ' ')} private.")

    def shows(self, setting: str | None) -> bool:
        """Whether this viewer sees what one setting governs (a field's or journal entry's `privacy`)."""
        return self.owner or is_public(setting)

    def sees(self, privacy: Mapping[str, Any], key: str) -> bool:
        return self.shows(privacy.get(key))

    def seen(self, privacy: Mapping[str, Any]) -> Container[str]:
        """The keys of `privacy` this viewer sees (`sees` for every key at once, for an object shown whole):
        `key in access.seen(privacy)` is `access.sees(privacy, key)`."""
        return EVERY_KEY if self.owner else {key for key, setting in privacy.items() if is_public(setting)}

    def only_visible(self, query: Select[T], model: type[Listed]) -> Select[T]:
        """`query` narrowed to the rows of `model` (members, groups) this viewer may see: `sees(privacy,
        "visibility")` in SQL. The owner's query is left as it is."""
        privacy = class_mapper(model).columns.privacy
        return query if self.owner else query.where(visible(privacy))
