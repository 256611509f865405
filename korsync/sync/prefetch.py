"""Reading ahead: the next item of a slow iterator (pages over HTTP) is fetched in a thread.

While the caller maps and writes one page, the next is already being fetched, so a stream
costs about the larger of fetch time and write time per page instead of their sum. One item
is read ahead, on a thread of the executor given, so a backfill's slices share a few
long-lived threads instead of starting one each. An error in the source is raised at the
caller's next step; a caller that stops early waits for the read in progress, then closes
the source.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import Executor
from typing import TypeVar, cast

T = TypeVar("T")
_END = object()


def prefetch(source: Iterable[T], executor: Executor) -> Iterator[T]:
    """The items of ``source``, each read on ``executor`` while the previous one is in use."""
    items = iter(source)
    pending = executor.submit(next, items, _END)
    try:
        while (item := pending.result()) is not _END:
            pending = executor.submit(next, items, _END)
            yield cast(T, item)
    finally:
        if not pending.cancel():
            pending.exception()  # wait: a generator cannot be closed while it runs
        close = getattr(items, "close", None)
        if close is not None:
            close()
