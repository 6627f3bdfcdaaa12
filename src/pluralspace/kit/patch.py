"""PATCH semantics, for every service that changes a row from a request body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .validators import Model


def apply_patch(row: object, changes: Mapping[str, Any]) -> None:
    """Sets each key the client sent (`Model.sent()`) on `row`: absent = unchanged, null = cleared. A nested object
    (privacy settings) is merged into the stored one key by key, so only its keys sent change.

    The caller takes out first the keys it stores another way (ids to resolve, rows of other tables)."""
    for key, value in changes.items():
        setattr(row, key, {**getattr(row, key), **value.sent()} if isinstance(value, Model) else value)
