"""Public ids: PluralKit-style 6 lowercase letters for systems, members and groups."""

from __future__ import annotations

import re
import secrets
import string
import uuid

SHORT_ID_LENGTH = 6
_SHORT_ID = re.compile(r"^[a-z]{5,6}$")


def new_short_id() -> str:
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(SHORT_ID_LENGTH))


def normalize_short_id(text: str) -> str | None:
    """Accepts ids as PluralKit users type them (any case, with a dash); None when it cannot be one."""
    candidate = text.replace("-", "").lower()
    return candidate if _SHORT_ID.match(candidate) else None


def parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None
