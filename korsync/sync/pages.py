"""The per-page loop every paged stream shares: map a fetched page, then in one of the run's
transactions let the stream record its state for that page and write the page's rows and
rejects, so the state never runs ahead of (or behind) the rows it covers. The stream supplies
the pages (read ahead in a thread where it wants that), its mapper and the state step; what it
does once a page has committed (progress, a stop rule) it does between iterations.

One bad item never blocks a stream: an item the mapper refuses is rejected, and when the
database refuses a page's rows (a value no mapping check foresaw), each item is tried alone to
find the ones it refuses, and the page is written again without them, those rejected too.

A stream may let the database build the rows of the items it can read plainly (``RowsInSql``,
on PostgreSQL: ``order_sql``): the page's JSON goes to the server in one statement, the mapper
maps only the items it left, and a page the server refuses goes through the mapper whole.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol, Self, TypeVar

from sqlalchemy.orm import Session

from korsync.api.pagination import Page
from korsync.db.upsert import UpsertResult, refusal
from korsync.sync.mapping import (
    PARTIAL,
    MappedItem,
    Mapper,
    Rejection,
    map_each,
    map_page_each,
    merged,
    page_rejects,
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
    """A fetched page and what its items became; ``in_sql`` the items the database built the
    rows of itself (``RowsInSql``), which ``items`` and ``rows`` leave out."""

    page: Page = dataclasses.field(kw_only=True)
    in_sql: Sequence[Any] = dataclasses.field(default=(), kw_only=True)

    def keys(self) -> list[str]:
        return [*super().keys(), *(record_key(item) for item in self.in_sql)]


class RowsInSql(Protocol):
    """A stream's rows built by the database from the page's JSON (``order_sql``), for the
    items it can read plainly; the others go through the stream's mapper."""

    def encode(self, items: Sequence[Any]) -> bytes | None:
        """The items as JSON for ``write``; ``None``: map all of them."""

    def write(
        self, session: Session, page: bytes, now: dt.datetime
    ) -> tuple[list[int], UpsertResult]:
        """Write the rows of the items it reads plainly; the indexes of the others, to map."""

    def falls_back(self, error: BaseException) -> bool:
        """Whether ``error`` (raised writing a page) means: map that page in Python."""


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
    commits with them, what it reads sees the database as the page found it (but for the rows
    ``in_sql`` has written by then: the orders streams using it only save marks). When the
    database refuses some of the page's rows, that transaction is rolled back and
    ``before_write`` runs again, in the transaction writing the page without them: it must keep
    nothing outside the session (a running watermark, say) before the page is yielded. ``stop``
    is asked once each page has been fetched, before it is mapped; true leaves that page and
    the rest unwritten. ``finished`` is true once every page was committed (not stopped, not
    left early by the caller, not failed).
    """

    run: StreamRun
    pages: Iterable[Page]
    mapper: Mapper
    before_write: BeforeWrite
    redact: Callable[[Any], Any] | None = None
    stop: Callable[[], bool] = lambda: False
    in_sql: RowsInSql | None = None
    finished: bool = dataclasses.field(init=False, default=False)

    def __iter__(self) -> Iterator[MappedPage]:
        for page in self.pages:
            if self.stop():
                return
            written = self._commit_in_sql(page, self.in_sql) if self.in_sql else None
            if written is None:
                items, rejects = map_page_each(page, self.mapper, utcnow(), self.redact)
                mapped = MappedPage(items, rejects, page=page)
                written = commit_without_refused(self.run, mapped, self._write, f"page {page.page}")
            yield written
        self.finished = True

    def _commit_in_sql(self, page: Page, in_sql: RowsInSql) -> MappedPage | None:
        """Commit the page with the database building the rows of the items it reads plainly
        and the mapper those of the others; ``None`` (nothing written) when the page is to be
        mapped in Python whole: its JSON cannot be sent, or the database refused it."""
        redact = self.redact or (lambda item: item)
        items = [redact(item) for item in page.items]
        encoded = in_sql.encode(items)
        if encoded is None:
            return None
        now = utcnow()
        try:
            with self.run.transaction() as session:
                skip, result = in_sql.write(session, encoded, now)
                mapped_items, rejects = map_each([items[i] for i in skip], self.mapper, now)
                rejects += page_rejects(page, redact)
                left = frozenset(skip)
                plain = [item for i, item in enumerate(items) if i not in left]
                mapped = MappedPage(mapped_items, rejects, page=page, in_sql=plain)
                self.before_write(session, mapped)
                self.run.write(session, mapped.rows, rejects, written=mapped.keys(), more=result)
        except Exception as exc:
            if not in_sql.falls_back(exc):
                raise
            log.debug("%s: page %s mapped in Python: %s", self.run.stream, page.page, exc)
            return None
        return mapped

    def _write(self, mapped: MappedPage) -> None:
        with self.run.transaction() as session:
            self.before_write(session, mapped)
            self.run.write(session, mapped.rows, mapped.rejects, written=mapped.keys())
