"""A page's worth of rows for several tables, and writing it in dependency order.

Mapping code adds full rows (``add``), placeholder parents known only by id (``placeholder``),
and for embedded collections the parents whose children were all given (``replace_children``),
so children that vanished from an order are removed. Absent is not empty: ``child_list`` reads
an embedded list, and only a list actually sent (``[]`` included) may replace the stored
children; a missing or ``null`` one leaves them as they are (``keep_children`` notes it, and
``write`` logs it). A part of an item that could not be mapped, the item's rows holding the
rest, is noted (``note``): the item is then recorded as *partial*. ``write`` upserts parents
before children in one session; the caller commits. ``KnownParents`` lets a run skip
placeholder parents it has already committed.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Table, delete
from sqlalchemy.orm import Session

from korsync.db.upsert import UpsertResult, ensure_rows, upsert_rows
from korsync.models import metadata
from korsync.sync.values import MappingError

log = logging.getLogger("korsync.sync")

# Columns whose change alone is not a content change (read times of snapshot values).
SNAPSHOT_TIMES = {
    "offers": ("synced_at", "price_read_at", "availability_read_at"),
    "sessions": ("synced_at", "availability_read_at"),
}
# Placeholder parents a run remembers once committed: catalogue rows, few, and named again by
# nearly every order. (A document's placeholder is named by one order only: remembering those
# would only grow the set.)
REMEMBERED_PARENTS = ("catalogs", "products", "events", "offers", "forms")
Row = dict[str, Any]
ParentKey = tuple[str, Any]


@dataclasses.dataclass
class RowSet:
    """Rows to write, by table name."""

    rows: dict[str, list[Row]] = dataclasses.field(default_factory=lambda: defaultdict(list))
    placeholders: dict[str, list[Row]] = dataclasses.field(
        default_factory=lambda: defaultdict(list)
    )
    children: dict[tuple[str, str], set[uuid.UUID]] = dataclasses.field(
        default_factory=lambda: defaultdict(set)
    )
    kept: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)  # parts left unmapped, and why

    def add(self, table: str, row: Row) -> None:
        self.rows[table].append(row)

    def placeholder(self, table: str, row_id: uuid.UUID | None, **parents: Any) -> None:
        if row_id is not None:
            self.placeholders[table].append({"id": row_id, **parents})

    def replace_children(self, table: str, parent_column: str, parent_id: uuid.UUID) -> None:
        """Children of ``parent_id`` in ``table`` not added in this set are deleted on write."""
        self.children[(table, parent_column)].add(parent_id)

    def keep_children(self, parent: str, parent_id: uuid.UUID, key: str) -> None:
        """Note that ``parent``'s list ``key`` was not sent, so its stored children are kept."""
        self.kept.append(f"{parent} {parent_id} ({key})")

    def note(self, reason: str) -> None:
        """Note a part of the item that these rows leave out or hold only in ``raw``."""
        self.notes.append(reason)

    def extend(self, other: RowSet) -> None:
        for name, rows in other.rows.items():
            self.rows[name].extend(rows)
        for name, rows in other.placeholders.items():
            self.placeholders[name].extend(rows)
        for key, parents in other.children.items():
            self.children[key] |= parents
        self.kept += other.kept
        self.notes += other.notes


def child_list(item: Mapping[str, Any], key: str, where: str = "") -> list[Any] | None:
    """The embedded list ``item[key]``, or ``None`` when it is absent or ``null`` (the stored
    children must then be kept); raises ``MappingError`` when it is something else."""
    children = item.get(key)
    if children is None or isinstance(children, list):
        return children
    raise MappingError(f"{where}{key}: not a list")


class KnownParents:
    """Placeholder parents of ``REMEMBERED_PARENTS`` known to be committed, so that later pages
    need not insert them again (an insert that does nothing still costs a statement)."""

    def __init__(self) -> None:
        self._known: frozenset[ParentKey] = frozenset()
        self._lock = threading.Lock()

    def drop_known(self, rowset: RowSet) -> set[ParentKey]:
        """Remove the known ones from ``rowset``'s placeholders; return the others' keys, to be
        passed to ``committed`` once their transaction has committed."""
        known = self._known  # replaced, never changed: no lock needed to read it
        fresh: set[ParentKey] = set()
        for table in REMEMBERED_PARENTS:
            rows = rowset.placeholders.get(table)
            if rows:
                kept = [row for row in rows if (table, row["id"]) not in known]
                rowset.placeholders[table] = kept
                fresh.update((table, row["id"]) for row in kept)
        return fresh

    def committed(self, keys: Iterable[ParentKey]) -> None:
        """Remember ``keys`` as committed."""
        with self._lock:
            self._known = self._known.union(keys)


def write(session: Session, rowset: RowSet) -> UpsertResult:
    """Upsert every row, parents first; returns the counts over all tables."""
    if rowset.kept:
        shown = ", ".join(rowset.kept[:5]) + (", ..." if len(rowset.kept) > 5 else "")
        log.warning("%d list(s) not sent, stored children kept: %s", len(rowset.kept), shown)
    total = UpsertResult()
    new_ids: dict[str, frozenset[Any]] = {}  # rows this write inserted, by table
    parents = {_parent_table(table, column) for table, column in rowset.children}
    for table in metadata.sorted_tables:
        placeholders = rowset.placeholders.get(table.name)
        if placeholders:
            ensure_rows(session, table, placeholders)
        _prune(session, table, rowset, new_ids)
        rows = rowset.rows.get(table.name)
        if rows:
            ignore = SNAPSHOT_TIMES.get(table.name, ("synced_at",))
            ids = table.name in parents  # only _prune reads the ids
            result = upsert_rows(session, table, rows, ignore=ignore, ids=ids)
            new_ids[table.name] = result.inserted_ids
            total += result
    return total


def _prune(
    session: Session, table: Table, rowset: RowSet, new_ids: dict[str, frozenset[Any]]
) -> None:
    for (name, parent_column), parents in rowset.children.items():
        if name != table.name:
            continue
        column = table.c[parent_column]
        # A parent this write inserted has no children yet: nothing to prune (a backfill's case).
        stale = parents - new_ids.get(_parent_table(name, parent_column), frozenset())
        if not stale:
            continue
        keep = [row["id"] for row in rowset.rows.get(name, ())]
        statement = delete(table).where(column.in_(list(stale)))
        if keep:
            statement = statement.where(table.c.id.not_in(keep))
        session.execute(statement)


def _parent_table(table: str, column: str) -> str:
    """The table that ``table.column`` refers to."""
    (key,) = metadata.tables[table].c[column].foreign_keys
    return str(key.column.table.name)
