"""The systemd protocol on its own: notify messages to ``$NOTIFY_SOCKET``, the watchdog period."""

from __future__ import annotations

import os

import pytest

from korsync.daemon import systemd
from tests.support.daemon import NotifySocket, wait_for


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
