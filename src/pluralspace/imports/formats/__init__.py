"""The formats this server imports, each a module with `NAME`, `detect(data)` and `read(data) -> Plan`."""

from __future__ import annotations

from typing import Any, Protocol

from ..plan import Plan
from . import openplural, pluralkit, pluralspace, pluralspace_app, simplyplural, tupperbox


class Format(Protocol):
    NAME: str

    def detect(self, data: Any, /) -> bool: ...

    def read(self, data: Any, /) -> Plan: ...


# Detection order: the most specific markers first (a format key, `tuppers`, `switches`), Simply Plural last.
FORMATS: dict[str, Format] = {module.NAME: module for module in (pluralspace, pluralspace_app, tupperbox, pluralkit,
                                                                 openplural, simplyplural)}
