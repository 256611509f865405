"""Writing pages of rows: the dialect-aware bulk upsert, placeholder parents, and rejects.

``upsert_rows`` writes a page of rows with one cached ``INSERT … ON CONFLICT DO UPDATE``
(on PostgreSQL over one JSON parameter, on SQLite in multi-row batches), rewriting only rows
whose content changed, and reports inserted / updated / unchanged counts and the new ids.
``ensure_rows`` inserts placeholder rows for parents referenced before their own stream
mirrored them (``ON CONFLICT DO NOTHING``), so foreign keys hold and no child is dropped.
``upsert_rejects`` records the items a stream could not mirror.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import (
    Table,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from korsync.db.json_text import json_text, json_value, without_nul
from korsync.ids import uuid7
from korsync.models import RejectedRecord
from korsync.models.types import pg_type

# Both dialects cap bound parameters per statement (SQLite 32766, PostgreSQL 65535).
MAX_PARAMS = 30_000


@dataclasses.dataclass
class UpsertResult:
    """How many of the rows given were new, changed, or already identical.

    ``inserted_ids`` are the new rows' ids of one call; adding results sums only the counts.
    """

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    inserted_ids: frozenset[Any] = dataclasses.field(default=frozenset(), repr=False)

    def __iadd__(self, other: UpsertResult) -> UpsertResult:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


def dialect_insert(table: Table, dialect: str) -> Any:
    """``INSERT`` for ``table`` with the dialect's ``ON CONFLICT`` clauses."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"korsync supports PostgreSQL and SQLite, not {dialect}")


def _unique(rows: Iterable[Mapping[str, Any]], table: Table) -> list[Mapping[str, Any]]:
    """Dedupe by id (last wins) and sort by id, refusing keys that are not columns. Sorting
    makes concurrent writers (backfill slices) lock rows in one order, so they cannot
    deadlock each other."""
    by_id = {row["id"]: row for row in rows}
    unknown = set().union(*by_id.values()) - set(table.columns.keys())
    if unknown:
        raise KeyError(f"{table.name} has no column(s) {sorted(unknown)}")
    return [by_id[key] for key in sorted(by_id, key=_id_order)]


def _id_order(row_id: Any) -> Any:
    """A UUID's integer: the order PostgreSQL sorts uuids in, cheaper to get than its text."""
    return row_id.int if isinstance(row_id, uuid.UUID) else row_id


def _complete(rows: Sequence[Mapping[str, Any]], table: Table) -> list[dict[str, Any]]:
    """Every row with every column, so a field gone upstream becomes NULL instead of keeping
    a stale value (PostgreSQL's ``jsonb_to_recordset`` does this by itself)."""
    names = table.columns.keys()
    return [{name: row.get(name) for name in names} for row in rows]


def upsert_rows(
    session: Session,
    table: Table,
    rows: Iterable[Mapping[str, Any]],
    *,
    ignore: Sequence[str] = ("synced_at",),
    ids: bool = True,
) -> UpsertResult:
    """Insert or update ``rows`` (dicts keyed by column name, with ``id``) in ``table``.

    A row whose columns other than ``ignore`` are all equal to the stored ones is left
    untouched and counted as unchanged. One statement per batch (per dialect, below).
    Nothing is committed here: the caller commits the page with the watermark covering it.
    Without ``ids`` PostgreSQL only counts, and ``inserted_ids`` stays empty.
    """
    unique = _unique(rows, table)
    if not unique:
        return UpsertResult()
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        returned = _pg_execute(session, _pg_upsert(table, tuple(ignore), ids), unique)
        if not ids:
            new = sum(row.inserted for row in returned)
            return UpsertResult(new, len(returned) - new, len(unique) - len(returned))
        inserted = frozenset(row.id for row in returned if row.inserted)
    else:
        existing = _existing_ids(session, table, [row["id"] for row in unique])
        statement = _sqlite_upsert(table, tuple(ignore))
        returned = session.execute(statement, _complete(unique, table)).all()
        inserted = frozenset(row.id for row in returned if row.id not in existing)
    changed = len(returned) - len(inserted)
    return UpsertResult(len(inserted), changed, len(unique) - len(returned), inserted)


def _pg_execute(session: Session, statement: str, rows: Sequence[Mapping[str, Any]]) -> Any:
    """Run one of the batch statements below with ``rows`` as its one JSON parameter.

    The statement goes straight to the driver: it is complete SQL text, so SQLAlchemy's
    compilation and ORM execution would only add work to every page. The UTF-8 that orjson
    wrote goes to psycopg as it is, as jsonb: decoding it to ``str`` for the driver to encode
    again took a tenth of a backfill's time.
    """
    from psycopg.types.json import Jsonb  # here: a SQLite-only process never loads psycopg

    parameter = Jsonb(_batch_json(rows), dumps=_as_is)
    return session.connection().exec_driver_sql(statement, {"rows": parameter}).all()


def _as_is(encoded: bytes) -> bytes:
    return encoded


