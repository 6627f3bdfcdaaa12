"""Which redirect URIs an app may register, and when a requested one matches (RFC 9700 §2.1, RFC 8252 §7).

Registered: `https://` URIs; `http://` only on a loopback host (native apps listen there); and private-use schemes
in reverse-domain form such as `com.example.app:/callback` (RFC 8252 §7.1). Never a fragment.
Matching is exact string comparison, except that a loopback URI matches on any port: a native app gets whatever
port the OS gives it when it starts (RFC 8252 §7.3).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

LOOPBACK_HOSTS = {"127.0.0.1", "::1", "localhost"}
MAX_LENGTH = 512
_PRIVATE_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+$")


def check_redirect_uri(uri: str) -> str:
    """Returns the URI when it may be registered, else raises ValueError saying why."""
    if len(uri) > MAX_LENGTH or any(c.isspace() or ord(c) < 0x20 for c in uri):
        raise ValueError(f"must be a URI of at most {MAX_LENGTH} characters without spaces")
    try:
        parts = urlsplit(uri)
        _ = parts.port  # reading the port is what refuses a malformed one
    except ValueError:
        raise ValueError("is not a valid URI") from None
    if parts.fragment or "#" in uri:
        raise ValueError("must not contain a fragment")
    if parts.scheme == "https":
        if not parts.hostname or parts.username is not None or parts.password is not None:
            raise ValueError("must name a host, without user information")
        return uri
    if parts.scheme == "http":
        if parts.hostname not in LOOPBACK_HOSTS or parts.username is not None:
            raise ValueError("http:// is allowed only for loopback hosts (127.0.0.1, [::1], localhost)")
        return uri
    if _PRIVATE_SCHEME.match(parts.scheme) and (parts.path or parts.netloc):
        return uri
    raise ValueError("must be https://, http:// on a loopback host, or a private-use scheme like com.example.app:/cb")


def _without_port(uri: str) -> tuple[str, str | None, str | None, str | None, str, str]:
    parts = urlsplit(uri)
    return parts.scheme, parts.username, parts.password, parts.hostname, parts.path, parts.query


def _is_loopback(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def redirect_uri_allowed(registered: list[str], requested: str) -> bool:
    if requested in registered:
        return True
    try:
        if not _is_loopback(requested):
            return False
        wanted = _without_port(requested)
        return any(_is_loopback(uri) and _without_port(uri) == wanted for uri in registered)
    except ValueError:  # a requested URI that does not even parse matches nothing
        return False
