"""The systemd notification protocol (``sd_notify``), spoken directly over ``$NOTIFY_SOCKET``.

``notify`` sends ``KEY=value`` lines (``READY=1``, ``STATUS=…``, ``WATCHDOG=1``, ``STOPPING=1``,
``RELOADING=1``) as one datagram to the ``AF_UNIX`` socket systemd names in ``$NOTIFY_SOCKET``
(a path, or ``@name`` for the abstract namespace); without the variable it does nothing, so the
daemon runs the same by hand. A send never blocks more than half a second (a listener that
stops reading must not stall a sync). ``watchdog_period`` reads ``$WATCHDOG_USEC`` (honouring
``$WATCHDOG_PID``) and says how often to send ``WATCHDOG=1``: half the timeout, as systemd
advises. Failures to notify are logged (the first at WARNING, the rest at DEBUG) and never stop the
daemon.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

log = logging.getLogger("korsync.systemd")
SEND_TIMEOUT_S = 0.5
_failed = threading.Event()  # a send failed before: later failures are logged quietly


def notify(*fields: str) -> bool:
    """Send ``fields`` (``"READY=1"``, …) in one datagram; ``False`` when not under systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    payload = "\n".join(field.replace("\n", " ") for field in fields).encode()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.settimeout(SEND_TIMEOUT_S)
            sock.connect(address)
            sock.sendall(payload)
    except OSError as exc:
        level = logging.DEBUG if _failed.is_set() else logging.WARNING
        log.log(level, "could not notify systemd at %s: %s", address.lstrip("\0"), exc)
        _failed.set()
        return False
    return True


def status(message: str) -> bool:
    """``STATUS=`` for ``systemctl status`` (one line, at most 200 characters)."""
    return notify(f"STATUS={message[:200]}")


def reloading() -> bool:
    """``RELOADING=1`` with the monotonic timestamp ``Type=notify-reload`` asks for."""
    usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    return notify("RELOADING=1", f"MONOTONIC_USEC={usec}")


def watchdog_period() -> float | None:
    """Seconds between ``WATCHDOG=1`` pings (half of ``$WATCHDOG_USEC``), or ``None``."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        timeout = int(usec) / 1_000_000
    except ValueError:
        log.warning("ignoring WATCHDOG_USEC=%r: not a number of microseconds", usec)
        return None
    return timeout / 2 if timeout > 0 else None
