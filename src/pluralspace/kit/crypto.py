"""Token text, keyed token hashes and password hashing.

Token text is `<prefix><32 random base62><6 base62 CRC32>`: the checksum lets a malformed or mistyped token be
refused without a database look-up, and the prefix lets secret scanners recognise leaked tokens.
Only HMAC-SHA256(secret key, token) is stored, so a database leak does not leak usable tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import zlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

BASE62 = string.digits + string.ascii_letters
RANDOM_LENGTH = 32
CHECKSUM_LENGTH = 6

PAT_PREFIX = "ps_pat_"
SESSION_PREFIX = "ps_sess_"
REFRESH_PREFIX = "ps_rt_"
OAUTH_ACCESS_PREFIX = "ps_at_"
AUTH_CODE_PREFIX = "ps_ac_"
TOKEN_PREFIXES = (PAT_PREFIX, SESSION_PREFIX, REFRESH_PREFIX, OAUTH_ACCESS_PREFIX, AUTH_CODE_PREFIX)


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 62)
        digits.append(BASE62[remainder])
    return "".join(reversed(digits))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), CHECKSUM_LENGTH)


def generate_token(prefix: str) -> str:
    body = "".join(secrets.choice(BASE62) for _ in range(RANDOM_LENGTH))
    return f"{prefix}{body}{_checksum(body)}"


def token_prefix(token: str) -> str | None:
    """The kind prefix of a well-formed token, or None when the format or checksum is wrong."""
    for prefix in TOKEN_PREFIXES:
        if token.startswith(prefix):
            rest = token[len(prefix):]
            if len(rest) != RANDOM_LENGTH + CHECKSUM_LENGTH or not all(c in BASE62 for c in rest):
                return None
            body, checksum = rest[:RANDOM_LENGTH], rest[RANDOM_LENGTH:]
            return prefix if hmac.compare_digest(_checksum(body), checksum) else None
    return None


def token_hash(secret_key: str, token: str) -> str:
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


class Passwords:
    """argon2id password hashing. The cost is a setting (0 = the library's recommended profile), so a small
    self-hosting device can lower it and a test suite can make it cheap; hashes made at another cost are
    upgraded at the next login (`needs_rehash`)."""

    def __init__(self, time_cost: int = 0, memory_kib: int = 0, parallelism: int = 0) -> None:
        recommended = PasswordHasher()
        self._hasher = PasswordHasher(time_cost=time_cost or recommended.time_cost,
                                      memory_cost=memory_kib or recommended.memory_cost,
                                      parallelism=parallelism or recommended.parallelism)
        self._dummy_hash: str | None = None

    @property
    def parameters(self) -> tuple[int, int, int]:
        return self._hasher.time_cost, self._hasher.memory_cost, self._hasher.parallelism

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    def burn(self, password: str) -> None:
        """Spends the time of a real check, so unknown emails cannot be told apart by timing."""
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        self.verify(self._dummy_hash, password)
