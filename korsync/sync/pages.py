"""The per-page loop every paged stream shares: map a fetched page, then in one of the run's
transactions let the stream record its state for that page and write the page's rows and
rejects, so the state never runs ahead of (or behind) the rows it covers. The stream supplies
the pages (read ahead in a thread where it wants that), its mapper and the state step; what it
does once a page has committed (progress, a stop rule) it does between iterations.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy.orm import Session

from korsync.api.pagination import Page
from korsync.sync.mapping import Mapper, Rejection, map_page, utcnow
from korsync.sync.rowset import RowSet
from korsync.sync.runner import StreamRun


@dataclasses.dataclass(frozen=True)
class MappedPage:
    """A fetched page and what its items became."""

    page: Page
    rows: RowSet
    rejects: list[Rejection]


BeforeWrite = Callable[[Session, MappedPage], None]


@dataclasses.dataclass
class PageCommits:
    """Commit ``pages`` one by one; iterate to get each ``MappedPage`` once it has committed.

    ``before_write`` runs in the page's transaction before the rows are written: what it saves
    commits with them, what it reads sees the database as the page found it. ``stop`` is asked
    once each page has been fetched, before it is mapped; true leaves that page and the rest
    unwritten. ``finished`` is true once every page was committed (not stopped, not left early
    by the caller, not failed).
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
            mapped = MappedPage(page, *map_page(page, self.mapper, utcnow(), self.redact))
            with self.run.transaction() as session:
                self.before_write(session, mapped)
                self.run.write(session, mapped.rows, mapped.rejects)
            yield mapped
        self.finished = True
