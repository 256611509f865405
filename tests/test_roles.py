"""The read-only reporting role: reads every table and view, now and later; writes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from korsync.db.engine import make_engine
from korsync.db.roles import grant_reader

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres_engine(request: pytest.FixtureRequest) -> Engine:
    return make_engine(request.getfixturevalue("postgres_template"))


@pytest.fixture
def reader(postgres_engine: Engine) -> Iterator[str]:
    """A login role that is dropped afterwards."""
    role = f"korsync_reader_{uuid.uuid4().hex[:8]}"
    with postgres_engine.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    yield role
    with postgres_engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS later_table"))
        conn.execute(text(f'DROP OWNED BY "{role}"'))
        conn.execute(text(f'DROP ROLE "{role}"'))


def test_reader_reads_everything_and_writes_nothing(postgres_engine: Engine, reader: str) -> None:
    """After grant-reader the role selects every table and view, including a table created
    later by the writer, and cannot insert."""
    with postgres_engine.begin() as conn:
        grant_reader(conn, reader)
    inspector = inspect(postgres_engine)
    relations = inspector.get_table_names() + inspector.get_view_names()
    assert {"orders", "order_lines", "daily_sales", "session_sales"} <= set(relations)
    with postgres_engine.begin() as conn:
        conn.execute(text("CREATE TABLE later_table (id int)"))  # as a later migration would
    url = make_url(postgres_engine.url.render_as_string(hide_password=False)).set(username=reader)
    as_reader = make_engine(url)
    try:
        with as_reader.connect() as conn:
            for name in [*relations, "later_table"]:
                conn.execute(text(f'SELECT * FROM "{name}" LIMIT 1')).all()
        with (
            as_reader.connect() as conn,
            pytest.raises(ProgrammingError, match="permission denied"),
        ):
            conn.execute(text("DELETE FROM orders"))
    finally:
        as_reader.dispose()


def test_sqlite_has_no_roles() -> None:
    """On SQLite the command refuses clearly instead of pretending."""
    engine = make_engine("sqlite://")
    with engine.begin() as conn, pytest.raises(ValueError, match="SQLite has no roles"):
        grant_reader(conn, "reader")
