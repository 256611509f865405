"""Writing pages of rows: the dialect-aware bulk upsert, placeholder parents, and rejects.

``upsert_rows`` writes a page of rows with one cached ``INSERT … ON CONFLICT DO UPDATE``
(on PostgreSQL over one JSON parameter, on SQLite in multi-row batches), rewriting only rows
whose content changed, and reports inserted / updated / unchanged counts and the new ids.
``ensure_rows`` inserts placeholder rows for parents referenced before their own stream
mirrored them (``ON CONFLICT DO NOTHING``), so foreign keys hold and no child is dropped.
``upsert_rejects`` records the items a stream could not mirror, made storable (``storable_key``),
and ``resolve_rejects`` marks those whose item has since been written. ``refusal`` tells a
database refusing a row's values (the item's fault) from any other failure.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import (
    Table,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import Session

from korsync.db.errors import describe
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
    deadlock each other. Rows are keyed by ``_id_order``: two UUIDs are equal exactly when
    their integers are, and an int hashes and sorts in C where a UUID calls Python code."""
    by_id = {_id_order(row["id"]): row for row in rows}
    unknown = set().union(*by_id.values()) - set(table.columns.keys())
    if unknown:
        raise KeyError(f"{table.name} has no column(s) {sorted(unknown)}")
    return [by_id[key] for key in sorted(by_id)]


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
    parameter = pg_json(_batch_json(rows))
    return session.connection().exec_driver_sql(statement, {"rows": parameter}).all()


def pg_json(encoded: bytes) -> Any:
    """JSON already encoded, as a jsonb parameter psycopg sends as it is."""
    from psycopg.types.json import Jsonb  # here: a SQLite-only process never loads psycopg

    return Jsonb(encoded, dumps=_as_is)


def _as_is(encoded: bytes) -> bytes:
    return encoded


@functools.cache
def _pg_upsert(table: Table, ignore: tuple[str, ...], ids: bool) -> str:
    """The PostgreSQL upsert of a whole batch as one short statement over one JSON parameter.

    Its text is the same for every batch, so the driver parses it once, and the rows travel
    as one JSON document encoded by orjson: a multi-row VALUES list is re-parsed for every page
    (psycopg caches only short statements) and arrays are escaped value by value in Python.
    """
    names = tuple(c.name for c in table.columns)
    return (
        f"{_pg_insert_from_json(table, names)} {pg_on_conflict(table, ignore)} "
        f"RETURNING {'id, ' if ids else ''}(xmax = 0) AS inserted"
    )


def pg_on_conflict(table: Table, ignore: Sequence[str]) -> str:
    """PostgreSQL's ``ON CONFLICT`` clause of an upsert into ``table`` by id: a row is
    rewritten only when a column other than ``ignore`` changed."""
    names = [c.name for c in table.columns]
    updates = ", ".join(f"{n} = EXCLUDED.{n}" for n in names if n != "id")
    changed = " OR ".join(
        f"{table.name}.{n} IS DISTINCT FROM EXCLUDED.{n}" for n in names if n not in ("id", *ignore)
    )
    return f"ON CONFLICT (id) DO UPDATE SET {updates} WHERE {changed}"


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


# What a key may be: an API id is a UUID (36 characters); anything longer or holding NUL is
# shortened so that the (stream, record_key) index and the log can hold it.
MAX_KEY_CHARS = 200
MAX_REASON_CHARS = 2000


def storable_key(key: str) -> str:
    """``key`` as ``rejected_records`` can hold it: as it is when short and free of NUL, else
    its first 64 characters (NUL removed), ``…sha256:`` and the hash of the whole key."""
    if len(key) <= MAX_KEY_CHARS and "\x00" not in key:
        return key
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{key[:64].replace(chr(0), '')}…sha256:{digest}"


def _storable_text(text: str, limit: int) -> str:
    """``text`` without NUL or lone surrogates (neither database takes them), cut to ``limit``."""
    cleaned = text.replace("\x00", "")[:limit]
    return cleaned.encode("utf-8", "replace").decode() if not cleaned.isascii() else cleaned


