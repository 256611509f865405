"""When each generated order was created, without generating the orders.

The base orders of an organization are cut into blocks of 256 consecutive indices; block *b*
owns an equal slice of the history window, and inside it the orders come in bursts (1 to 80
orders sharing one second, mostly single ones) at seeded random seconds. So ``created(i)`` is
non-decreasing in *i*, any second can be located with one bisection inside one block
(``first_at_or_after``), and only a few recently used block layouts are kept in memory.
"""

from __future__ import annotations

import bisect
import random
import threading
from collections import OrderedDict

from korsync.fake_api.keys import Rng, digest

BLOCK = 256
_CACHED_BLOCKS = 256
_MS_STEP = 11  # milliseconds between orders of one burst (ids stay time-ordered)


def burst_size(rng: random.Random) -> int:
    """How many orders one ``_bulk`` call creates in the same second."""
    draw = rng.random()
    if draw < 0.6:
        return 1
    if draw < 0.85:
        return rng.randint(2, 5)
    if draw < 0.97:
        return rng.randint(6, 20)
    return rng.randint(21, 80)


class Timeline:
    """``createdAt`` (whole seconds) and id milliseconds of base orders ``0 .. count-1``."""

    def __init__(self, seed: int, org: int, count: int, first: int, last: int) -> None:
        self.count = count
        self._seed, self._org, self._first = seed, org, first
        self._blocks = -(-count // BLOCK)
        self._span = max(1, (last - first) // max(1, self._blocks))
        self._cache: OrderedDict[int, tuple[list[int], list[int]]] = OrderedDict()
        self._lock = threading.Lock()

    def _layout(self, block: int) -> tuple[list[int], list[int]]:
        with self._lock:
            cached = self._cache.get(block)
            if cached is not None:
                self._cache.move_to_end(block)
                return cached
        layout = self._build(block)
        with self._lock:
            self._cache[block] = layout
            if len(self._cache) > _CACHED_BLOCKS:
                self._cache.popitem(last=False)
        return layout

    def _build(self, block: int) -> tuple[list[int], list[int]]:
        rng = Rng(digest(self._seed, self._org, 0xB10C, block))
        size = min(BLOCK, self.count - block * BLOCK)
        bursts: list[tuple[int, int]] = []
        total = 0
        while total < size:
            count = min(burst_size(rng), size - total)
            bursts.append((rng.randrange(self._span), count))
            total += count
        bursts.sort()
        base = self._first + block * self._span
        seconds: list[int] = []
        millis: list[int] = []
        for offset, count in bursts:
            for _ in range(count):
                slot = len(seconds) - bisect.bisect_left(seconds, base + offset)
                seconds.append(base + offset)
                millis.append((base + offset) * 1000 + min(999, slot * _MS_STEP))
        return seconds, millis

    def created(self, index: int) -> int:
        """Unix second at which base order ``index`` was created."""
        return self._layout(index // BLOCK)[0][index % BLOCK]

    def millis(self, index: int) -> int:
        """Unix millisecond encoded in the id of base order ``index``."""
        return self._layout(index // BLOCK)[1][index % BLOCK]

    def first_at_or_after(self, second: int) -> int:
        """The lowest index whose ``created`` is >= ``second`` (``count`` if none)."""
        if self.count == 0:
            return 0
        block = (second - self._first) // self._span
        if block < 0:
            return 0
        if block >= self._blocks:
            return self.count
        seconds = self._layout(block)[0]
        return block * BLOCK + bisect.bisect_left(seconds, second)
