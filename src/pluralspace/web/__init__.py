"""The pages: the page kit (the cookie session of signed-in pages, CSRF, flashes, templates, the stylesheet) and the
system's pages, one module per area (`front`, `members`, `journal`, `history`; `routes.ROUTERS` has them all). The
account's own pages live in `accounts/` (sign-in, register, settings, reset), OAuth consent in `oauth/router.py`."""
