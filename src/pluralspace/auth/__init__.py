"""Who is calling, with what scopes: resolving a token to a `Principal`, the scopes, and the endpoint declarations
(`Requires`, `Viewer`, `SessionOnly`). Logging in and the rest of the account's life are in `accounts/`."""
