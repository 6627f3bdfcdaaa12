"""Request parameters every system-scoped route shares, declared once for all their routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

SystemId = Annotated[str, Path(max_length=64, description="Short id, uuid, or @me for your own system.")]
