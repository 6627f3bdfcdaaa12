"""Log lines: every one with a timestamp, a level and, inside a request, its request id; or one JSON object per line
(`PLURALSPACE_LOG_FORMAT=json`) for log collectors. `serve` hands this configuration to uvicorn, so its own lines
(startup, errors) look the same."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from .context import current_request_id

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Puts the current request's id (or "-") on every record, whichever logger wrote it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


class UtcFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(UtcFormatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"time": self.formatTime(record), "level": record.levelname, "logger": record.name,
                                "message": record.getMessage()}
        request_id = getattr(record, "request_id", "-")
        if request_id != "-":
            line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def logging_config(level: str, log_format: str) -> dict[str, Any]:
    """A logging.config.dictConfig for the server's loggers, uvicorn's included (its access log stays off)."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"PLURALSPACE_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
    formatter = {"()": JsonFormatter} if log_format == "json" else {"()": UtcFormatter, "fmt": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"line": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                                "formatter": "line", "filters": ["request_id"]}},
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            "pluralspace": {"level": level.upper()},
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        },
    }
