"""The contract's error codes as exceptions; handlers in kit.handlers turn them into the error envelope."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    code = "INTERNAL_ERROR"
    status = 500
    default_message = "Internal error."

    def __init__(self, message: str | None = None, details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.message = message or self.default_message
        self.details = details
        self.headers = headers or {}
        super().__init__(self.message)


class ValidationFailed(ApiError):
    code, status, default_message = "VALIDATION_FAILED", 422, "Request validation failed."

    @classmethod
    def field(cls, path: str, message: str) -> ValidationFailed:
        return cls(f"{path}: {message}", {"fields": {path: message}})


class MalformedBody(ValidationFailed):
    status, default_message = 400, "Request body is invalid JSON."


class Unauthenticated(ApiError):
    code, status, default_message = "UNAUTHENTICATED", 401, "Missing, malformed, expired or revoked token."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer realm="pluralspace"'})


class InsufficientScope(ApiError):
    code, status, default_message = "INSUFFICIENT_SCOPE", 403, "The token lacks a required scope."
    details: dict[str, Any]

    def __init__(self, required: list[str], granted: list[str]) -> None:
        super().__init__(
            f"This needs the scope {', '.join(required)}.",
            {"required": required, "granted": granted},
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{" ".join(required)}"'},
        )


class Forbidden(ApiError):
    code, status, default_message = "FORBIDDEN", 403, "This is private."


class NotFound(ApiError):
    code, status, default_message = "NOT_FOUND", 404, "Not found."


class MethodNotAllowed(ApiError):
    code, status, default_message = "METHOD_NOT_ALLOWED", 405, "Method not allowed."


class Conflict(ApiError):
    code, status, default_message = "CONFLICT", 409, "Conflict."

    def __init__(self, reason: str, message: str | None = None) -> None:
        super().__init__(message, {"reason": reason})


class PayloadTooLarge(ApiError):
    code, status, default_message = "PAYLOAD_TOO_LARGE", 413, "Request body is too large."


class UnsupportedMediaType(ApiError):
    code, status, default_message = "UNSUPPORTED_MEDIA_TYPE", 415, "Send the body as application/json."


class RateLimited(ApiError):
    code, status, default_message = "RATE_LIMITED", 429, "Too many requests; retry later."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message, {"retry_after": retry_after}, headers={"Retry-After": str(max(1, retry_after))})


# How long a client is asked to wait before retrying after a 503: long enough for a restarted database or a healed
# network to answer again, short enough that a client does not give up on a brief fault.
RETRY_AFTER_SECONDS = 5


class ServiceUnavailable(ApiError):
    code, status, default_message = "SERVICE_UNAVAILABLE", 503, "The database is unreachable."

    def __init__(self, message: str | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class StorageFull(ApiError):
    """The database answers but cannot store anything: its disk is full or its storage is read-only."""

    code, status = "STORAGE_FULL", 507
    default_message = "The server cannot store data right now: its storage is full or read-only."


class AccountDisabled(ApiError):
    code, status, default_message = "ACCOUNT_DISABLED", 403, "This account is disabled by the server's administrator."


class FeatureDisabled(ApiError):
    code, status, default_message = "FEATURE_DISABLED", 404, "This feature is turned off on this server."


class AdminTokenNotConfigured(ApiError):
    code, status = "ADMIN_TOKEN_NOT_CONFIGURED", 403
    default_message = "The administration API is off: the server has no PLURALSPACE_ADMIN_TOKEN."


class AdminTokenRequired(ApiError):
    code, status = "ADMIN_TOKEN_REQUIRED", 401
    default_message = "This needs the admin token: `X-Admin-Token: <token>` or `Authorization: Bearer <token>`."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer realm="pluralspace-admin"'})
