"""The read-ahead iterator used to fetch the next page while the current one is written."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from korsync.sync.prefetch import prefetch


def test_yields_every_item_in_order() -> None:
    """Every item of the source comes out once, in the source's order."""
    assert list(prefetch(iter(range(100)), depth=3)) == list(range(100))


def test_reads_the_next_item_while_the_caller_holds_one() -> None:
    """The producer fetches item 2 while the caller is still busy with item 1."""
    second_requested = threading.Event()

    def source() -> Iterator[int]:
        yield 1
        second_requested.set()
        yield 2

    items = prefetch(source())
    assert next(items) == 1
    assert second_requested.wait(timeout=10), "the next item was not read ahead"
    assert list(items) == [2]


def test_an_error_in_the_source_reaches_the_caller_after_the_items_before_it() -> None:
    """A failing fetch is raised to the caller, never swallowed as an early end."""

    def source() -> Iterator[int]:
        yield 1
        raise RuntimeError("page 2 failed")

    items = prefetch(source())
    assert next(items) == 1
    with pytest.raises(RuntimeError, match="page 2 failed"):
        next(items)


def test_a_caller_that_stops_early_stops_the_producer() -> None:
    """Closing the iterator ends the background thread; the source is not read to its end."""
    pulled: list[int] = []

    def source() -> Iterator[int]:
        for number in range(1000):
            pulled.append(number)
            yield number

    before = {t.ident for t in threading.enumerate()}
    items = prefetch(source(), depth=2)
    assert next(items) == 0
    items.close()
    assert len(pulled) <= 4  # the one taken, the buffer of two, one being offered
    assert not [t for t in threading.enumerate() if t.name == "prefetch" and t.ident not in before]
