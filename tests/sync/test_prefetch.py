"""The read-ahead iterator used to fetch the next page while the current one is written."""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from korsync.sync.prefetch import prefetch


@pytest.fixture
def reader() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=1) as executor:
        yield executor


def test_yields_every_item_in_order(reader: ThreadPoolExecutor) -> None:
    """Every item of the source comes out once, in the source's order."""
    assert list(prefetch(iter(range(100)), reader)) == list(range(100))


def test_reads_the_next_item_while_the_caller_holds_one(reader: ThreadPoolExecutor) -> None:
    """The next item is fetched while the caller is still busy with the current one."""
    second_requested = threading.Event()

    def source() -> Iterator[int]:
        yield 1
        second_requested.set()
        yield 2

    items = prefetch(source(), reader)
    assert next(items) == 1
    assert second_requested.wait(timeout=10), "the next item was not read ahead"
    assert list(items) == [2]


def test_an_error_in_the_source_reaches_the_caller_after_the_items_before_it(
    reader: ThreadPoolExecutor,
) -> None:
    """A failing fetch is raised to the caller, never swallowed as an early end."""

    def source() -> Iterator[int]:
        yield 1
        raise RuntimeError("page 2 failed")

    items = prefetch(source(), reader)
    assert next(items) == 1
    with pytest.raises(RuntimeError, match="page 2 failed"):
        next(items)


def test_a_caller_that_stops_early_closes_the_source(reader: ThreadPoolExecutor) -> None:
    """Closing the iterator closes the source after at most one item read ahead."""
    pulled: list[int] = []
    closed = threading.Event()

    def source() -> Iterator[int]:
        try:
            for number in range(1000):
                pulled.append(number)
                yield number
        finally:
            closed.set()

    items = prefetch(source(), reader)
    assert isinstance(items, Generator)  # so the caller can close it
    assert next(items) == 0
    items.close()
    assert closed.is_set()
    assert pulled in ([0], [0, 1])  # the read ahead may be cancelled before it starts
