"""``SeenIds``: the ids a walk has seen, as compact hashes — exact counts and membership across
merges, for ordinary, repeated, huge and unusual ids."""

from __future__ import annotations

import uuid

from korsync.api.seen_ids import MERGE_AT, SeenIds


def test_counts_each_distinct_id_once_across_merges() -> None:
    """Pages of 50 ids, each page repeating half of the one before, well past several merges:
    the count is the distinct ids, each one seen is in, none other is."""
    ids = [str(uuid.UUID(int=n)) for n in range(MERGE_AT * 6)]
    seen = SeenIds()
    for start in range(0, len(ids), 25):
        seen.update(ids[start : start + 50])
    assert len(seen) == len(ids)
    assert all(key in seen for key in ids)
    assert not any(str(uuid.UUID(int=n)) in seen for n in range(len(ids), len(ids) + 500))


def test_covers_a_page_only_when_every_id_was_seen() -> None:
    """A page is covered when all its ids were seen before, whether merged or recent; an empty
    page is covered (a walk checks pages with ids only)."""
    seen = SeenIds()
    seen.update(str(n) for n in range(MERGE_AT + 1))  # merged
    seen.update(["recent"])
    assert seen.covers(["0", str(MERGE_AT), "recent"]) and seen.covers([])
    assert not seen.covers(["0", "never seen"])


def test_huge_and_unusual_ids() -> None:
    """Ids of 100 kB, unprintable, non-ASCII or looking like numbers are kept apart."""
    odd = ["x" * 100_000, "x" * 99_999, "\x00\x01", "é", "e\u0301", "1", "01", " 1"]
    seen = SeenIds()
    seen.update(odd)
    seen.update(odd)
    assert len(seen) == len(odd) and all(key in seen for key in odd)
