"""The daemon's parts on their own: notify messages, the SQLite daemon lock, advisory locks,
log formats and secret masking."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest
from sqlalchemy import Engine

from korsync.daemon import systemd
from korsync.config import Settings
from korsync.db.engine import make_engine
from korsync.daemon.locks import DaemonLockError, lock_key, sqlite_daemon_lock, stream_lock
from korsync.logs import MASK, JsonFormatter, TextFormatter, secrets_of
from tests.daemon.conftest import NotifySocket, wait_for


def _record(message: str, level: int = logging.INFO, **extra: object) -> logging.LogRecord:
    record = logging.makeLogRecord(
        {"name": "korsync.test", "levelno": level, "levelname": logging.getLevelName(level),
         "msg": message, "args": (), **extra}
    )  # fmt: skip
    return record


def test_notify_sends_one_datagram_to_notify_socket(
    notify_socket: NotifySocket, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``notify`` sends its fields as lines of one datagram to ``$NOTIFY_SOCKET``."""
    monkeypatch.setenv("NOTIFY_SOCKET", notify_socket.path)
    assert systemd.notify("READY=1", "STATUS=ready\nsecond line")
    assert systemd.status("x" * 500)
    assert systemd.reloading()
    got = wait_for(lambda: len(notify_socket.messages()) >= 5 and notify_socket.messages(), "5")
    assert got[:3] == ["READY=1", "STATUS=ready second line", "STATUS=" + "x" * 200]
    assert got[3] == "RELOADING=1" and got[4].startswith("MONOTONIC_USEC=")


def test_notify_without_systemd_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ``$NOTIFY_SOCKET`` (run by hand) notifying is a no-op, and a dead socket no crash."""
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert systemd.notify("READY=1") is False
    monkeypatch.setenv("NOTIFY_SOCKET", "/nonexistent/notify")
    assert systemd.notify("READY=1") is False


def test_watchdog_period_is_half_of_watchdog_usec_for_this_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """WATCHDOG=1 is due every half ``$WATCHDOG_USEC``, unless ``$WATCHDOG_PID`` is another's."""
    monkeypatch.setenv("WATCHDOG_USEC", "20000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert systemd.watchdog_period() == 10.0
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert systemd.watchdog_period() == 10.0
    monkeypatch.setenv("WATCHDOG_PID", "1")
    assert systemd.watchdog_period() is None
    monkeypatch.delenv("WATCHDOG_USEC")
    assert systemd.watchdog_period() is None


def test_second_daemon_on_one_sqlite_file_is_refused(tmp_path: Path) -> None:
    """The SQLite daemon lock is exclusive, names the holder's pid, and is free again after."""
    url = make_engine(f"sqlite:///{tmp_path / 'k.db'}").url
    refused = pytest.raises(DaemonLockError, match=rf"pid {os.getpid()}\).*k\.db.*PostgreSQL")
    with sqlite_daemon_lock(url), refused, sqlite_daemon_lock(url):
        pass
    with sqlite_daemon_lock(url):
        pass


def test_advisory_lock_admits_one_holder_per_stream(engine: Engine) -> None:
    """Per stream, one connection at a time holds the lock; other streams are independent."""
    if engine.dialect.name != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    other = make_engine(engine.url)
    try:
        with (
            stream_lock(engine, "orders") as first,
            stream_lock(other, "orders") as second,
            stream_lock(other, "reconcile") as third,
        ):
            assert (first, second, third) == (True, False, True)
        with stream_lock(other, "orders") as again:
            assert again
    finally:
        other.dispose()
    assert lock_key("db.a", "orders") != lock_key("db.b", "orders")


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
