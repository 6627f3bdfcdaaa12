"""OAuth 2 authorization server (Authlib on Starlette), developer apps and authorized apps."""
