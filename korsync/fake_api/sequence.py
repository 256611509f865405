"""A sorted collection made of a huge implicit part and a small explicit one.

Orders (and reservations) are the base records, sorted by ``createdAt`` and never
materialized, merged with the records created later (kept as a sorted list of
``(created, index)``). ``Merged`` counts and slices a ``createdAt`` window of the union in
O(log n) per page: base records come before later ones created in the same second.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """Index ranges of a ``createdAt`` window: base ``[base_lo, base_hi)``, extras likewise."""

    base_lo: int
    base_hi: int
    extra_lo: int
    extra_hi: int

    @property
    def total(self) -> int:
        """Number of records in the window."""
        return self.base_hi - self.base_lo + self.extra_hi - self.extra_lo


@dataclass
class Merged:
    """Base indices ``0 .. base_count-1`` (keys from ``key``) merged with ``extras``."""

    base_count: int
    key: Callable[[int], int]
    first_at_or_after: Callable[[int], int]
    extras: list[tuple[int, int]]

    def window(self, low: int | None = None, high: int | None = None) -> Window:
        """Records with ``low <= created < high`` (``None``: unbounded)."""
        base_lo = 0 if low is None else self.first_at_or_after(low)
        base_hi = self.base_count if high is None else self.first_at_or_after(high)
        extra_lo = 0 if low is None else bisect.bisect_left(self.extras, (low, -1))
        extra_hi = len(self.extras) if high is None else bisect.bisect_left(self.extras, (high, -1))
        return Window(base_lo, max(base_lo, base_hi), extra_lo, max(extra_lo, extra_hi))

    def _rank(self, window: Window, extra: int) -> int:
        before = self.first_at_or_after(self.extras[extra][0] + 1)
        return extra - window.extra_lo + max(0, min(window.base_hi, before) - window.base_lo)

    def ascending(self, window: Window, offset: int, limit: int) -> list[int]:
        """Indices at positions ``offset .. offset+limit-1`` of the window, oldest first."""
        low, high = window.extra_lo, window.extra_hi
        while low < high:
            middle = (low + high) // 2
            if self._rank(window, middle) < offset:
                low = middle + 1
            else:
                high = middle
        extra, base = low, window.base_lo + offset - (low - window.extra_lo)
        found: list[int] = []
        while len(found) < limit:
            base_left = base < window.base_hi
            if extra < window.extra_hi and (
                not base_left or self.extras[extra][0] < self.key(base)
            ):
                found.append(self.extras[extra][1])
                extra += 1
            elif base_left:
                found.append(base)
                base += 1
            else:
                break
        return found

    def page(self, window: Window, offset: int, limit: int, descending: bool) -> list[int]:
        """A page of the window in either direction."""
        if not descending:
            return self.ascending(window, offset, limit)
        end = window.total - offset
        start = max(0, end - limit)
        if end <= 0:
            return []
        return list(reversed(self.ascending(window, start, end - start)))
