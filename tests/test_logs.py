"""Log formats (JSON lines, text for a terminal or journald), the secrets they mask, and log
lines beside a progress bar."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest
from tqdm import tqdm

from korsync.config import Settings
from korsync.logs import MASK, JsonFormatter, StderrHandler, TextFormatter, secrets_of


def _record(message: str, level: int = logging.INFO, **extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord(
        {"name": "korsync.test", "levelno": level, "levelname": logging.getLevelName(level),
         "msg": message, "args": (), **extra}
    )  # fmt: skip
    return record


def test_json_log_lines_carry_extras_and_mask_secrets() -> None:
    """JSON logs are one object per line with extras; a secret anywhere becomes [redacted]."""
    line = JsonFormatter(["s3cr3t-token"]).format(
        _record("token s3cr3t-token refused", logging.WARNING, retry_wait=0.5, stream="orders")
    )
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "korsync.test"
    assert entry["message"] == f"token {MASK} refused"
    assert entry["retry_wait"] == 0.5 and entry["stream"] == "orders"
    assert entry["time"].endswith("Z") and "s3cr3t" not in line


def test_text_logs_suit_a_terminal_and_journald() -> None:
    """Text logs carry time and level on a terminal, a syslog priority prefix under journald."""
    plain = TextFormatter(["hunter22"]).format(_record("password hunter22", logging.ERROR))
    assert plain.endswith(f"ERROR korsync.test: password {MASK}") and plain[:4].isdigit()
    journal = TextFormatter(journald=True).format(_record("two\nlines", logging.WARNING))
    assert journal == "<4>korsync.test: two\n<4>lines"


def test_secrets_of_settings_are_token_client_secret_and_database_password() -> None:
    """The values masked in logs are the settings' token, client secret and database password."""
    settings = Settings(
        api_token="tok-123456", client_secret="cs-654321",
        database_url="postgresql://korsync:pw-secret@db/korsync",
    )  # fmt: skip
    assert sorted(secrets_of(settings)) == ["cs-654321", "pw-secret", "tok-123456"]


def test_a_log_line_clears_the_progress_bar_and_the_bar_comes_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A line logged while a backfill's bar is drawn starts on a cleared line (not glued to the
    bar's text) and the bar is drawn again after it."""
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    handler = StderrHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    bar = tqdm(total=10, file=err, ncols=40, mininterval=0)
    bar.update(3)
    handler.emit(logging.makeLogRecord({"msg": "a log line", "levelno": logging.INFO}))
    bar.close()
    before, after = err.getvalue().split("a log line\n")
    assert before.endswith("\r") and before.rstrip("\r").endswith(" " * 10)
    assert "3/10" in after
