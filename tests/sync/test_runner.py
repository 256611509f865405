"""A run's page transactions: placeholder parents remembered only once committed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from korsync.ids import uuid7
from korsync.models import Catalog
from korsync.sync.rowset import RowSet
from korsync.sync.runner import StreamRun


def _naming(*catalog_ids: Any) -> RowSet:
    rows = RowSet()
    for catalog_id in catalog_ids:
        rows.placeholder("catalogs", catalog_id)
    return rows


@pytest.fixture
def catalog_inserts(engine: Engine) -> Iterator[list[str]]:
    """The INSERT statements into ``catalogs`` that reach the database."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO CATALOGS"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


def test_committed_parents_are_not_inserted_again(
    sessions: sessionmaker[Session], catalog_inserts: list[str]
) -> None:
    """A placeholder parent committed by one page is not inserted again by the next."""
    known = uuid7()
    with StreamRun(sessions, "orders", "incremental") as run:
        with run.transaction() as session:
            run.write(session, _naming(known))
        with run.transaction() as session:
            run.write(session, _naming(known))
    assert len(catalog_inserts) == 1


def test_a_rolled_back_pages_parents_are_inserted_by_the_next(
    engine: Engine, sessions: sessionmaker[Session], catalog_inserts: list[str]
) -> None:
    """Parents of a page that rolled back are not remembered: the next page naming them
    inserts them, so they exist once it commits."""
    lost = uuid7()
    with StreamRun(sessions, "orders", "incremental") as run:
        with pytest.raises(RuntimeError), run.transaction() as session:
            run.write(session, _naming(lost))
            raise RuntimeError("the page failed after its rows were written")
        with run.transaction() as session:
            run.write(session, _naming(lost))
    assert len(catalog_inserts) == 2
    with Session(engine) as session:
        assert session.scalars(select(Catalog.id)).all() == [lost]