@functools.cache
def _pg_upsert(table: Table, ignore: tuple[str, ...], ids: bool) -> str:
    """The PostgreSQL upsert of a whole batch as one short statement over one JSON parameter.

    Its text is the same for every batch, so the driver parses it once, and the rows travel
    as one JSON document encoded by orjson: a multi-row VALUES list is re-parsed for every page
    (psycopg caches only short statements) and arrays are escaped value by value in Python.
    """
    names = [c.name for c in table.columns]
    updates = ", ".join(f"{n} = EXCLUDED.{n}" for n in names if n != "id")
    changed = " OR ".join(
        f"{table.name}.{n} IS DISTINCT FROM EXCLUDED.{n}" for n in names if n not in ("id", *ignore)
    )
    return (
        f"{_pg_insert_from_json(table, tuple(names))} "
        f"ON CONFLICT (id) DO UPDATE SET {updates} WHERE {changed} "
        f"RETURNING {'id, ' if ids else ''}(xmax = 0) AS inserted"
    )


def _pg_insert_from_json(table: Table, names: tuple[str, ...]) -> str:
    """``INSERT`` of ``names`` from the rows of the JSON array in the parameter ``rows``."""
    record = ", ".join(f"{name} {pg_type(table.c[name].type)}" for name in names)
    columns = ", ".join(names)
    return (
        f"INSERT INTO {table.name} ({columns}) SELECT {columns} "
        f"FROM jsonb_to_recordset(CAST(%(rows)s AS jsonb)) AS x({record})"
    )


def _batch_json(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """A batch of rows as JSON (whose jsonb normalises it), without NUL characters.

    orjson is the hot path of a backfill; json handles what orjson refuses (integers beyond
    64 bits in raw JSON), so any JSON the API sent is stored.
    """
    try:
        encoded = orjson.dumps(rows, default=json_value, option=orjson.OPT_PASSTHROUGH_DATETIME)
    except orjson.JSONEncodeError:
        return json_text(rows).encode()
    return without_nul(encoded.decode()).encode() if b"\\u0000" in encoded else encoded


def _existing_ids(session: Session, table: Table, ids: Sequence[Any]) -> set[Any]:
    found: set[Any] = set()
    for start in range(0, len(ids), MAX_PARAMS):
        chunk = ids[start : start + MAX_PARAMS]
        found.update(session.scalars(select(table.c.id).where(table.c.id.in_(chunk))))
    return found


@functools.cache
def _sqlite_upsert(table: Table, ignore: tuple[str, ...]) -> Any:
    """SQLite's upsert: one cached statement that SQLAlchemy sends as multi-row batches."""
    insert = sqlite.insert(table)
    columns = [c for c in table.columns if not c.primary_key]
    changed = or_(
        *(c.is_distinct_from(insert.excluded[c.name]) for c in columns if c.name not in ignore)
    )
    statement = insert.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key.columns],
        set_={c.name: insert.excluded[c.name] for c in columns},
        where=changed,
    )
    return statement.returning(table.c.id)


def ensure_rows(session: Session, table: Table, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert placeholder rows (id and known parent ids only) unless the id already exists.

    Returns how many placeholders were created. A later upsert of the real item fills them.
    """
    unique = _unique(rows, table)
    if not unique:
        return 0
    keys = tuple(sorted(set().union(*unique)))
    if session.get_bind().dialect.name == "postgresql":
        return len(_pg_execute(session, _pg_ensure(table, keys), unique))
    padded = [{key: row.get(key) for key in keys} for row in unique]
    statement = dialect_insert(table, "sqlite").on_conflict_do_nothing()
    return len(session.execute(statement.returning(table.c.id), padded).all())


@functools.cache
def _pg_ensure(table: Table, names: tuple[str, ...]) -> str:
    """PostgreSQL's placeholder insert: one cached statement per table and column set."""
    return f"{_pg_insert_from_json(table, names)} ON CONFLICT (id) DO NOTHING RETURNING id"


def upsert_rejects(session: Session, stream: str, rejects: Sequence[tuple[str, str, Any]]) -> None:
    """Record ``(record_key, reason, raw)`` rejects of ``stream``; a known one is counted again."""
    table: Table = RejectedRecord.__table__  # type: ignore[assignment]  # typed FromClause
    now = dt.datetime.now(dt.UTC)
    rows = {
        key: {"id": uuid7(), "stream": stream, "record_key": key, "reason": reason, "raw": raw,
              "first_seen_at": now, "last_seen_at": now, "times_seen": 1}
        for key, reason, raw in rejects
    }  # fmt: skip
    insert = dialect_insert(table, session.get_bind().dialect.name)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["stream", "record_key"],
            set_={
                "reason": insert.excluded.reason,
                "raw": insert.excluded.raw,
                "last_seen_at": insert.excluded.last_seen_at,
                "times_seen": table.c.times_seen + 1,
            },
        ),
        list(rows.values()),
    )
