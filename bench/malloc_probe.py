"""Where a process's resident memory is, by allocator: the RSS the kernel counts against what
glibc's malloc and Python's object allocator hold, sampled while the process runs.

``sample()`` reads ``/proc/self/status`` (RSS, anonymous RSS), glibc's ``mallinfo2`` (heap
obtained with ``brk`` and the bytes of it in use and free, bytes in ``mmap``-ed chunks) and
``sys._debugmallocstats`` (pymalloc's arenas and the bytes of them in use). Heap free bytes that
grow while in-use bytes stay flat are fragmentation; pymalloc arenas that stay while their
blocks are mostly free are Python's own. Used by ``memory_holders.py --malloc``.
"""

from __future__ import annotations

import ctypes
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MiB = 2**20


class MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                     "uordblks", "fordblks", "keepcost")
    ]  # fmt: skip


def _mallinfo() -> MallInfo2 | None:
    try:
        function = ctypes.CDLL(None).mallinfo2
    except AttributeError:  # not glibc 2.33+
        return None
    function.restype = MallInfo2
    info: MallInfo2 = function()
    return info


def _status_kb(field: str) -> int:
    with Path("/proc/self/status").open() as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _pymalloc() -> tuple[int, int]:
    """pymalloc's arena bytes and the bytes in its allocated blocks (its stats go to fd 2)."""
    with tempfile.TemporaryFile("w+") as out:
        saved = os.dup(2)
        sys.stderr.flush()
        os.dup2(out.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        text = out.read()
    arenas = re.search(r"(\d+) arenas \* (\d+) bytes/arena", text)
    used = re.search(r"# bytes in allocated blocks\s+=\s+([\d,]+)", text)
    arena_bytes = int(arenas[1]) * int(arenas[2]) if arenas else 0
    return arena_bytes, int(used[1].replace(",", "")) if used else 0


def sample(started: float) -> dict[str, Any]:
    """One reading, in MiB."""
    info = _mallinfo()
    arenas, blocks = _pymalloc()
    return {
        "s": round(time.monotonic() - started),
        "rss": _status_kb("VmRSS") / 1024,
        "rss_anon": _status_kb("RssAnon") / 1024,
        "heap": info.arena / MiB if info else None,
        "heap_used": info.uordblks / MiB if info else None,
        "heap_free": info.fordblks / MiB if info else None,
        "mmapped": info.hblkhd / MiB if info else None,
        "py_arenas": arenas / MiB,
        "py_used": blocks / MiB,
    }


def line(reading: dict[str, Any]) -> str:
    return "  ".join(
        f"{key} {value:.1f}" if isinstance(value, float) else f"{key} {value}"
        for key, value in reading.items()
    )
