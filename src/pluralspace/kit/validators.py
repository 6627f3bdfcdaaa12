"""Field rules shared by every domain's schemas (colours, URLs, emails, time zones, bounded text).

Each rule is stated once and both checks the input and tells the OpenAPI document (`Rule`: a validator and the JSON
schema keywords, pattern or format, that say the same), so that a client generated from the document refuses what
the server refuses. `tests/test_fuzz_openapi.py` holds the server to it: a request generated to fit the schema is
never 422, except for the rules it names as beyond JSON schema.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from annotated_types import GroupedMetadata
from pydantic import AfterValidator, ConfigDict, GetJsonSchemaHandler, StringConstraints, model_validator
from pydantic import BaseModel as _BaseModel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

# The patterns are the server's own checks (compiled here) and the document's `pattern`s. They spell out their
# character classes instead of `\s`, which regular expression engines (and the tools generating strings from them)
# read differently: WHITESPACE is what `str.strip` removes; each pattern leaves out NUL, which no text may hold.
WHITESPACE = "\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
CONTROL = "\\x00-\\x1f\\x7f"
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = rf"^[^\x00]*[^\x00{WHITESPACE}][^\x00]*$"
_COLOR = re.compile(r"^#?([0-9a-fA-F]{6})$")
# A web address: the scheme, a host of RFC 3986's characters (no user information) and a port, then anything
# without spaces or control characters.
_URL_REST = rf"://[A-Za-z0-9._~%!$&'()*+,;=-]+(?::[0-9]*)?(?:[/?#][^{CONTROL}{WHITESPACE}]*)?$"
_HTTPS_URL = re.compile(r"^[hH][tT][tT][pP][sS]" + _URL_REST)
_WEB_URL = re.compile(r"^[hH][tT][tT][pP][sS]?" + _URL_REST)
_EMAIL_PART = rf"[^@{CONTROL}{WHITESPACE}]"
_EMAIL = re.compile(rf"^{_EMAIL_PART}{{1,64}}@{_EMAIL_PART}+\.{_EMAIL_PART}+$")


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


@dataclass(frozen=True, eq=False)
class Stated:
    """JSON schema keywords added to a field's schema, for a rule checked beside it (`Rule`, or a list's validator
    for its items): `Stated(enum=[...])`."""

    keywords: tuple[tuple[str, Any], ...]

    def __init__(self, **keywords: Any) -> None:
        object.__setattr__(self, "keywords", tuple(keywords.items()))

    def __get_pydantic_json_schema__(self, core: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core)
        schema.update(self.keywords)
        return schema


@dataclass(frozen=True)
class Rule(GroupedMetadata):
    """A field's rule, stated once: `check` enforces it, `schema` says it in JSON schema (pattern, format, enum)."""

    check: Callable[[Any], Any]
    schema: dict[str, Any] = field(hash=False, compare=False)

    def __iter__(self) -> Iterator[object]:
        yield AfterValidator(self.check)
        yield Stated(**self.schema)


def comma_list(names: Iterable[str], *, skips_empty: bool) -> str:
    """The pattern of a comma-separated list of these names (`?include=fields, groups`), spaces around each allowed;
    `skips_empty`: whether an empty item (`a,,b`) is passed over, or refused."""
    name = "(?:" + "|".join(re.escape(n) for n in sorted(names)) + ")" + ("?" if skips_empty else "")
    return rf"^ *{name} *(?:, *{name} *)*$"


def state_no_nul(schema: dict[str, Any]) -> None:
    """Says in a JSON schema what the server enforces for every body (`Model._refuse_nul`) and every request target
    (the middleware): no text holds NUL, nor any key."""
    if schema.get("type") == "string" and not schema.keys() & {"pattern", "format", "enum", "const"}:
        schema["pattern"] = NO_NUL
    if isinstance(schema.get("additionalProperties"), dict):
        schema.setdefault("propertyNames", {"pattern": NO_NUL})
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            state_no_nul(schema[key])
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for sub in schema.get(key, []):
            state_no_nul(sub)
    for sub in schema.get("properties", {}).values():
        state_no_nul(sub)


# The default of a PATCH field that may be left out but not sent as null. Pydantic never validates a default, so the
# field reads None exactly when its key was absent (`Model.sent` leaves it out), while the field's own type, which
# has no None in it, refuses an explicit null. Typed Any so that type can stay the one that validates the input.
ABSENT: Any = None


class Model(_BaseModel):
    """Request bodies: unknown keys are an error, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, json_schema_extra=state_no_nul)

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
    if not _HTTPS_URL.match(value) or not urlsplit(value).hostname:
        raise ValueError("must be an https:// URL")
    return value


def check_web_url(value: str) -> str:
    if not _WEB_URL.match(value) or not urlsplit(value).hostname:
        raise ValueError("must be an http:// or https:// URL, without a user name or password")
    return value


def normalize_email(value: str) -> str:
    """Emails compare case-insensitively: `Ana@Example.org` and `ana@example.org` are one account."""
    email = value.strip().lower()
    if not _EMAIL.match(email) or len(email) > 320:
        raise ValueError("must be an email address")
    return email


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
            yield from Rule(_not_blank, {"pattern": NOT_BLANK})


Color = Annotated[str, Rule(parse_color, {"pattern": _COLOR.pattern})]
HttpsUrl = Annotated[str, StringConstraints(max_length=256), Rule(check_https_url, {"pattern": _HTTPS_URL.pattern})]
WebUrl = Annotated[str, StringConstraints(min_length=1, max_length=2000),
                   Rule(check_web_url, {"pattern": _WEB_URL.pattern})]
Email = Annotated[str, StringConstraints(max_length=320),
                  Rule(normalize_email, {"format": "email", "pattern": _EMAIL.pattern})]
TimeZoneName = Annotated[str, StringConstraints(max_length=64), AfterValidator(_timezone)]


def color_out(stored: str | None) -> str | None:
    return f"#{stored}" if stored else None
