"""Helpers for change-history tests: a key's versions, and the invariants every history table
keeps (one current version per key, no overlap, no gap, the current version equal to the row)."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from sqlalchemy import Engine, select

from korsync.models import metadata
from korsync.models.history import history_tables


def versions(engine: Engine, table: str, key: uuid.UUID) -> list[dict[str, Any]]:
    """The versions of ``table``'s row ``key``, oldest first, as typed values."""
    history = history_tables()[table]
    query = select(history).where(history.c.id == key).order_by(history.c.valid_from)
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def assert_history_consistent(engine: Engine) -> None:
    """Every history table: versions of a key follow each other without overlap or gap, only
    the last may be current, and a row with content has a current version equal to it."""
    for table, history in history_tables().items():
        main = metadata.tables[table]
        names = [
            c.name for c in history.columns if c.name not in ("valid_from", "valid_to", "run_id")
        ]
        with engine.connect() as connection:
            kept = connection.execute(select(history).order_by(history.c.id, history.c.valid_from))
            by_key: dict[Any, list[dict[str, Any]]] = {}
            for row in kept:
                by_key.setdefault(row.id, []).append(dict(row._mapping))
            live = connection.execute(
                select(*(main.c[n] for n in names)).where(main.c.raw.is_not(None))
            )
            current = {row.id: dict(row._mapping) for row in live}
        for key, chain in by_key.items():
            for before, after in itertools.pairwise(chain):
                assert before["valid_to"] is not None, f"{table} {key}: two current versions"
                assert before["valid_to"] == after["valid_from"], f"{table} {key}: gap or overlap"
            for version in chain:
                end = version["valid_to"]
                assert end is None or end > version["valid_from"], f"{table} {key}: empty version"
        for key, values in current.items():
            chain = by_key.get(key, [])
            assert chain and chain[-1]["valid_to"] is None, f"{table} {key}: no current version"
            assert {n: chain[-1][n] for n in names} == values, f"{table} {key}: current differs"
