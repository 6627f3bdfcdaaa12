"""PluralKit bodies to native schemas, and native outputs to PluralKit's shapes (v2 and legacy v1).

Validation (lengths, colours, URLs, time zones), privacy decisions and defaults stay with the native schemas and
services: a PluralKit body is renamed into a native one and validated there; what a viewer may see is what the
native `*_out` function already decided, only reshaped. The rules here are PluralKit's wire conventions: `""`
means null, privacy values are `public`/`private` (null = public, `""` = private), unknown keys are ignored, and
keys PluralKit has but pluralspace cannot store are accepted only with the value we report for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar, cast, overload

from pydantic import BaseModel, ValidationError

from ..groups.models import GROUP_PRIVACY
from ..groups.schemas import GroupOut
from ..identity.system import SYSTEM_PRIVACY
from ..kit.privacy import PRIVATE, PUBLIC, PrivacyKeys
from ..kit.timeutil import format_timestamp
from ..members.models import MEMBER_PRIVACY
from ..members.schemas import MemberOut
from ..systems.schemas import SystemOut
from .errors import PkCode, PkError, invalid_from_pydantic

S = TypeVar("S", bound=BaseModel)


@overload
def timestamp(value: datetime) -> str: ...


@overload
def timestamp(value: None) -> None: ...


@overload
def timestamp(value: datetime | None) -> str | None: ...


def timestamp(value: datetime | None) -> str | None:
    """PluralKit's instant format: UTC, `Z`, the fraction without trailing zeros (none when zero)."""
    if value is None:
        return None
    text = format_timestamp(value)[:-1]
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text + "Z"


def hex_color(value: str | None) -> str | None:
    return value.removeprefix("#") if value else None


@dataclass(frozen=True)
class Shape:
    """How one PluralKit object's writable keys map onto a native schema."""

    keys: Mapping[str, str]  # PluralKit key -> native field
    privacy: Mapping[str, str] = field(default_factory=dict)  # PluralKit privacy key -> a key of `table`
    table: PrivacyKeys = field(default_factory=lambda: PrivacyKeys(()))  # the native object's privacy settings
    fixed: Mapping[str, Any] = field(default_factory=dict)  # keys pluralspace cannot store -> the value it reports
    fixed_privacy: frozenset[str] = frozenset()  # privacy keys whose subject pluralspace always shows: public only
    ignored: frozenset[str] = frozenset()  # read-only keys PluralKit itself ignores on write

    def __post_init__(self) -> None:
        unknown = set(self.privacy.values()) - set(self.table.keys)
        if unknown:
            raise ValueError(f"PluralKit privacy keys map onto settings the object does not have: {unknown}")

    @property
    def main_privacy(self) -> dict[str, str]:
        """`privacy` without the aliases: PluralKit keys whose setting pluralspace keeps under another key's."""
        return {pk: native for pk, native in self.privacy.items() if not pk.startswith(("banner", "proxy"))}

    def errors_map(self) -> dict[str, str]:
        """Native field paths -> PluralKit keys, for 40001 error maps."""
        names = {native: pk for pk, native in self.keys.items()}
        names.update({f"privacy.{native}": f"privacy.{pk}" for pk, native in self.main_privacy.items()})
        return names


SYSTEM = Shape(
    keys={"name": "name", "description": "description", "tag": "tag", "pronouns": "pronouns",
          "avatar_url": "avatar_url", "banner": "banner_url", "color": "color"},
    table=SYSTEM_PRIVACY,
    privacy={"description_privacy": "description", "member_list_privacy": "member_list",
             "group_list_privacy": "group_list", "front_privacy": "front", "front_history_privacy": "front_history"},
    fixed_privacy=frozenset({"name_privacy", "avatar_privacy", "banner_privacy", "pronoun_privacy"}),
    # `webhook_url` is no profile field: the v2 router hands it to pk/dispatch.py.
    ignored=frozenset({"id", "uuid", "created", "webhook_url"}),
)
MEMBER = Shape(
    keys={"name": "name", "display_name": "display_name", "color": "color", "birthday": "birthday",
          "pronouns": "pronouns", "avatar_url": "avatar_url", "banner": "banner_url", "description": "description",
          "keep_proxy": "keep_proxy", "proxy_tags": "proxy_tags"},
    table=MEMBER_PRIVACY,
    # pluralspace keeps the banner under the avatar's privacy and the proxy tags under the metadata's.
    privacy={"visibility": "visibility", "name_privacy": "name", "description_privacy": "description",
             "avatar_privacy": "avatar", "banner_privacy": "avatar", "birthday_privacy": "birthday",
             "pronoun_privacy": "pronouns", "metadata_privacy": "metadata", "proxy_privacy": "metadata"},
    fixed={"tts": False, "webhook_avatar_url": None},
    ignored=frozenset({"id", "uuid", "system", "created", "autoproxy_enabled", "message_count",
                       "last_message_timestamp"}),
)
GROUP = Shape(
    keys={"name": "name", "display_name": "display_name", "description": "description", "icon": "icon",
          "color": "color"},
    table=GROUP_PRIVACY,
    privacy={"visibility": "visibility", "name_privacy": "name", "description_privacy": "description",
             "icon_privacy": "icon", "list_privacy": "list"},
    fixed={"banner": None},
    fixed_privacy=frozenset({"metadata_privacy", "banner_privacy"}),
    ignored=frozenset({"id", "uuid", "system", "created", "members"}),
)


