"""Field rules shared by every domain's schemas (colours, URLs, time zones, bounded text)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from annotated_types import GroupedMetadata
from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, model_validator
from pydantic import BaseModel as _BaseModel

_COLOR = re.compile(r"^#?([0-9a-fA-F]{6})$")


def _nul_path(value: object, path: str = "") -> str | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return f"{path}.{key}".lstrip(".")
        found = _nul_path(item, f"{path}.{key}".lstrip("."))
        if found is not None:
            return found
    return None


# The default of a PATCH field that may be left out but not sent as null. Pydantic never validates a default, so the
# field reads None exactly when its key was absent (`Model.sent` leaves it out), while the field's own type, which
# has no None in it, refuses an explicit null. Typed Any so that type can stay the one that validates the input.
ABSENT: Any = None


class Model(_BaseModel):
    """Request bodies: unknown keys are an error, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data: Any) -> Any:
        # PostgreSQL cannot store NUL in text; refusing it here keeps both engines alike and the answer a 422.
        found = _nul_path(data)
        if found is not None:
            raise ValueError(f"text must not contain NUL characters (at {found or 'the body'})")
        return data

    def sent(self) -> dict[str, Any]:
        """The keys the client sent, with their values (PATCH semantics: absent = unchanged, null = clear)."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class OutModel(_BaseModel):
    model_config = ConfigDict(from_attributes=True)


def parse_color(value: str) -> str:
    match = _COLOR.match(value)
    if not match:
        raise ValueError("must be a colour as rrggbb or #rrggbb")
    return match.group(1).lower()


def check_https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc or any(c.isspace() for c in value):
        raise ValueError("must be an https:// URL")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


@lru_cache(maxsize=1)
def iana_time_zones() -> frozenset[str]:
    """The IANA zone names this machine knows; not `localtime` (the host's own setting, under whatever name) nor the
    `posix/` and `right/` copies of the database, which some systems' zoneinfo trees hold beside the real names."""
    return frozenset(name for name in available_timezones()
                     if name not in {"localtime", "posixrules"} and not name.startswith(("posix/", "right/")))


def is_timezone(name: str) -> bool:
    return name in iana_time_zones()


def _timezone(value: str) -> str:
    if not is_timezone(value):
        raise ValueError("must be an IANA time zone such as Europe/Berlin")
    return value


@dataclass(frozen=True)
class Text(GroupedMetadata):
    """Bounded text, used as `Annotated[str, Text(100)]`; a minimum length also refuses whitespace-only text."""

    max_length: int
    min_length: int = 0

    def __iter__(self) -> Iterator[object]:
        yield from StringConstraints(max_length=self.max_length, min_length=self.min_length)
        if self.min_length:
            yield AfterValidator(_not_blank)


Color = Annotated[str, AfterValidator(parse_color)]
HttpsUrl = Annotated[str, StringConstraints(max_length=256), AfterValidator(check_https_url)]
TimeZoneName = Annotated[str, StringConstraints(max_length=64), AfterValidator(_timezone)]
Privacy = Annotated[str, Field(pattern="^(public|private)$")]


def color_out(stored: str | None) -> str | None:
    return f"#{stored}" if stored else None
