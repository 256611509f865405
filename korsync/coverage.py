"""What ``korsync check --data`` reports: for each typed column of the mirror tables — those
``korsync.sync.fields`` declares, read from an API field — how many rows have it filled, and
whether the field's name is documented or inferred.

Rows are the live mirrored ones: placeholders (``raw`` NULL, referenced before their own stream
read them) and catalogue rows marked deleted are not counted. Filled means not NULL (for a JSON
column, not JSON ``null`` either). An inferred column that is empty on every row of a table
that has rows is flagged: there the real API most likely names the field otherwise (the rows'
``raw`` holds what it did send). A documented column may be empty for good (``cancelledAt`` of
orders never cancelled), so it is shown, not flagged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Literal

from sqlalchemy import JSON, ColumnElement, Engine, String, and_, case, cast, func, select
from sqlalchemy.orm import Session

from korsync.models import metadata
from korsync.sync.fields import FIELDS, Evidence


@dataclasses.dataclass(frozen=True)
class ColumnCoverage:
    """One typed column: the API field it is read from and how many rows have it."""

    table: str
    column: str
    field: str
    evidence: Evidence
    rows: int
    filled: int

    @property
    def flagged(self) -> bool:
        """An inferred column empty on every one of its table's rows."""
        return self.evidence == "inferred" and self.rows > 0 and self.filled == 0


def _filled(table_name: str, column: str) -> ColumnElement[int]:
    col = metadata.tables[table_name].c[column]
    if isinstance(col.type, JSON):
        present = and_(col.is_not(None), cast(col, String) != "null")
        return func.count(case((present, 1)))
    return func.count(col)


def collect(engine: Engine) -> list[ColumnCoverage]:
    """Every declared column's coverage, table by table (one query per table)."""
    found: list[ColumnCoverage] = []
    with Session(engine) as session:
        for name, declared in FIELDS.items():
            table = metadata.tables[name]
            live = [table.c.raw.is_not(None)]
            if "deleted_at" in table.c:
                live.append(table.c.deleted_at.is_(None))
            query = select(func.count(), *(_filled(name, c) for c in declared)).where(*live)
            rows, *filled = session.execute(query).one()
            found += [
                ColumnCoverage(name, column, field.path, field.evidence, rows, count)
                for (column, field), count in zip(declared.items(), filled, strict=True)
            ]
    return found


def verdict(coverage: Sequence[ColumnCoverage]) -> tuple[Literal["ok", "WARN"], str]:
    """The one-line outcome: WARN naming the flagged columns, or when nothing is mirrored yet."""
    tables = {c.table for c in coverage if c.rows}
    if not tables:
        return "WARN", "the mirror holds no rows yet: run 'korsync sync' first"
    flagged = [f"{c.table}.{c.column}" for c in coverage if c.flagged]
    inferred = sum(c.evidence == "inferred" for c in coverage if c.rows)
    said = f"{len(tables)} table(s) with rows; {inferred} of their columns rest on inferred names"
    if flagged:
        return "WARN", (
            f"{said}; empty on every row, so the API probably names them otherwise (see each"
            f" row's raw): {', '.join(flagged)}"
        )
    return "ok", f"{said}, each filled on some row"


def render(coverage: Sequence[ColumnCoverage]) -> list[str]:
    """The coverage as an aligned table, tables without rows left out."""
    header = ("column", "api field", "evidence", "filled", "rows", "")
    body = [
        (
            f"{c.table}.{c.column}",
            c.field,
            c.evidence,
            f"{c.filled} ({c.filled * 100 // c.rows}%)",
            str(c.rows),
            "WARN: empty on every row" if c.flagged else "",
        )
        for c in coverage
        if c.rows
    ]
    if not body:
        return []
    widths = [max(len(row[i]) for row in (header, *body)) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in (header, *body)
    ]
