"""Reading ahead: iterate a slow iterator (pages over HTTP) in a thread of its own.

While the caller maps and writes one page, the next is already being fetched, so a stream
costs about the larger of fetch time and write time per page instead of their sum. At most
``depth`` items wait in the buffer; an error in the producer is raised at the caller's next
step, and a caller that stops early stops the producer.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def prefetch(source: Iterable[T], depth: int = 1) -> Iterator[T]:
    """The items of ``source``, read up to ``depth`` items ahead in a background thread."""
    buffer: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(entry: object) -> bool:
        while not stop.is_set():
            try:
                buffer.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in source:
                if not offer(item):
                    return
        except BaseException as exc:  # handed to the consumer, which raises it
            offer(_Failure(exc))
            return
        offer(_DONE)

    thread = threading.Thread(target=produce, name="prefetch", daemon=True)
    thread.start()
    try:
        while (entry := buffer.get()) is not _DONE:
            if isinstance(entry, _Failure):
                raise entry.error
            yield entry  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error
