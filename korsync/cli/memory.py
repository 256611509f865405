"""How glibc's malloc may hold on to a long run's freed memory, set at every command's start and
in each backfill worker: at most two arenas per process (glibc otherwise gives each thread that
allocates concurrently an arena of its own and keeps what is freed in it), and a fixed 128 KB
mmap threshold (otherwise glibc raises it after the first large buffer is freed, and response
bodies then come from a fragmenting heap that is rarely returned). Python's small objects use
their own allocator; on C libraries other than glibc this does nothing. The measurements behind
both settings are in bench/README.md.
"""

from __future__ import annotations

import ctypes

# From glibc's malloc.h.
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8


def tune_malloc(arenas: int = 2, mmap_threshold: int = 128 * 1024) -> bool:
    """Cap the arenas and fix the mmap threshold; False where glibc's mallopt is absent."""
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library already loaded: no library search
    except (OSError, AttributeError):
        return False
    capped = mallopt(M_ARENA_MAX, arenas)
    fixed = mallopt(M_MMAP_THRESHOLD, mmap_threshold)
    return bool(capped and fixed)
