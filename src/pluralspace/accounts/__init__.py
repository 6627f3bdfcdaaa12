"""The account's life: register, login, refresh, logout, account changes, invitations and reset links, with their
schemas, API routes (`auth_router.py` for /api/v1/auth, `router.py` for /api/v1/me) and pages (`*_page*.py`).
Who is calling is `auth/`'s question; the tables of accounts, systems and credentials are in `identity/`."""
