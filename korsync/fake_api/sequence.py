"""A sorted collection made of a huge implicit part and a small explicit one.

Orders (and reservations) are the base records, sorted by ``createdAt`` and never
materialized, merged with the records created later (kept as a sorted list of
``(created, index)``). ``Merged`` counts and slices a ``createdAt`` window of the union in
O(log n) per page: base records come before later ones created in the same second. Base
records deleted since (``removed``, a sorted list of their indices) are skipped, a later one
is simply taken out of ``extras``; positions and totals count only the records still there.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Window:
    """Index ranges of a ``createdAt`` window: base ``[base_lo, base_hi)``, extras likewise."""

    base_lo: int
    base_hi: int
    extra_lo: int
    extra_hi: int
    removed_lo: int = 0  # removed base records before base_lo
    removed_hi: int = 0  # ... before base_hi

    @property
    def total(self) -> int:
        """Number of records in the window."""
        removed = self.removed_hi - self.removed_lo
        return self.base_hi - self.base_lo + self.extra_hi - self.extra_lo - removed


@dataclass
class Merged:
    """Base indices ``0 .. base_count-1`` (keys from ``key``) merged with ``extras``."""

    base_count: int
    key: Callable[[int], int]
    first_at_or_after: Callable[[int], int]
    extras: list[tuple[int, int]]
    removed: list[int] = field(default_factory=list)

    def window(self, low: int | None = None, high: int | None = None) -> Window:
        """Records with ``low <= created < high`` (``None``: unbounded)."""
        base_lo = 0 if low is None else self.first_at_or_after(low)
        base_hi = self.base_count if high is None else self.first_at_or_after(high)
        base_hi = max(base_lo, base_hi)
        extra_lo = 0 if low is None else bisect.bisect_left(self.extras, (low, -1))
        extra_hi = len(self.extras) if high is None else bisect.bisect_left(self.extras, (high, -1))
        removed = (
            bisect.bisect_left(self.removed, base_lo),
            bisect.bisect_left(self.removed, base_hi),
        )
        return Window(base_lo, base_hi, extra_lo, max(extra_lo, extra_hi), *removed)

    def _live_before(self, window: Window, base: int) -> int:
        """Base records still there in ``[window.base_lo, base)``."""
        return base - window.base_lo - (bisect.bisect_left(self.removed, base) - window.removed_lo)

    def _nth_live_base(self, window: Window, number: int) -> int:
        """The index of the ``number``-th base record still there from ``window.base_lo``."""
        index = window.base_lo + number
        while True:  # each removed record at or before it pushes it one further
            target = window.base_lo + number + bisect.bisect_right(self.removed, index)
            target -= window.removed_lo
            if target == index:
                return index
            index = target

    def _is_removed(self, base: int) -> bool:
        at = bisect.bisect_left(self.removed, base)
        return at < len(self.removed) and self.removed[at] == base

    def _rank(self, window: Window, extra: int) -> int:
        before = self.first_at_or_after(self.extras[extra][0] + 1)
        bases = self._live_before(window, max(window.base_lo, min(window.base_hi, before)))
        return extra - window.extra_lo + bases

    def ascending(self, window: Window, offset: int, limit: int) -> list[int]:
        """Indices at positions ``offset .. offset+limit-1`` of the window, oldest first."""
        low, high = window.extra_lo, window.extra_hi
        while low < high:
            middle = (low + high) // 2
            if self._rank(window, middle) < offset:
                low = middle + 1
            else:
                high = middle
        extra, base = low, self._nth_live_base(window, offset - (low - window.extra_lo))
        found: list[int] = []
        while len(found) < limit:
            while self.removed and base < window.base_hi and self._is_removed(base):
                base += 1
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
