"""Privacy settings: every setting is `public` or `private`, and `private` unless its owner made it public."""

from __future__ import annotations

from typing import Final, Literal

Visibility = Literal["public", "private"]
PUBLIC: Final = "public"
PRIVATE: Final = "private"

