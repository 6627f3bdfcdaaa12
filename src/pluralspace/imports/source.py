"""From an uploaded file to a plan: open it (JSON, or a zip holding JSON), detect its format, read it.

A file that cannot be read raises `SourceError` naming where: the line and column of broken JSON, the JSON path of
a value of the wrong type.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from .formats import FORMATS, pluralspace_app
from .formats.common import SourceError
from .plan import ImageItem, Plan, Warnings

FORMAT_NAMES = ("auto", *FORMATS)
ZIP_MAGIC = b"PK\x03\x04"
NUL = b"\\u0000"
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif")


def _parse(raw: bytes, where: str, warnings: Warnings) -> Any:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # a byte-order mark, as some editors write
    if NUL in raw:  # no database here stores NUL in text (PostgreSQL refuses it): dropped before anything else
        warnings.add("text_nul_removed", "NUL characters (\\u0000) removed from texts", raw.count(NUL))
        raw = raw.replace(NUL, b"")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise SourceError(f"{where} is not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise SourceError(f"{where} is not valid JSON: {exc.msg}", line=exc.lineno, column=exc.colno) from None
    except RecursionError:
        raise SourceError(f"{where} nests too deeply") from None


def _from_zip(path: Path, limit: int, warnings: Warnings) -> tuple[Any, list[str]]:
    """The zip's data, and the names of the pictures beside it."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise SourceError(f"the zip file is damaged: {exc}") from None
    with archive:
        entries = {info.filename: info for info in archive.infolist() if not info.is_dir()}
        if sum(info.file_size for info in entries.values()) > limit * 4:
            raise SourceError("the zip file unpacks to more than this server accepts")

        def read(name: str) -> Any:
            try:
                return _parse(archive.read(name), name, warnings)
            except (zipfile.BadZipFile, EOFError, OSError) as exc:
                raise SourceError(f"{name} in the zip file is damaged: {exc}") from None

        pictures = [name for name in entries if name.lower().endswith(PICTURE_SUFFIXES)
                    and not name.startswith("__MACOSX/")]
        others = len(entries) - len(pictures)
        if pluralspace_app.MANIFEST in entries and pluralspace_app.DATA in entries:
            warnings.add("file_not_imported", "zip: files that are neither data nor pictures, left out", others - 2)
            return pluralspace_app.bundle(read(pluralspace_app.MANIFEST), read(pluralspace_app.DATA)), pictures
        found = [name for name in entries if name.lower().endswith(".json") and not name.startswith("__MACOSX/")]
        if len(found) != 1:
            raise SourceError(f"the zip file should hold one JSON file (or manifest.json and data.json), "
                              f"it holds {len(found)}")
        warnings.add("file_not_imported", "zip: files that are neither data nor pictures, left out", others - 1)
        return read(found[0]), pictures


def _find_pictures(plan: Plan, pictures: list[str]) -> None:
    """Points the plan's members and system at the pictures of the zip they name (by path in the zip, else by file
    name, as a zip made by hand puts them in a folder of its own); warns about what is named and missing, and
    about pictures nothing names."""
    by_name: dict[str, str] = {}
    for picture in pictures:
        by_name.setdefault(picture.rsplit("/", 1)[-1], picture)
    exact = set(pictures)
    used: set[str] = set()
    wanted: list[tuple[str | None, dict[str, Any], str, str]] = [
        (None, plan.system, slot, name) for slot, name in plan.system_images.items()]
    wanted += [(member.source_id, member.values, slot, name) for member in plan.members
               for slot, name in member.images.items()]
    for member, values, slot, name in wanted:
        entry = name if name in exact else by_name.get(name.rsplit("/", 1)[-1])
        if entry is None:
            plan.warnings.add("image_not_in_file", "pictures the data names but the file does not hold, left out "
                                                   "(send one zip holding the export and its pictures)")
            continue
        used.add(entry)
        values.pop(f"{slot}_url", None)  # the picture itself replaces a link to it
        plan.images.append(ImageItem(member, slot, entry))
    plan.warnings.add("image_unused", "zip: pictures that belong to nothing in the data, left out",
                      len(exact - used))


def load(path: Path, wanted: str, limit: int) -> Plan:
    """The plan of the file at `path`; `wanted` is a format name or `auto`."""
    with open(path, "rb") as file:
        head = file.read(4)
    warnings = Warnings()
    pictures: list[str] = []
    if head == ZIP_MAGIC:
        data, pictures = _from_zip(path, limit, warnings)
    else:
        data = _parse(path.read_bytes(), "the file", warnings)
    if wanted == "auto":
        module = next((m for m in FORMATS.values() if m.detect(data)), None)
        if module is None:
            raise SourceError("this is not a file this server can import: it matches none of the formats "
                              f"({', '.join(FORMATS)})", "$")
    else:
        module = FORMATS[wanted]
        if not module.detect(data):
            raise SourceError(f"this is not a {wanted} file", "$")
    plan = module.read(data)
    plan.warnings.extend(warnings)
    if pictures:
        plan.archive = path
    _find_pictures(plan, pictures)
    return plan