def _privacy_value(value: Any) -> str | None:
    if value is None or value == PUBLIC:
        return PUBLIC
    if value in ("", PRIVATE):
        return PRIVATE  # PluralKit reads "" as private
    return None


def _proxy_tags(value: Any) -> Any:
    """PluralKit drops tags with neither prefix nor suffix instead of refusing them."""
    if not isinstance(value, list):
        return value
    tags = []
    for tag in value:
        if not isinstance(tag, dict):
            return value  # let the native schema name what is wrong
        tag = {key: tag.get(key) or None for key in ("prefix", "suffix")}
        if tag["prefix"] or tag["suffix"]:
            tags.append(tag)
    return tags


def _field_value(key: str, value: Any) -> Any:
    if value == "":
        return None  # PluralKit: an empty string clears a field
    if key == "proxy_tags":
        return _proxy_tags(value)
    if key == "birthday" and isinstance(value, str) and value.startswith("0001-"):
        return "0004-" + value[5:]  # PluralKit's older "no year" marker; pluralspace uses 0004
    return value


def native_body(body: Any, shape: Shape, *, patch: bool) -> dict[str, Any]:
    """A PluralKit body as the native schema's keys; 400 (code 0) for a non-object or a PATCH naming nothing."""
    if not isinstance(body, dict):
        raise PkError(PkCode.BAD_REQUEST)
    known = set(shape.keys) | set(shape.fixed) | shape.ignored | {"privacy"}
    if patch and not known & set(body):
        raise PkError(PkCode.BAD_REQUEST)
    native: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, value in body.items():
        if key in shape.keys:
            native[shape.keys[key]] = _field_value(key, value)
        elif key in shape.fixed and value not in (shape.fixed[key], "") and not (
                key == "webhook_avatar_url" and value == body.get("avatar_url")):
            errors[key] = f"pluralspace does not store {key}; only {shape.fixed[key]!r} is accepted"
    privacy = body.get("privacy")
    if privacy is not None:
        if not isinstance(privacy, dict):
            raise PkError.invalid({"privacy": "must be an object"})
        native_privacy = _native_privacy(privacy, shape, errors)
        if native_privacy:
            native["privacy"] = native_privacy
    if errors:
        raise PkError.invalid(errors)
    return native


def _native_privacy(privacy: dict[str, Any], shape: Shape, errors: dict[str, str]) -> dict[str, str]:
    native: dict[str, str] = {}
    for key, raw in privacy.items():
        value = _privacy_value(raw)
        if key not in shape.privacy and key not in shape.fixed_privacy:
            continue
        if value is None:
            errors[f"privacy.{key}"] = "must be public or private"
        elif key in shape.fixed_privacy:
            if value != PUBLIC:
                errors[f"privacy.{key}"] = "pluralspace always shows this; only public is accepted"
        elif native.setdefault(shape.privacy[key], value) != value:
            errors[f"privacy.{key}"] = "pluralspace keeps this together with another privacy key sent with a " \
                                       "different value"
    return native


def validated(schema: type[S], values: dict[str, Any], shape: Shape) -> S:
    try:
        return schema.model_validate(values)
    except ValidationError as exc:
        raise invalid_from_pydantic(exc, shape.errors_map()) from None


# --- v2 shapes ---------------------------------------------------------------------------------------------------

def system_v2(out: SystemOut, webhook_url: str | None = None) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "id": out.id, "uuid": out.uuid, "name": out.name, "description": out.description, "tag": out.tag,
        "pronouns": out.pronouns, "avatar_url": out.avatar_url, "banner": out.banner_url,
        "color": hex_color(out.color), "created": timestamp(out.created_at), "privacy": None}
    if out.privacy is not None:  # the owner's view
        privacy = out.privacy.model_dump()
        shown["privacy"] = {**{key: privacy[native] for key, native in SYSTEM.privacy.items()},
                            **dict.fromkeys(sorted(SYSTEM.fixed_privacy), PUBLIC)}
        shown["webhook_url"] = webhook_url  # owner view only, as on PluralKit
    return shown


