"""The history triggers as migrated are the ones ``korsync.db.history_sql`` writes from the
models; every versioned column makes a version; the database refuses two current versions of a
key and (PostgreSQL) overlapping validity, and its trigger functions work whatever the caller's
search_path."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from korsync.db.history import expected_definitions, mark_run, unmark_run
from korsync.models import metadata
from korsync.models.history import HISTORY_TABLES, history_tables
from tests.support.history import versions


def _body(function: str) -> str:
    return function.split("$$")[1]


def test_live_triggers_are_the_code_s(engine: Engine) -> None:
    """The database's triggers (SQLite: their text; PostgreSQL: the functions' source and the
    trigger names) are what the code would create now: a migration changing a mirrored table
    without recreating its triggers fails here."""
    dialect = engine.dialect.name
    expected = expected_definitions(dialect)
    with engine.connect() as connection:
        if dialect == "sqlite":
            live: dict[str, str] = dict(connection.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            ).all())  # fmt: skip
            want = {s.split()[2]: s for statements in expected.values() for s in statements}
            assert live == want
            return
        functions: dict[str, str] = dict(connection.execute(text(
            "SELECT proname, prosrc FROM pg_proc"
            " WHERE pronamespace = current_schema()::regnamespace"
            " AND proname LIKE '%history_write'"
        )).all())  # fmt: skip
        triggers = set(connection.scalars(text(
            "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal"
        )))  # fmt: skip
    assert functions == {f"{t}_history_write": _body(s[0]) for t, s in expected.items()}
    assert triggers == {s.split()[2] for stmts in expected.values() for s in stmts[1:4]}


def _value(column: Any) -> Any:
    kind = type(column.type).__name__
    values = {
        "Uuid": uuid.uuid4(), "UTCDateTime": dt.datetime(2026, 5, 1, tzinfo=dt.UTC),
        "Money": "12.34", "Integer": 7, "Boolean": True, "Date": dt.date(2026, 5, 1),
        "String": "changed",
    }  # fmt: skip
    return values.get(kind, ["changed"])


@pytest.mark.parametrize("table", HISTORY_TABLES)
def test_each_versioned_column_makes_a_version(engine: Engine, table: str) -> None:
    """Changing any one versioned column of a row opens a new version holding the change."""
    main = metadata.tables[table]
    key = uuid.uuid4()
    columns = [c.name for c in history_tables()[table].columns if c.name in main.c]
    columns.remove("id")
    with engine.begin() as connection:
        connection.execute(main.insert().values(id=key, raw={}))
    start = dt.datetime.now(dt.UTC)
    for n, name in enumerate(columns, start=1):
        value = _value(main.c[name])
        with Session(engine) as session, session.begin():
            # one instant per change: outside a run SQLite's clock has milliseconds only
            mark_run(session, None, start + dt.timedelta(seconds=n))
            for key_ in main.c[name].foreign_keys:  # a placeholder parent to point at
                session.execute(key_.column.table.insert().values(id=value))
            session.execute(main.update().where(main.c.id == key).values({name: value}))
            unmark_run(session)
    kept = versions(engine, table, key)
    assert len(kept) == 1 + len(columns), table
    for name, version in zip(columns, kept[1:], strict=True):
        assert version[name] is not None, (table, name)


def _current_twice(engine: Engine) -> None:
    history = history_tables()["offers"]
    key = uuid.uuid4()
    with engine.begin() as connection:
        for day in (1, 2):
            start = dt.datetime(2026, 1, day, tzinfo=dt.UTC)
            connection.execute(history.insert().values(id=key, valid_from=start))


def test_one_current_version_per_key(engine: Engine) -> None:
    """A second current version of a key is refused (the partial unique index)."""
    with pytest.raises(IntegrityError):
        _current_twice(engine)


def test_overlapping_versions_are_refused(pg_engine: Engine) -> None:
    """On PostgreSQL two versions of a key whose validity overlaps are refused (the exclusion
    constraint), even when both are closed."""
    history = history_tables()["orders"]
    key = uuid.uuid4()
    rows = [
        {"id": key, "valid_from": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
         "valid_to": dt.datetime(2026, 1, 5, tzinfo=dt.UTC)},
        {"id": key, "valid_from": dt.datetime(2026, 1, 3, tzinfo=dt.UTC),
         "valid_to": dt.datetime(2026, 1, 9, tzinfo=dt.UTC)},
    ]  # fmt: skip
    with pytest.raises(IntegrityError), pg_engine.begin() as connection:
        connection.execute(history.insert(), rows)


def test_functions_work_whatever_the_search_path(pg_engine: Engine) -> None:
    """A writer whose search_path does not name the mirror's schema (the table given with its
    schema) still gets its versions written in that schema."""
    key = uuid.uuid4()
    with pg_engine.begin() as connection:
        schema = connection.scalar(text("SELECT current_schema()"))
        connection.execute(text("SET LOCAL search_path TO pg_catalog"))
        connection.execute(
            text(f"INSERT INTO \"{schema}\".orders (id, raw, status) VALUES (:id, '{{}}', 'x')"),
            {"id": key},
        )
    assert [v["status"] for v in versions(pg_engine, "orders", key)] == ["x"]
