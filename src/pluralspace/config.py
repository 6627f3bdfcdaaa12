"""Settings, read once from the environment (see the README's configuration table)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .files import keep_dir_private

SECRET_KEY_FILE = "secret_key"


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    database_url: str = ""
    redis_url: str = ""
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    # open: anyone may register; closed: nobody; invite: only with an unused invitation code from the admin.
    registration: str = "open"
    metrics_enabled: bool = False
    metrics_token: str = ""
    rate_limit_enabled: bool = True
    # Requests per window per client (token, else address); the window is rate_limit_window seconds.
    rate_limit_read: int = 1200
    rate_limit_write: int = 300
    rate_limit_window: int = 60
    # Failed logins per window (login_window seconds) before 429, per account and per address.
    login_failures_per_account: int = 5
    login_failures_per_ip: int = 30
    login_window: int = 900
    # Registration attempts per window (registration_window seconds) per address before 429.
    registrations_per_ip: int = 10
    registration_window: int = 3600
    max_body_bytes: int = 1024 * 1024
    # Import files (POST /systems/@me/imports) have their own limit: exports of years of history are large.
    max_import_bytes: int = 256 * 1024 * 1024
    # A running job whose worker has not written its heartbeat (every 10 s) for this long belongs to a stopped
    # server: it is ended as failed (nothing of it was applied) by the next worker that looks.
    job_stale_seconds: int = 120
    # Uploaded images (avatars, banners): bytes per upload, and pixels (width x height x frames) once decoded.
    max_media_bytes: int = 5 * 1024 * 1024
    max_media_pixels: int = 4096 * 4096
    # Object storage for images (S3-compatible); without a bucket they are files in the data dir.
    s3_bucket: str = ""
    s3_endpoint: str = ""  # e.g. https://s3.eu-central-1.amazonaws.com or a MinIO/Garage URL; empty: AWS's
    s3_region: str = ""
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_timeout: float = 5.0
    session_ttl_seconds: int = 3600
    refresh_ttl_seconds: int = 30 * 24 * 3600
    # Worker threads (and pooled connections) that run SQLite units of work.
    db_pool_size: int = 16
    # Bounds on every wait for the database, in seconds (kit/db.py `Bounds`): past them, 503 SERVICE_UNAVAILABLE.
    db_connect_timeout: float = 3.0
    db_pool_timeout: float = 3.0
    db_statement_timeout: float = 5.0
    # SQLite's synchronous pragma: "full" (a commit survives power loss) or "normal" (docs/OPERATIONS.md).
    sqlite_synchronous: str = "full"
    # Redis (rate limits): an answer slower than this counts as none, and counting moves in-process until Redis
    # answers a probe again, every redis_retry_seconds.
    redis_timeout: float = 0.1
    redis_retry_seconds: float = 5.0
    # argon2id cost; 0 = the library's recommended profile (time 3, 64 MiB, 4 lanes).
    argon2_time_cost: int = 0
    argon2_memory_kib: int = 0
    argon2_parallelism: int = 0
    # How often noted credential uses are written (each credential at most once a minute).
    usage_flush_seconds: float = 5.0
    log_level: str = "info"
    log_format: str = "text"  # or "json": one object per line, for log collectors (kit/logs.py)
    # Proxies whose X-Forwarded-For/-Proto are believed (uvicorn's forwarded_allow_ips): comma-separated addresses
    # or networks, "*" for any. The client address they give keys login throttling, budgets and the security log.
    forwarded_allow_ips: str = "127.0.0.1"
    # The administration API's token (empty: the admin routes answer ADMIN_TOKEN_NOT_CONFIGURED).
    admin_token: str = ""
    # Admin requests per rate_limit_window per address, and wrong admin tokens per login_window per address.
    admin_rate_limit: int = 120
    admin_failures_per_ip: int = 10
    # Days the instance audit log keeps a record; 0 keeps every record.
    audit_retention_days: int = 365
    # Events (docs/EVENTS.md): days a stored event is kept for subscribers to catch up (0 keeps every one); how
    # often each process reads new events when no signal came; seconds between heartbeats on an idle stream.
    events_retention_days: int = 7
    events_poll_seconds: float = 0.5
    events_heartbeat_seconds: float = 15.0
    # Webhooks: whether URLs may resolve to loopback, private or link-local addresses (a receiver on the same host
    # or network; off, it is an SSRF hole); one attempt's time limit; the first retry's delay (doubling, at most
    # 15 min); how long a delivery is retried, and how long a webhook may fail without a success before it is
    # disabled.
    webhook_allow_private: bool = False
    webhook_timeout: float = 10.0
    webhook_retry_seconds: float = 10.0
    webhook_retry_window: float = 86400.0

    @property
    def registration_open(self) -> bool:
        """Whether the register page and API take new accounts at all (with an invitation code, in invite mode)."""
        return self.registration != "closed"

    @property
    def registration_needs_invite(self) -> bool:
        return self.registration == "invite"

    def server_options(self) -> dict[str, Any]:
        """uvicorn options that follow from the settings (for `serve`, and the test servers)."""
        trusted = self.forwarded_allow_ips
        return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None}

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'pluralspace.db').resolve()}"

    def with_secret(self) -> Settings:
        """Returns settings whose secret key is set: from the environment, else kept in the data dir."""
        if self.secret_key:
            return self
        return replace(self, secret_key=load_or_create_secret(self.data_dir))


def ensure_data_dir(data_dir: Path) -> None:
    """Creates the data dir readable by the server's user only: it holds every system's data and the key."""
    keep_dir_private(data_dir)


def load_or_create_secret(data_dir: Path) -> str:
    ensure_data_dir(data_dir)
    path = data_dir / SECRET_KEY_FILE
    try:
        # O_EXCL makes concurrent first starts agree on one key; 0600 keeps it private to the server's user.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        key = secrets.token_urlsafe(48)
        handle.write(key + "\n")
    return key


REGISTRATION_MODES = ("open", "closed", "invite")


def _registration(value: str) -> str:
    mode = value.strip().lower() or "open"
    if mode not in REGISTRATION_MODES:
        raise ValueError(f"PLURALSPACE_REGISTRATION must be one of {', '.join(REGISTRATION_MODES)}, not {value!r}")
    return mode


def _admin_token(env: dict[str, str]) -> str:
    """PLURALSPACE_ADMIN_TOKEN, else the first line of the file PLURALSPACE_ADMIN_TOKEN_FILE names (a secret
    mounted by the container runtime, kept out of the environment)."""
    token = env.get("PLURALSPACE_ADMIN_TOKEN", "").strip()
    path = env.get("PLURALSPACE_ADMIN_TOKEN_FILE", "").strip()
    if not token and path:
        lines = Path(path).read_text().strip().splitlines()
        token = lines[0].strip() if lines else ""
    return token


def settings_from_env(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)

    def get(name: str, default: str = "") -> str:
        return env.get(f"PLURALSPACE_{name}", default)

    def integer(name: str, default: int) -> int:
        raw = get(name)
        return int(raw) if raw.strip() else default

    def seconds(name: str, default: float) -> float:
        raw = get(name)
        return float(raw) if raw.strip() else default

    defaults = Settings()
    return Settings(
        data_dir=Path(get("DATA_DIR", "data")),
        database_url=get("DATABASE_URL"),
        redis_url=get("REDIS_URL"),
        secret_key=get("SECRET_KEY"),
        base_url=get("BASE_URL", defaults.base_url).rstrip("/"),
        registration=_registration(get("REGISTRATION", "open")),
        metrics_enabled=_flag(get("METRICS_ENABLED", "false")),
        metrics_token=get("METRICS_TOKEN"),
        rate_limit_enabled=_flag(get("RATE_LIMIT_ENABLED", "true")),
        rate_limit_read=integer("RATE_LIMIT_READ", defaults.rate_limit_read),
        rate_limit_write=integer("RATE_LIMIT_WRITE", defaults.rate_limit_write),
        rate_limit_window=integer("RATE_LIMIT_WINDOW", defaults.rate_limit_window),
        login_failures_per_account=integer("LOGIN_FAILURES_PER_ACCOUNT", defaults.login_failures_per_account),
        login_failures_per_ip=integer("LOGIN_FAILURES_PER_IP", defaults.login_failures_per_ip),
        login_window=integer("LOGIN_WINDOW", defaults.login_window),
        registrations_per_ip=integer("REGISTRATIONS_PER_IP", defaults.registrations_per_ip),
        registration_window=integer("REGISTRATION_WINDOW", defaults.registration_window),
        max_body_bytes=integer("MAX_BODY_BYTES", defaults.max_body_bytes),
        max_import_bytes=integer("MAX_IMPORT_BYTES", defaults.max_import_bytes),
        job_stale_seconds=integer("JOB_STALE_SECONDS", defaults.job_stale_seconds),
        max_media_bytes=integer("MAX_MEDIA_BYTES", defaults.max_media_bytes),
        max_media_pixels=integer("MAX_MEDIA_PIXELS", defaults.max_media_pixels),
        s3_bucket=get("S3_BUCKET").strip(),
        s3_endpoint=get("S3_ENDPOINT").strip(),
        s3_region=get("S3_REGION").strip(),
        s3_access_key=get("S3_ACCESS_KEY").strip(),
        s3_secret_key=get("S3_SECRET_KEY").strip(),
        s3_timeout=seconds("S3_TIMEOUT", defaults.s3_timeout),
        session_ttl_seconds=integer("SESSION_TTL", defaults.session_ttl_seconds),
        refresh_ttl_seconds=integer("REFRESH_TTL", defaults.refresh_ttl_seconds),
        db_pool_size=integer("DB_POOL_SIZE", defaults.db_pool_size),
        db_connect_timeout=seconds("DB_CONNECT_TIMEOUT", defaults.db_connect_timeout),
        db_pool_timeout=seconds("DB_POOL_TIMEOUT", defaults.db_pool_timeout),
        db_statement_timeout=seconds("DB_STATEMENT_TIMEOUT", defaults.db_statement_timeout),
        sqlite_synchronous=get("SQLITE_SYNCHRONOUS", defaults.sqlite_synchronous).strip().lower(),
        redis_timeout=seconds("REDIS_TIMEOUT", defaults.redis_timeout),
        redis_retry_seconds=seconds("REDIS_RETRY_SECONDS", defaults.redis_retry_seconds),
        argon2_time_cost=integer("ARGON2_TIME_COST", 0),
        argon2_memory_kib=integer("ARGON2_MEMORY_KIB", 0),
        argon2_parallelism=integer("ARGON2_PARALLELISM", 0),
        usage_flush_seconds=seconds("USAGE_FLUSH_SECONDS", defaults.usage_flush_seconds),
        log_level=get("LOG_LEVEL", "info"),
        log_format=get("LOG_FORMAT", defaults.log_format).strip().lower(),
        forwarded_allow_ips=get("FORWARDED_ALLOW_IPS", defaults.forwarded_allow_ips).strip(),
        admin_token=_admin_token(env),
        admin_rate_limit=integer("ADMIN_RATE_LIMIT", defaults.admin_rate_limit),
        admin_failures_per_ip=integer("ADMIN_FAILURES_PER_IP", defaults.admin_failures_per_ip),
        audit_retention_days=integer("AUDIT_RETENTION_DAYS", defaults.audit_retention_days),
        events_retention_days=integer("EVENTS_RETENTION_DAYS", defaults.events_retention_days),
        events_poll_seconds=seconds("EVENTS_POLL_SECONDS", defaults.events_poll_seconds),
        events_heartbeat_seconds=seconds("EVENTS_HEARTBEAT_SECONDS", defaults.events_heartbeat_seconds),
        webhook_allow_private=_flag(get("WEBHOOK_ALLOW_PRIVATE", "false")),
        webhook_timeout=seconds("WEBHOOK_TIMEOUT", defaults.webhook_timeout),
        webhook_retry_seconds=seconds("WEBHOOK_RETRY_SECONDS", defaults.webhook_retry_seconds),
        webhook_retry_window=seconds("WEBHOOK_RETRY_WINDOW", defaults.webhook_retry_window),
    )
