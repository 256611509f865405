"""The daemon's one ``STATUS=`` line for ``systemctl status``, over every account it mirrors:
the latest result any job recorded and the jobs whose last run failed, with how many accounts
there are when there are several. Every account's job runner records into the one board, so the
line sent after a run or a reload (SIGHUP) speaks of all accounts, not only the one that ran or
the first.
"""

from __future__ import annotations

import threading

# systemd shows one line: name a few failing jobs and count the rest.
NAMED_FAILURES = 5


class StatusBoard:
    """The latest result and the consecutive failures of each job (by job id); thread-safe."""

    def __init__(self, accounts: int = 1) -> None:
        self.accounts = accounts
        self._lock = threading.Lock()
        self._last = "no run finished yet"
        self._failures: dict[str, int] = {}

    def record(self, job_id: str, status: str, message: str) -> str:
        """Record a job's result (``message`` says when and what) and return the new line."""
        with self._lock:
            self._last = f"{job_id} {status} {message}"
            if status == "failed":
                self._failures[job_id] = self._failures.get(job_id, 0) + 1
            elif status == "succeeded":
                self._failures.pop(job_id, None)
            return self._line()

    def failures(self, job_id: str) -> int:
        """How many runs of the job in a row have failed (0 after a success)."""
        with self._lock:
            return self._failures.get(job_id, 0)

    def line(self) -> str:
        """The ``STATUS=`` line: accounts (when several), latest result, failing jobs."""
        with self._lock:
            return self._line()

    def _line(self) -> str:
        accounts = f"{self.accounts} accounts; last: " if self.accounts > 1 else ""
        names = sorted(self._failures)
        shown = ", ".join(names[:NAMED_FAILURES])
        more = len(names) - NAMED_FAILURES
        failing = f"; failing: {shown}" + (f" and {more} more" if more > 0 else "")
        return accounts + self._last + (failing if names else "")
