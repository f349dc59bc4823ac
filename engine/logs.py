"""Logs as JSON lines on stderr: one object per record, with the record's `extra` fields and the
request id of the HTTP request being served. Nothing is configured at import; the CLI calls
`configure` (or hands `dict_config` to uvicorn, which applies it in every worker)."""

from __future__ import annotations

import json
import logging
import logging.config
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# Set by the request-id middleware (api/app.py) for the duration of one request.
request_id: ContextVar[str | None] = ContextVar("phancap_request_id", default=None)

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName", "color_message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id.get()
        if rid is not None:
            entry["request_id"] = rid
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def dict_config(level: str = "INFO") -> dict[str, Any]:
    """Everything, uvicorn's loggers included, to stderr as JSON lines at `level`."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level},
        # uvicorn's own loggers would otherwise keep their plain-text handlers; its access lines are dropped,
        # as every request is logged once already, with its id, status and time (api/metrics.py)
        "loggers": {"uvicorn": {"handlers": [], "propagate": True}, "uvicorn.error": {"handlers": [], "propagate": True},
                    "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"}},
    }


def configure(level: str = "INFO") -> None:
    logging.config.dictConfig(dict_config(level))
