"""korsync's logging: one stderr handler, journald-friendly text or JSON lines, secrets masked.
Text goes to stderr as ``2026-03-01T12:00:00.123Z INFO korsync.scheduler: message``; when stderr
is the journal (``$JOURNAL_STREAM`` names it) the timestamp is left to journald and each line
starts with its syslog priority (``<3>``, ``<4>``, ``<6>``, ``<7>``) so ``journalctl -p``
filters work. ``KORSYNC_LOG_FORMAT=json`` writes one JSON object per line (``time``, ``level``,
``logger``, ``message``, any ``extra`` fields, ``exception``). Every known secret (API token,
client secret, personal-data key, database password) is replaced by ``[redacted]`` in whatever
is written, as a last line of defence behind the client's own redaction. Like
``logging.basicConfig``, nothing is installed when the root logger already has handlers (a test
runner's, say).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from tqdm import tqdm

from korsync.config import Settings

MASK = "[redacted]"
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
# syslog priorities by logging level, highest first (critical, error, warning, info, debug)
_PRIORITY = ((logging.CRITICAL, 2), (logging.ERROR, 3), (logging.WARNING, 4), (logging.INFO, 6))
# httpx logs every request; APScheduler's warnings about skipped turns are the daemon's to tell;
# Alembic's INFO lines narrate each migration step that `korsync db upgrade` sums up in one line.
_QUIET = {"httpx": logging.WARNING, "apscheduler": logging.ERROR, "alembic": logging.WARNING}


def redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every secret replaced by ``[redacted]``."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


def _utc(record: logging.LogRecord) -> str:
    when = dt.datetime.fromtimestamp(record.created, dt.UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message``, or ``<priority>logger: message`` lines for journald."""

    def __init__(self, secrets: Sequence[str] = (), *, journald: bool = False) -> None:
        super().__init__("%(name)s: %(message)s")
        self.secrets, self.journald = tuple(secrets), journald

    def format(self, record: logging.LogRecord) -> str:
        text = redact(super().format(record), self.secrets)
        if self.journald:
            priority = next((p for level, p in _PRIORITY if record.levelno >= level), 7)
            prefix = f"<{priority}>"
            return "\n".join(prefix + line for line in text.splitlines())
        return f"{_utc(record)} {record.levelname} {text}"


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, extras, exception."""

    def __init__(self, secrets: Sequence[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(secrets)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _utc(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        for key, value in entry.items():
            if isinstance(value, str):
                entry[key] = redact(value, self.secrets)
        return json.dumps(entry, ensure_ascii=False, default=str)


class StderrHandler(logging.Handler):
    """Writes to whatever ``sys.stderr`` is at the time of the record, through ``tqdm.write``:
    a progress bar on the terminal is cleared first and drawn again below the line."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            tqdm.write(self.format(record), file=sys.stderr)
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


def stderr_is_journal() -> bool:
    """Whether stderr is connected to journald (``$JOURNAL_STREAM`` is ``device:inode``)."""
    expected = os.environ.get("JOURNAL_STREAM", "")
    try:
        info = os.fstat(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return expected == f"{info.st_dev}:{info.st_ino}"


def secrets_of(settings: Settings) -> list[str]:
    """The secret values the settings hold (short ones are not worth masking)."""
    secret_settings = (settings.api_token, settings.client_secret, settings.pii_key)
    values = [secret.get_secret_value() for secret in secret_settings if secret]
    values.append(settings.sqlalchemy_url.password or "")
    return [value for value in values if len(value) >= 4]


_installed: list[StderrHandler] = []


def configure_logging(level: str = "INFO", fmt: str = "text", secrets: Iterable[str] = ()) -> None:
    """Install (or re-configure) korsync's stderr handler; see the module docstring."""
    for name, quiet in _QUIET.items():
        logging.getLogger(name).setLevel(logging.DEBUG if level == "DEBUG" else quiet)
    root = logging.getLogger()
    if not _installed:
        if root.handlers:
            return
        _installed.append(StderrHandler())
        root.addHandler(_installed[0])
    secrets = list(secrets)
    formatter: logging.Formatter = (
        JsonFormatter(secrets)
        if fmt == "json"
        else TextFormatter(secrets, journald=stderr_is_journal())
    )
    _installed[0].setFormatter(formatter)
    root.setLevel(level)


def configure_logging_from_env() -> None:
    """Logging before settings are validated: ``KORSYNC_LOG_LEVEL``/``_FORMAT`` if sensible."""
    level = os.environ.get("KORSYNC_LOG_LEVEL", "INFO").upper()
    fmt = os.environ.get("KORSYNC_LOG_FORMAT", "text").lower()
    valid_level = level in ("DEBUG", "INFO", "WARNING", "ERROR")
    configure_logging(level if valid_level else "INFO", fmt if fmt == "json" else "text")


def configure_logging_for(settings: Settings) -> None:
    """Logging as the validated settings say, masking their secrets."""
    configure_logging(settings.log_level, settings.log_format, secrets_of(settings))
