"""What every format module needs: reading values the many ways real export files write them, and saying where a
file is wrong (`SourceError`, with the JSON path)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Literal, overload

from ..plan import Warnings

_HEX = re.compile(r"^#?([0-9a-fA-F]+)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class SourceError(Exception):
    """The file cannot be imported: `message` says what is wrong, `path` (a JSON path) or `line`/`column` where."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None,
                 column: int | None = None) -> None:
        super().__init__(message)
        self.message, self.path, self.line, self.column = message, path, line, column

    def as_dict(self) -> dict[str, Any]:
        return {"message": self.message, "path": self.path, "line": self.line, "column": self.column}


def expect(value: Any, kind: type | tuple[type, ...], path: str) -> Any:
    """The value when it has the expected JSON type; otherwise the file is refused, naming where."""
    if isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool)):
        return value
    names = {dict: "an object", list: "an array", str: "a string", int: "a number", float: "a number",
             bool: "true or false"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    wanted = " or ".join(dict.fromkeys(names.get(k, k.__name__) for k in kinds))
    raise SourceError(f"must be {wanted}, not {_json_type(value)}", path)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "true or false"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)


def records(value: Any, path: str, id_key: str = "_id") -> Iterator[tuple[str, dict[str, Any], str]]:
    """(id, object, path) of a collection written as an array of objects or as an object keyed by id."""
    if value is None:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            item_path = f"{path}.{key}"
            expect(item, dict, item_path)
            yield str(item.get(id_key) or key), item, item_path
        return
    expect(value, list, path)
    for index, item in enumerate(value):
        item_path = f"{path}[{index}]"
        expect(item, dict, item_path)
        ident = item.get(id_key)
        if ident is None and id_key != "id":
            ident = item.get("id")
        if ident is None:
            raise SourceError(f"has no {id_key}", item_path)
        yield str(ident), item, item_path


@overload
def timestamp(value: Any, path: str, warnings: Warnings, *, required: Literal[True]) -> datetime: ...


@overload
def timestamp(value: Any, path: str, warnings: Warnings, *, required: bool = False) -> datetime | None: ...


def timestamp(value: Any, path: str, warnings: Warnings, *, required: bool = False) -> datetime | None:
    """A moment written as milliseconds (int, float or numeric string), ISO 8601 with or without a zone (UTC is
    assumed without one) or Firebase's {_seconds, _nanoseconds}."""
    if value is None or value == "":
        if required:
            raise SourceError("is missing: a time is needed here", path)
        return None
    try:
        if isinstance(value, dict) and "_seconds" in value:
            return datetime.fromtimestamp(float(value["_seconds"]) + float(value.get("_nanoseconds", 0)) / 1e9, UTC)
        if isinstance(value, bool):
            raise ValueError
        if isinstance(value, (int, float)):
            return _from_number(value)
        if isinstance(value, str):
            text = value.strip()
            if re.fullmatch(r"-?\d+(\.\d+)?", text):
                return _from_number(float(text))
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            if parsed.tzinfo is None:
                warnings.add("time_without_zone", "times without a time zone were read as UTC")
                parsed = parsed.replace(tzinfo=UTC)
            return parsed.astimezone(UTC)
    except (ValueError, OverflowError, OSError, TypeError):
        pass
    if required:
        raise SourceError(f"is not a time: {str(value)[:60]!r}", path)
    warnings.add("time_invalid", "values that should be times but are not, left out")
    return None


def _from_number(number: float) -> datetime:
    if number != number or abs(number) == float("inf"):
        raise ValueError("not a number")
    # Milliseconds since 1970 (what Simply Plural writes); a value this small is seconds.
    seconds = number / 1000 if abs(number) >= 100_000_000_000 else number
    return datetime.fromtimestamp(seconds, UTC)


def colour(value: Any, where: str, warnings: Warnings) -> str | None:
    """`rrggbb` from `#rrggbb`, `rrggbb`, `#aarrggbb` (alpha dropped) or `#rgb` (expanded); else None, warned."""
    if value is None or value == "":
        return None
    match = _HEX.match(value.strip()) if isinstance(value, str) else None
    digits = match.group(1).lower() if match else ""
    if len(digits) == 6:
        return digits
    if len(digits) == 8:
        warnings.add("colour_alpha_dropped", f"{where}: colours with transparency (#aarrggbb) kept without it")
        return digits[2:]
    if len(digits) == 3:
        warnings.add("colour_short", f"{where}: short colours (#rgb) written out as #rrggbb")
        return "".join(c * 2 for c in digits)
    warnings.add("colour_invalid", f"{where}: colours that are not #rrggbb, left out")
    return None


def text(value: Any) -> str | None:
    """A string, or None for anything empty; numbers become their text (some exporters write them bare)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value if value.strip() else None
    return None


def birthday(value: Any, where: str, warnings: Warnings) -> str | None:
    """YYYY-MM-DD; PluralKit's hidden year 0001 becomes this server's 0004."""
    found = text(value)
    if found is None:
        return None
    found = found.strip()[:10]
    if _DATE.match(found):
        if found.startswith("0001-"):
            found = "0004-" + found[5:]
        try:
            datetime.strptime("2000" + found[4:] if found.startswith("0004-") else found, "%Y-%m-%d")
            return found
        except ValueError:
            pass
    warnings.add("birthday_invalid", f"{where}: birthdays that are not dates, left out")
    return None


def privacy(value: Any) -> str:
    """public/private from the ways exporters write it (PluralKit: null means public)."""
    if value in ("public", None, True):
        return "public"
    return "private"


def proxy_tags(value: Any, where: str, warnings: Warnings) -> list[dict[str, Any]]:
    tags = []
    for tag in value or []:
        if not isinstance(tag, dict):
            continue
        prefix, suffix = text(tag.get("prefix")), text(tag.get("suffix"))
        if not (prefix or suffix):
            continue
        if len(prefix or "") > 100 or len(suffix or "") > 100:
            warnings.add("proxy_tag_too_long", f"{where}: proxy tags longer than 100 characters, left out")
            continue
        tags.append({"prefix": prefix, "suffix": suffix})
    if len(tags) > 50:
        warnings.add("proxy_tags_cut", f"{where}: more than 50 proxy tags, the rest left out")
    return tags[:50]
