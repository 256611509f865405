"""The reporting time zone in the database: the ``reporting_timezone`` rows that the reporting
views read to count local days (``KORSYNC_REPORTING_TIMEZONE``).

Views are fixed SQL, so the zone is data. PostgreSQL converts with the zone's name
(``AT TIME ZONE``); SQLite has no time-zone database, so the views add the offset in force at each
instant, from the offset periods stored with the name (``korsync.zones.zone_offsets``).
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, delete, insert, select, text
from sqlalchemy.exc import DBAPIError

from korsync.models import ReportingTimezone
from korsync.zones import zone_offsets


def _check_postgres_knows(connection: Connection, name: str) -> None:
    try:
        with connection.begin_nested():
            connection.execute(text("SELECT now() AT TIME ZONE :zone"), {"zone": name})
    except DBAPIError as exc:
        raise ValueError(f"PostgreSQL does not know the time zone {name!r}") from exc


def stored_zone(connection: Connection) -> str | None:
    """The zone the views count days in now (``None`` before the table has rows)."""
    return connection.scalar(select(ReportingTimezone.zone).limit(1))


def write_reporting_zone(engine: Engine, name: str) -> bool:
    """Make ``name`` the views' zone; ``False`` (nothing written) when it already is."""
    with engine.begin() as connection:
        if stored_zone(connection) == name:
            return False
        if connection.dialect.name == "postgresql":
            # Writers one at a time (a sync starting with the daemon); readers are not held up.
            connection.execute(text("LOCK TABLE reporting_timezone IN SHARE ROW EXCLUSIVE MODE"))
            if stored_zone(connection) == name:
                return False
            _check_postgres_knows(connection, name)  # its own zone database may lack the name
        connection.execute(delete(ReportingTimezone))
        connection.execute(
            insert(ReportingTimezone),
            [
                {"starts_at": starts, "zone": name, "utc_offset_minutes": minutes}
                for starts, minutes in zone_offsets(name)
            ],
        )
    return True
