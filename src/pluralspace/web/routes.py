"""Every page router of the system's pages, for the app to include (the account's pages are in `accounts/`)."""

from __future__ import annotations

from . import assets, front, history, journal, members

ROUTERS = (assets.router, front.router, members.router, journal.router, history.router)
