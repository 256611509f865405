"""The per-page loop every paged stream shares: map a fetched page, then in one of the run's
transactions let the stream record its state for that page and write the page's rows and
rejects, so the state never runs ahead of (or behind) the rows it covers. The stream supplies
the pages (read ahead in a thread where it wants that), its mapper and the state step; what it
does once a page has committed (progress, a stop rule) it does between iterations.

One bad item never blocks a stream: an item the mapper refuses is rejected, and when the
database refuses a page's rows (a value no mapping check foresaw), each item is tried alone to
find the ones it refuses, and the page is written again without them, those rejected too.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Self, TypeVar

from sqlalchemy.orm import Session

from korsync.api.pagination import Page
from korsync.db.upsert import refusal
from korsync.sync.mapping import (
    PARTIAL,
    MappedItem,
    Mapper,
    Rejection,
    map_page_each,
    merged,
    record_key,
    utcnow,
)
from korsync.sync.rowset import RowSet
from korsync.sync.runner import StreamRun

log = logging.getLogger("korsync.sync")


@dataclasses.dataclass(frozen=True)
class MappedItems:
    """Items to be written together: each mapped item with its rows, all their rows, and the
    rejected items."""

    items: list[MappedItem]
    rejects: list[Rejection]
    rows: RowSet = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", merged(self.items))

    def without(self, refused: Mapping[int, str]) -> Self:
        """These items less those at the indexes of ``refused``, rejected with its reasons
        (no longer partial: nothing of them is written)."""
        kept = [item for index, item in enumerate(self.items) if index not in refused]
        dropped = [Rejection(self.items[index].raw, why) for index, why in refused.items()]
        gone = {id(self.items[index].raw) for index in refused}
        earlier = [r for r in self.rejects if r.kind != PARTIAL or id(r.raw) not in gone]
        return dataclasses.replace(self, items=kept, rejects=[*earlier, *dropped])

    def keys(self) -> list[str]:
        """The ``record_key`` of each item written (their open rejects are resolved)."""
        return [record_key(item.raw) for item in self.items]


@dataclasses.dataclass(frozen=True)
class MappedPage(MappedItems):
    """A fetched page and what its items became."""

    page: Page = dataclasses.field(kw_only=True)


BeforeWrite = Callable[[Session, MappedPage], None]
Batch = TypeVar("Batch", bound=MappedItems)


def commit_without_refused(
    run: StreamRun, batch: Batch, write: Callable[[Batch], None], where: str
) -> Batch:
    """``write(batch)``; if the database refuses some of its items' rows, find them by trying
    each item alone and ``write`` the batch again without them (rejected instead). Returns what
    was written; a refusal no single item explains, and any other failure, is raised."""
    try:
        write(batch)
        return batch
    except Exception as exc:
        if refusal(exc) is None:
            raise
        failure = exc
    log.warning(
        "%s: the database refused rows of %s (%s); trying its items one by one",
        run.stream,
        where,
        refusal(failure),
    )
    refused = run.refused([item.rows for item in batch.items])
    if not refused:  # refused together, each accepted alone: nothing to single out
        raise failure
    kept = batch.without(refused)
    write(kept)
    return kept


@dataclasses.dataclass
class PageCommits:
    """Commit ``pages`` one by one; iterate to get each ``MappedPage`` once it has committed
    (without the items the database refused, when it refused some).

    ``before_write`` runs in the page's transaction before the rows are written: what it saves
    commits with them, what it reads sees the database as the page found it. When the database
    refuses some of the page's rows, that transaction is rolled back and ``before_write`` runs
    again, in the transaction writing the page without them: it must keep nothing outside the
    session (a running watermark, say) before the page is yielded. ``stop`` is asked once each
    page has been fetched, before it is mapped; true leaves that page and the rest unwritten.
    ``finished`` is true once every page was committed (not stopped, not left early by the
    caller, not failed).
    """

    run: StreamRun
    pages: Iterable[Page]
    mapper: Mapper
    before_write: BeforeWrite
    redact: Callable[[Any], Any] | None = None
    stop: Callable[[], bool] = lambda: False
    finished: bool = dataclasses.field(init=False, default=False)

    def __iter__(self) -> Iterator[MappedPage]:
        for page in self.pages:
            if self.stop():
                return
            items, rejects = map_page_each(page, self.mapper, utcnow(), self.redact)
            mapped = MappedPage(items, rejects, page=page)
            yield commit_without_refused(self.run, mapped, self._write, f"page {page.page}")
        self.finished = True

    def _write(self, mapped: MappedPage) -> None:
        with self.run.transaction() as session:
            self.before_write(session, mapped)
            self.run.write(session, mapped.rows, mapped.rejects, written=mapped.keys())
