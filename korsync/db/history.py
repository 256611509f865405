"""Change history at run time: telling the history triggers which run is writing, the SQL the
triggers should be (from the models, for the check against the live database), which tables
record (``history_tables``, from KORSYNC_HISTORY) and pruning closed versions past retention.

The triggers themselves (``korsync.db.history_sql``) write every version; nothing here is on a
write path except ``mark_run``/``unmark_run``, one statement each per run transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, text, update
from sqlalchemy.orm import Session

from korsync.db import history_sql
from korsync.models import HistoryContext, HistorySetting, metadata
from korsync.models.history import FIRST_FROM, GROUPS, HISTORY_TABLES, history_name
from korsync.models.types import UTCDateTime

# The run's id as a setting local to the transaction, read by the PostgreSQL triggers.
_MARK_RUN = "SELECT set_config('korsync.run_id', %(run)s, true)"


def mark_run(session: Session, run_id: uuid.UUID | None, at: dt.datetime) -> None:
    """Make the versions this transaction writes carry ``run_id``; on SQLite also ``at`` (the
    transaction's instant, which PostgreSQL's ``now()`` already is)."""
    if session.get_bind().dialect.name == "postgresql":
        if run_id is not None:  # straight to the driver: this runs once per page written
            session.connection().exec_driver_sql(_MARK_RUN, {"run": str(run_id)})
        return
    session.execute(delete(HistoryContext))
    session.execute(insert(HistoryContext).values(id=1, run_id=run_id, observed_at=at))


def unmark_run(session: Session) -> None:
    """Empty SQLite's context before commit, so a later transaction outside a run (or another
    process) never records this run; PostgreSQL's setting ends with the transaction."""
    if session.get_bind().dialect.name != "postgresql":
        session.execute(delete(HistoryContext))


def expected_definitions(dialect: str) -> dict[str, list[str]]:
    """What the triggers of each history table should be, as ``history_sql`` writes them from
    the models' versioned columns."""
    return {
        table: history_sql.create_statements(dialect, table, _columns(table), FIRST_FROM.get(table))
        for table in HISTORY_TABLES
    }


def _columns(table: str) -> list[str]:
    history = metadata.tables[history_name(table)]
    return [c.name for c in history.columns if c.name not in ("valid_from", "valid_to", "run_id")]


def group_of(table: str) -> str:
    """The KORSYNC_HISTORY group ``table`` belongs to."""
    return next(group for group, tables in GROUPS.items() if table in tables)


def stored_groups(connection: Connection) -> dict[str, bool]:
    """Whether each table records history now, by table (tables without a row do)."""
    rows = connection.execute(select(HistorySetting.table_name, HistorySetting.enabled)).all()
    stored = {name: bool(enabled) for name, enabled in rows}
    return {table: stored.get(table, True) for table in HISTORY_TABLES}


def write_history_groups(engine: Engine, groups: Iterable[str]) -> list[str]:
    """Make exactly the tables of ``groups`` record history; returns the tables switched.

    A table switched off has its current versions closed now (nothing is known of it from here);
    one switched on gets a first version, from now, for each of its rows.
    """
    wanted = {table for group in groups for table in GROUPS[group]}
    with engine.begin() as connection:
        if not _to_switch(connection, wanted):
            return []  # the usual start: nothing to lock
        if connection.dialect.name == "postgresql":
            # Writers one at a time (a sync starting with the daemon); readers are not held up.
            connection.execute(text("LOCK TABLE history_tables IN SHARE ROW EXCLUSIVE MODE"))
        now = dt.datetime.now(dt.UTC)
        switched = _to_switch(connection, wanted)
        for table in switched:
            _switch(connection, table, table in wanted, now)
    return switched


def _to_switch(connection: Connection, wanted: set[str]) -> list[str]:
    return [t for t, on in stored_groups(connection).items() if on != (t in wanted)]


def _switch(connection: Connection, table: str, enabled: bool, now: dt.datetime) -> None:
    history = metadata.tables[history_name(table)]
    if enabled:
        names = _columns(table)
        source = metadata.tables[table]
        rows = select(*(source.c[n] for n in names), _literal(now)).where(source.c.raw.is_not(None))
        connection.execute(insert(history).from_select([*names, "valid_from"], rows))
    else:
        connection.execute(update(history).where(history.c.valid_to.is_(None)).values(valid_to=now))
    connection.execute(delete(HistorySetting).where(HistorySetting.table_name == table))
    connection.execute(
        insert(HistorySetting).values(
            table_name=table, group_name=group_of(table), enabled=enabled, changed_at=now
        )
    )


def _literal(now: dt.datetime) -> Any:
    return bindparam("now", now, type_=UTCDateTime()).label("valid_from")


def prune_history(engine: Engine, days: int, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete the versions that ended more than ``days`` ago (never a current one); returns how
    many per history table that had any."""
    cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days)
    pruned: dict[str, int] = {}
    for table in HISTORY_TABLES:
        history = metadata.tables[history_name(table)]
        with engine.begin() as connection:
            gone = connection.execute(
                delete(history).where(history.c.valid_to.is_not(None), history.c.valid_to < cutoff)
            ).rowcount
        if gone:
            pruned[history.name] = gone
    return pruned
