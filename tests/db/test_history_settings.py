"""Which tables record history (KORSYNC_HISTORY, stored in history_tables), retention pruning
(KORSYNC_HISTORY_DAYS), and the views and the "as of" function over the history."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from korsync.db.history import mark_run, prune_history, stored_groups, write_history_groups
from korsync.models import metadata
from korsync.models.history import GROUPS, history_tables
from tests.support.history import assert_history_consistent, versions

ORDERS = metadata.tables["orders"]
OFFERS = metadata.tables["offers"]


def _write(engine: Engine, at: dt.datetime, statement: object) -> None:
    """Run ``statement`` in a transaction the triggers date ``at`` (on SQLite; PostgreSQL
    dates it now)."""
    with Session(engine) as session, session.begin():
        mark_run(session, None, at)
        session.execute(statement)  # type: ignore[call-overload]


def _order(engine: Engine, status: str = "confirmed") -> uuid.UUID:
    key = uuid.uuid4()
    with engine.begin() as connection:
        connection.execute(ORDERS.insert().values(id=key, raw={}, status=status))
    return key


def test_every_group_records_by_default(engine: Engine) -> None:
    """A freshly migrated database records history for every table."""
    with engine.connect() as connection:
        assert all(stored_groups(connection).values())


def test_a_group_switched_off_records_nothing_and_closes(engine: Engine) -> None:
    """Switched off, a group's current versions are closed (nothing is known of it from then
    on) and its changes write no version; other groups still record."""
    key = _order(engine)
    assert write_history_groups(engine, ["offers", "catalogue"]) == list(GROUPS["orders"])
    with engine.begin() as connection:
        connection.execute(ORDERS.update().values(status="cancelled"))
        connection.execute(OFFERS.insert().values(id=uuid.uuid4(), raw={}))
    (only,) = versions(engine, "orders", key)
    assert only["status"] == "confirmed" and only["valid_to"] is not None
    with engine.connect() as connection:
        assert connection.scalar(select(history_tables()["offers"].c.id)) is not None
        assert stored_groups(connection)["orders"] is False
    assert write_history_groups(engine, ["offers", "catalogue"]) == []  # already so


def test_a_group_switched_on_starts_from_the_rows_now(engine: Engine) -> None:
    """Switched back on, every row of the group gets a first version from now."""
    key = _order(engine)
    write_history_groups(engine, [])
    with engine.begin() as connection:
        connection.execute(ORDERS.update().values(status="cancelled"))
    write_history_groups(engine, list(GROUPS))
    kept = versions(engine, "orders", key)
    assert [v["status"] for v in kept] == ["confirmed", "cancelled"]
    assert kept[0]["valid_to"] is not None and kept[0]["valid_to"] <= kept[1]["valid_from"]
    assert kept[1]["valid_to"] is None


def test_prune_keeps_current_and_recent_versions(engine: Engine) -> None:
    """Pruning deletes only the versions that ended more than N days ago, never a current one,
    however old it is."""
    key = _order(engine)
    with engine.begin() as connection:  # three versions, the first two long over
        history = history_tables()["orders"]
        connection.execute(history.delete())
        old = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        ends = [old + dt.timedelta(days=1), dt.datetime.now(dt.UTC) - dt.timedelta(days=2), None]
        start = old
        for end in ends:
            connection.execute(history.insert().values(id=key, valid_from=start, valid_to=end))
            start = end or start
    assert prune_history(engine, 30) == {"orders_history": 1}
    assert [v["valid_to"] is None for v in versions(engine, "orders", key)] == [False, True]
    assert prune_history(engine, 1) == {"orders_history": 1}
    assert len(versions(engine, "orders", key)) == 1
    assert prune_history(engine, 1) == {}


def test_status_changes_view(engine: Engine) -> None:
    """order_status_changes: the first status (from NULL), then each change of status only."""
    key = _order(engine)
    now = dt.datetime.now(dt.UTC)
    _write(engine, now + dt.timedelta(seconds=1), ORDERS.update().values(notes="x"))
    _write(engine, now + dt.timedelta(seconds=2), ORDERS.update().values(status="cancelled"))
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT from_status, to_status FROM order_status_changes WHERE order_id = :id "
                "ORDER BY observed_at"
            ),
            {"id": key.hex if engine.dialect.name == "sqlite" else key},
        ).all()
    assert [tuple(row) for row in rows] == [(None, "confirmed"), ("confirmed", "cancelled")]
    assert_history_consistent(engine)


def test_as_of_query(engine: Engine) -> None:
    """The README's "as of" query gives the version that held at an instant: the old one up
    to the change, the new one from it on."""
    key = _order(engine)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    _write(engine, later, ORDERS.update().values(status="cancelled"))
    history = history_tables()["orders"]
    changed = versions(engine, "orders", key)[1]["valid_from"]

    def as_of(at: dt.datetime) -> str | None:
        query = select(history.c.status).where(
            history.c.id == key,
            history.c.valid_from <= at,
            (history.c.valid_to.is_(None)) | (history.c.valid_to > at),
        )
        with engine.connect() as connection:
            return connection.scalar(query)

    assert as_of(changed - dt.timedelta(microseconds=1)) == "confirmed"
    assert as_of(changed) == "cancelled"
    assert as_of(changed + dt.timedelta(days=1)) == "cancelled"


def test_orders_as_of_function(pg_engine: Engine) -> None:
    """On PostgreSQL orders_as_of(ts) returns each order's version at ts."""
    key = _order(pg_engine)
    with pg_engine.connect() as connection:
        middle = connection.scalar(text("SELECT clock_timestamp()"))
    with pg_engine.begin() as connection:
        connection.execute(ORDERS.update().values(status="cancelled"))
    with pg_engine.connect() as connection:
        then = connection.execute(
            text("SELECT id, status FROM orders_as_of(:at)"), {"at": middle}
        ).all()
        now = connection.execute(text("SELECT id, status FROM orders_as_of(now())")).all()
    assert [tuple(row) for row in then] == [(key, "confirmed")]
    assert [tuple(row) for row in now] == [(key, "cancelled")]
