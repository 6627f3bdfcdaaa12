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
from .plan import Plan, Warnings

FORMAT_NAMES = ("auto", *FORMATS)
ZIP_MAGIC = b"PK\x03\x04"
NUL = b"\\u0000"


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


def _from_zip(path: Path, limit: int, warnings: Warnings) -> Any:
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

        if pluralspace_app.MANIFEST in entries and pluralspace_app.DATA in entries:
            return pluralspace_app.bundle(read(pluralspace_app.MANIFEST), read(pluralspace_app.DATA),
                                          [n for n in entries if n.startswith(pluralspace_app.MEDIA)])
        found = [name for name in entries if name.lower().endswith(".json") and not name.startswith("__MACOSX/")]
        if len(found) != 1:
            raise SourceError(f"the zip file should hold one JSON file (or manifest.json and data.json), "
                              f"it holds {len(found)}")
        warnings.add("avatar_not_kept", "zip: files beside the export (pictures) are not kept", len(entries) - 1)
        return read(found[0])


def load(path: Path, wanted: str, limit: int) -> Plan:
    """The plan of the file at `path`; `wanted` is a format name or `auto`."""
    with open(path, "rb") as file:
        head = file.read(4)
    warnings = Warnings()
    if head == ZIP_MAGIC:
        data = _from_zip(path, limit, warnings)
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
    return plan