def member_v2(out: MemberOut) -> dict[str, Any]:
    name_hidden = out.name is None  # the public view of a member whose name is private
    privacy = out.privacy.model_dump() if out.privacy is not None else None
    return {
        "id": out.id, "uuid": out.uuid, "system": out.system_id,
        # PluralKit shows `display_name ?? name` as the name when the name is private; pluralspace never reveals
        # a private name, so without a display name the short id stands in.
        "name": (out.display_name or out.id) if name_hidden else out.name,
        "display_name": None if name_hidden else out.display_name,
        "color": hex_color(out.color), "birthday": out.birthday, "pronouns": out.pronouns,
        "avatar_url": out.avatar_url, "webhook_avatar_url": None, "banner": out.banner_url,
        "description": out.description, "created": timestamp(out.created_at), "keep_proxy": out.keep_proxy,
        "tts": False, "autoproxy_enabled": None, "message_count": None, "last_message_timestamp": None,
        "proxy_tags": [{"prefix": t.prefix, "suffix": t.suffix} for t in out.proxy_tags or []],
        "privacy": None if privacy is None else {key: privacy[native] for key, native in MEMBER.privacy.items()},
    }


def group_v2(out: GroupOut, system_id: str) -> dict[str, Any]:
    name_hidden = out.name is None
    privacy = out.privacy.model_dump() if out.privacy is not None else None
    return {
        "id": out.id, "uuid": out.uuid, "system": system_id,
        "name": (out.display_name or out.id) if name_hidden else out.name,
        "display_name": None if name_hidden else out.display_name,
        "description": out.description, "icon": out.icon, "banner": None, "color": hex_color(out.color),
        "created": timestamp(out.created_at),
        "privacy": None if privacy is None else {
            **{key: privacy[native] for key, native in GROUP.privacy.items()},
            **dict.fromkeys(sorted(GROUP.fixed_privacy), PUBLIC)},
    }


# --- v1 shapes (PluralKit's legacy v1: flat privacy keys, `tz`, prefix/suffix from the first proxy tag) --------

V1_SYSTEM_PRIVACY = ("description_privacy", "member_list_privacy", "front_privacy", "front_history_privacy")
V1_MEMBER_PRIVACY = tuple(MEMBER.main_privacy)  # v1 had no banner or proxy privacy


def system_v1(out: SystemOut) -> dict[str, Any]:
    v2 = system_v2(out)
    privacy = v2["privacy"] or {}
    return {"id": out.id, "name": out.name, "description": out.description, "tag": out.tag,
            "color": v2["color"], "avatar_url": out.avatar_url, "banner": out.banner_url, "tz": out.timezone,
            "created": v2["created"], **{key: privacy.get(key) for key in V1_SYSTEM_PRIVACY}}


def member_v1(out: MemberOut) -> dict[str, Any]:
    v2 = member_v2(out)
    privacy = v2["privacy"] or {}
    first = v2["proxy_tags"][0] if v2["proxy_tags"] else {"prefix": None, "suffix": None}
    return {key: v2[key] for key in ("id", "name", "display_name", "description", "pronouns", "color",
                                     "avatar_url", "banner", "birthday", "proxy_tags", "keep_proxy", "created")} | {
        "prefix": first["prefix"], "suffix": first["suffix"], "privacy": privacy.get("visibility"),
        **{key: privacy.get(key) for key in V1_MEMBER_PRIVACY}}


def v1_body(body: Any, shape: Shape, *, current_tags: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A v1 body (flat privacy keys, `tz`, deprecated `privacy`, `prefix`/`suffix`) as a v2 body."""
    if not isinstance(body, dict):
        raise PkError(PkCode.BAD_REQUEST)
    body = dict(body)
    privacy_keys = V1_MEMBER_PRIVACY if shape is MEMBER else V1_SYSTEM_PRIVACY
    privacy = {key: body.pop(key) for key in privacy_keys if key in body}
    if shape is MEMBER and "privacy" in body:
        # v1's deprecated member `privacy` set every privacy field at once.
        everything = body.pop("privacy")
        privacy = dict.fromkeys(V1_MEMBER_PRIVACY, everything) | privacy
    if privacy:
        body["privacy"] = privacy
    if shape is MEMBER and ("prefix" in body or "suffix" in body) and "proxy_tags" not in body:
        first, *rest = current_tags or [{"prefix": None, "suffix": None}]
        body["proxy_tags"] = [{"prefix": body.pop("prefix", first.get("prefix")),
                               "suffix": body.pop("suffix", first.get("suffix"))}, *rest]
    for legacy in ("prefix", "suffix"):
        body.pop(legacy, None)
    return cast(dict[str, Any], body)  # a dict (checked above) with the JSON body's string keys