def _storable_raw(raw: Any) -> Any:
    """``raw`` as JSON both databases take: NUL goes when the column's serializer writes it;
    lone surrogates (which Python's JSON reader lets through, and jsonb refuses) become ``?``."""
    encoded = json.dumps(raw, ensure_ascii=False, default=str)
    try:
        encoded.encode()
    except UnicodeEncodeError:
        return json.loads(encoded.encode("utf-8", "replace"))
    return raw


def upsert_rejects(
    session: Session, stream: str, rejects: Sequence[tuple[str, str, Any]], kind: str = "rejected"
) -> None:
    """Record ``(record_key, reason, raw)`` rejects of ``stream``, each made storable (key,
    reason and raw cleaned as above); a known one is counted again and is open again (its
    ``resolved_at`` cleared)."""
    table: Table = RejectedRecord.__table__  # type: ignore[assignment]  # typed FromClause
    now = dt.datetime.now(dt.UTC)
    rows = {}
    for key, reason, raw in rejects:
        stored = storable_key(key)
        rows[stored] = {
            "id": uuid7(), "stream": stream, "record_key": stored, "kind": kind,
            "reason": _storable_text(reason, MAX_REASON_CHARS), "raw": _storable_raw(raw),
            "first_seen_at": now, "last_seen_at": now, "times_seen": 1, "resolved_at": None,
        }  # fmt: skip
    insert = dialect_insert(table, session.get_bind().dialect.name)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["stream", "record_key"],
            set_={
                "kind": insert.excluded.kind,
                "reason": insert.excluded.reason,
                "raw": insert.excluded.raw,
                "last_seen_at": insert.excluded.last_seen_at,
                "times_seen": table.c.times_seen + 1,
                "resolved_at": None,
            },
        ),
        list(rows.values()),
    )


# ``resolve_rejects`` runs once per page written: on PostgreSQL its text goes straight to the
# driver, which prepares it once (SQLAlchemy would build and compile an IN list per page).
_PG_RESOLVE = (
    "UPDATE rejected_records SET resolved_at = %(now)s"
    " WHERE record_key = ANY(CAST(%(keys)s AS text[])) AND resolved_at IS NULL"
)


def resolve_rejects(session: Session, keys: Sequence[str]) -> int:
    """Mark resolved the open rejects, of any stream, whose item (by key) has now been written;
    one statement. A key names one API item whichever stream read it (an order rejected by
    ``orders`` and stored by ``reconcile`` is no longer missing). Returns how many."""
    if not keys:
        return 0
    now = dt.datetime.now(dt.UTC)
    if session.get_bind().dialect.name == "postgresql":  # one array parameter, however many keys
        stored = [storable_key(key) for key in keys]
        result = session.connection().exec_driver_sql(_PG_RESOLVE, {"keys": stored, "now": now})
        return int(result.rowcount)
    table: Table = RejectedRecord.__table__  # type: ignore[assignment]  # typed FromClause
    resolved = 0
    for start in range(0, len(keys), MAX_PARAMS):
        chunk = [storable_key(key) for key in keys[start : start + MAX_PARAMS]]
        statement = (
            update(table)
            .where(table.c.record_key.in_(chunk), table.c.resolved_at.is_(None))
            .values(resolved_at=now)
        )
        resolved += session.connection().execute(statement).rowcount
    return resolved


def refusal(error: BaseException) -> str | None:
    """Why the database (or its driver) refused the values of the rows written — out of range,
    too long for an index, invalid text, a broken constraint — as ``refused by the database:``
    and the server's first line (never the statement's parameters); ``None`` when ``error`` is
    anything else (the connection, the server, korsync itself). Rows refused will be refused
    again; the rows written with them, written without them, need not be."""
    return f"refused by the database: {describe(error)}" if _refuses_rows(error) else None


def _refuses_rows(error: BaseException) -> bool:
    if isinstance(error, DataError | IntegrityError):
        return True
    if isinstance(error, DBAPIError):
        # PostgreSQL classes 22 (data exception), 23 (integrity), 54 (program limit exceeded:
        # an index row too large), whatever the driver's exception class says.
        sqlstate = str(getattr(error.orig, "sqlstate", None) or "")
        return sqlstate[:2] in ("22", "23", "54")
    # A value a column type refused while binding it (not a DBAPI error), or a string the
    # SQLite driver cannot encode (a lone surrogate).
    return isinstance(error, StatementError | UnicodeError | OverflowError)
