"""The distinct item ids a collection walk has seen, kept compact enough for walks of millions.

A walk remembers every id it saw to notice a page that brings nothing new (a loop upstream) and
a walk bringing more distinct items than ``totalItems`` allows. As a set of strings that cost
about 120 bytes an id: a backfill's slices, walked eight at a time in each of two processes,
held tens of megabytes of them near their ends. ``SeenIds`` keeps each id's 64-bit hash
instead, in a sorted ``array`` (8 bytes an id) with a small set of the latest hashes merged into
it once it outgrows a quarter of the array (so merging costs a constant per id over a walk).
Two different ids sharing a hash (odds about n² / 2⁶⁵: one in 36 million for a million ids)
would count as one; that can only delay the ``totalItems`` bound by one item, and a page is
taken as bringing nothing new only if every one of its ids was seen.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterable

MERGE_AT = 4096  # latest hashes kept in a set before the first merge


class SeenIds:
    """A set of string ids that only grows: ``update``, ``in``, ``covers`` and ``len``."""

    def __init__(self) -> None:
        self._merged = array("q")  # sorted; never shares a hash with ``_latest``
        self._latest: set[int] = set()

    def __len__(self) -> int:
        return len(self._merged) + len(self._latest)

    def __contains__(self, key: str) -> bool:
        return self._has(hash(key))

    def covers(self, keys: Iterable[str]) -> bool:
        """Whether every one of ``keys`` was seen (true for none)."""
        return all(self._has(hash(key)) for key in keys)

    def update(self, keys: Iterable[str]) -> None:
        """Remember ``keys``."""
        for digest in map(hash, keys):
            if not self._has(digest):
                self._latest.add(digest)
        if len(self._latest) > max(MERGE_AT, len(self._merged) // 4):
            self._merged = array("q", sorted([*self._merged, *self._latest]))
            self._latest = set()

    def _has(self, digest: int) -> bool:
        if digest in self._latest:
            return True
        at = bisect.bisect_left(self._merged, digest)
        return at < len(self._merged) and self._merged[at] == digest
