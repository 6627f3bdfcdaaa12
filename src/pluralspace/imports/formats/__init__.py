"""The formats this server imports, each a module with `NAME`, `detect(data)` and `read(data) -> Plan`."""

from __future__ import annotations

from . import openplural, pluralkit, pluralspace, pluralspace_app, simplyplural, tupperbox

# Detection order: the most specific markers first (a format key, `tuppers`, `switches`), Simply Plural last.
FORMATS = {module.NAME: module for module in (pluralspace, pluralspace_app, tupperbox, pluralkit, openplural,
                                              simplyplural)}
