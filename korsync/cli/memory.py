"""How glibc's malloc may hold on to a long run's freed memory, set at every command's start and
in each backfill worker: at most two arenas per process (glibc otherwise gives each thread that
allocates concurrently an arena of its own and keeps what is freed in it), and a fixed 32 KB
mmap threshold (otherwise glibc raises it after the first large buffer is freed, and response
bodies, batches and results then come from a fragmenting heap that is rarely returned; at
128 KB the medium-sized ones still did: a default 1,000,000-order backfill peaked at 264 MB
with 128 KB and 254 MB with 32 KB at the same CPU per order; a 30,000-order run pays a few
percent more). Python's small objects use their own allocator; on C libraries other than
glibc this does nothing. Also Python's cyclic garbage collector's first threshold
(``tune_gc``). The measurements behind these settings are in bench/README.md.
"""

from __future__ import annotations

import ctypes
import gc

# From glibc's malloc.h.
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8


def tune_malloc(arenas: int = 2, mmap_threshold: int = 32 * 1024) -> bool:
    """Cap the arenas and fix the mmap threshold; False where glibc's mallopt is absent."""
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library already loaded: no library search
    except (OSError, AttributeError):
        return False
    capped = mallopt(M_ARENA_MAX, arenas)
    fixed = mallopt(M_MMAP_THRESHOLD, mmap_threshold)
    return bool(capped and fixed)


# Container objects allocated (less those freed) before a young collection; Python's default is
# 700. Mapping a page builds thousands of row dicts that live until the page is written, so at
# 700 a backfill ran a collection every few orders, each walking all the young objects for
# cycles that are rarely there: 30,000 orders, default backfill, 0.86 CPU s per 1,000 orders
# at 700, 0.70 at 10,000 (238 MB peak RSS against 231); 50,000 took 311 MB, and the collector
# off 335 MB (cycles do occur, so it stays on).
YOUNG_THRESHOLD = 10_000


def tune_gc(young: int = YOUNG_THRESHOLD) -> None:
    """Raise the collector's first threshold, keeping the older generations' ratios."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, old)
