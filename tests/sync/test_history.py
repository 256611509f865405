"""Change history against the simulator: a first sync writes first versions only, reading again
adds nothing, and each change the simulator applied (its mutation log) is exactly one new
version, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.fake_api import Simulator
from korsync.models import Order, SyncRun, metadata
from korsync.models.history import HISTORY_TABLES, history_name, history_tables
from korsync.sync.catalogue import sync_catalogue
from korsync.sync.orders import OrdersOptions, reconcile_orders, sync_orders
from tests.support.history import assert_history_consistent, versions
from tests.support.sync import make_sim, open_ticket

OPTIONS = OrdersOptions()


@pytest.fixture
def sim() -> Simulator:
    """A small account whose orders all fall in the reconcile window."""
    return make_sim(history_days=20, orders=40)


def _counts(engine: Engine) -> dict[str, tuple[int, int]]:
    """(live rows with content, history versions) per history table."""
    counts = {}
    with engine.connect() as connection:
        for table in HISTORY_TABLES:
            main = metadata.tables[table]
            rows = connection.scalar(
                select(func.count()).select_from(main).where(main.c.raw.is_not(None))
            )
            kept = connection.scalar(select(func.count()).select_from(history_tables()[table]))
            counts[table] = (rows or 0, kept or 0)
    return counts


def _sync_all(client: ApiClient, sessions: sessionmaker[Session]) -> None:
    sync_orders(client, sessions, OPTIONS)
    reconcile_orders(client, sessions, OPTIONS)
    sync_catalogue(client, sessions)


def test_first_sync_writes_first_versions_and_rereading_adds_none(
    engine: Engine, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """After a first sync each row has exactly one version, current, from the run that wrote
    it; an order's (and its items' and tickets') starts at its createdAt. Reading everything
    again (reconcile, catalogue refresh) writes no version."""
    orders_run = sync_orders(client, sessions, OPTIONS)
    sync_catalogue(client, sessions)
    first = _counts(engine)
    assert all(rows == kept for rows, kept in first.values()), first
    assert first["orders"][0] > 0 and first["offers"][0] > 0 and first["order_item_tickets"][0]
    history = history_tables()["orders"]
    orders = metadata.tables["orders"]
    with engine.connect() as connection:
        seen = connection.execute(
            select(
                orders.c.created_at, history.c.valid_from, history.c.valid_to, history.c.run_id
            ).join(history, history.c.id == orders.c.id)
        ).all()
        late_items = connection.scalar(
            text(
                "SELECT COUNT(*) FROM order_items_history i JOIN orders o ON o.id = i.order_id "
                "WHERE i.valid_from <> o.created_at"
            )
        )
    assert all(o.valid_to is None and o.valid_from == o.created_at for o in seen)
    assert {o.run_id for o in seen} == {orders_run.run_id}
    assert late_items == 0
    _sync_all(client, sessions)
    assert _counts(engine) == first
    assert_history_consistent(engine)


def _field(engine: Engine, table: str, key: str, column: str) -> list[Any]:
    return [version[column] for version in versions(engine, table, uuid.UUID(key))]


def test_order_and_ticket_changes_are_the_versions_applied(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """A cancellation, a voucher given then changed, and a beneficiary named, each read by a
    reconcile, are one version each, in the order the simulator's log applied them."""
    sync_orders(client, sessions, OPTIONS)
    order_id, ticket_id = open_ticket(sim)
    sim.update_ticket(order_id, ticket_id, voucher="8555000000001")
    reconcile_orders(client, sessions, OPTIONS)
    sim.update_ticket(order_id, ticket_id, voucher="8555000000002")
    sim.update_ticket(order_id, ticket_id, beneficiary=_BENEFICIARY)
    reconcile_orders(client, sessions, OPTIONS)
    sim.cancel_order(order_id)
    reconcile_orders(client, sessions, OPTIONS)
    reconcile_orders(client, sessions, OPTIONS)  # nothing new: no version

    applied = [m.action for m in sim.mutations.entries() if m.target in (order_id, ticket_id)]
    assert applied == ["update_ticket", "update_ticket", "update_ticket", "cancel_order"]
    assert _field(engine, "orders", order_id, "status") == ["confirmed", "cancelled"]
    # the voucher and beneficiary changed between two reads are one version: seen together;
    # the cancellation changes the order, not its tickets
    assert _field(engine, "order_item_tickets", ticket_id, "voucher") == [
        None, "8555000000001", "8555000000002",
    ]  # fmt: skip
    assert _field(engine, "order_item_tickets", ticket_id, "beneficiary_lastname") == [
        None, None, "Martin",
    ]  # fmt: skip
    assert _field(engine, "order_item_tickets", ticket_id, "status") == [
        "waiting_beneficiary_data", "waiting_beneficiary_data", "waiting_beneficiary_data",
    ]  # fmt: skip
    _assert_run_per_version(engine, "order_item_tickets", ticket_id)
    assert _view(engine, "ticket_changes", "ticket_id", ticket_id, "to_voucher") == [
        None, "8555000000001", "8555000000002",
    ]  # fmt: skip
    assert _view(engine, "order_status_changes", "order_id", order_id, "to_status") == [
        "confirmed", "cancelled",
    ]  # fmt: skip
    assert_history_consistent(engine)


def _view(engine: Engine, view: str, key_column: str, key: str, column: str) -> list[Any]:
    """``column`` of a history view's rows for one key, oldest first."""
    found = uuid.UUID(key)
    bound = found.hex if engine.dialect.name == "sqlite" else found
    order = "valid_from" if view == "offer_price_availability" else "observed_at"
    query = text(f"SELECT {column} FROM {view} WHERE {key_column} = :key ORDER BY {order}")
    with engine.connect() as connection:
        return list(connection.scalars(query, {"key": bound}))


_BENEFICIARY = {
    "title": "mrs",
    "firstname": "Anne",
    "lastname": "Martin",
    "email": None,
    "phone": None,
    "dateOfBirth": None,
    "placeOfBirth": None,
    "nationality": None,
}


def _assert_run_per_version(engine: Engine, table: str, key: str) -> None:
    """Each version names a distinct reconcile run that exists, in the order they ran."""
    with Session(engine) as session:
        started = {
            row.id: row.started_at
            for row in session.execute(select(SyncRun.id, SyncRun.started_at))
        }
    runs = [version["run_id"] for version in versions(engine, table, uuid.UUID(key))]
    assert all(run in started for run in runs)
    assert [started[run] for run in runs] == sorted(started[run] for run in runs)


def _offer_with_quantity(sim: Simulator) -> dict[str, Any]:
    return next(o for o in sim.catalogue_truth()["offers"] if o["availableQuantity"])


def test_price_availability_removal_and_return_are_versions(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """Availability and price changes, a catalog removed (which takes its rows) and listed
    again, and a product base disabled then re-enabled: one version per change seen by a
    refresh, soft deletes and undeletes included; a refresh seeing nothing new adds none."""
    sync_catalogue(client, sessions)
    offer = _offer_with_quantity(sim)
    sim.update("offers", offer["id"], availableQuantity=offer["availableQuantity"] - 1)
    sync_catalogue(client, sessions)
    price = {**offer["price"], "amountInclTax": "99.50"}
    sim.update("offers", offer["id"], price=price)
    sync_catalogue(client, sessions)
    catalog_id = sim.catalogue_truth()["catalogs"][0]["id"]
    sim.remove("catalogs", catalog_id)
    sync_catalogue(client, sessions)
    sim.restore("catalogs", catalog_id)
    sync_catalogue(client, sessions)
    sync_catalogue(client, sessions)

    quantity = offer["availableQuantity"]
    assert [m.action for m in sim.mutations.entries()] == ["update", "update", "remove", "restore"]
    assert _field(engine, "offers", offer["id"], "available_quantity")[:3] == [
        quantity, quantity - 1, quantity - 1,
    ]  # fmt: skip
    assert _field(engine, "offers", offer["id"], "price_amount_incl_tax")[1:3] == [
        Decimal(offer["price"]["amountInclTax"]), Decimal("99.50"),
    ]  # fmt: skip
    over_time = _view(
        engine, "offer_price_availability", "offer_id", offer["id"], "available_quantity"
    )
    assert over_time[:2] == [quantity, quantity - 1]
    deleted = [v is not None for v in _field(engine, "catalogs", catalog_id, "deleted_at")]
    assert deleted == [False, True, False]
    _assert_rows_under_catalog_came_back(engine, uuid.UUID(catalog_id))
    assert_history_consistent(engine)


def _assert_rows_under_catalog_came_back(engine: Engine, catalog_id: uuid.UUID) -> None:
    """Each row the removal marked has a deleted version between two live ones."""
    history = history_tables()["products"]
    with engine.connect() as connection:
        keys = connection.scalars(
            select(history.c.id).where(history.c.catalog_id == catalog_id).distinct()
        ).all()
    assert keys
    for key in keys:
        marks = [v["deleted_at"] is not None for v in versions(engine, "products", key)]
        assert marks[-3:] == [False, True, False] or marks == [False], marks


def test_disabled_product_base_and_back(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """Disabling a product base and enabling it again are two versions."""
    sync_catalogue(client, sessions)
    bases = sim.catalogue_truth()["product_bases"]
    if not bases:
        pytest.skip("this simulated account is on the older catalogue model")
    base_id = bases[0]["id"]
    was = bool(bases[0]["disabled"])
    sim.disable_product_base(base_id, not was)
    sync_catalogue(client, sessions)
    sim.disable_product_base(base_id, was)
    sync_catalogue(client, sessions)
    assert _field(engine, "product_bases", base_id, "disabled") == [was, not was, was]


def _next_millisecond() -> None:
    """Return once the wall clock has entered a new millisecond."""
    start = time.time_ns() // 1_000_000
    while time.time_ns() // 1_000_000 == start:
        time.sleep(0.0002)


def test_an_order_deleted_upstream_and_back(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """Marking an order deleted (as an audit does) and live again are versions; a hard
    delete of an item closes its current version and opens none."""
    order_id = uuid.uuid4()
    item_id = uuid.uuid4()
    created = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    orders, items = metadata.tables["orders"], metadata.tables["order_items"]
    with sessions.begin() as session:
        session.execute(orders.insert().values(id=order_id, raw={}, status="confirmed",
                                               created_at=created))  # fmt: skip
        session.execute(items.insert().values(id=item_id, order_id=order_id, raw={}, quantity=1))
    for deleted_at in (dt.datetime.now(dt.UTC), None):
        _next_millisecond()  # changes of one instant are one version (SQLite dates them to the ms)
        with sessions.begin() as session:
            session.execute(
                orders.update().where(orders.c.id == order_id).values(deleted_at=deleted_at)
            )
    with sessions.begin() as session:
        session.execute(items.delete().where(items.c.id == item_id))
    marks = [v["deleted_at"] is not None for v in versions(engine, "orders", order_id)]
    assert marks == [False, True, False]
    (item,) = versions(engine, "order_items", item_id)
    assert item["valid_from"] == created and item["valid_to"] is not None
    assert_history_consistent(engine)


def test_bookkeeping_columns_make_no_version(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """A new raw, synced_at or snapshot read time alone is no change of content."""
    offer_id = uuid.uuid4()
    offers = metadata.tables["offers"]
    now = dt.datetime.now(dt.UTC)
    with sessions.begin() as session:
        session.execute(offers.insert().values(id=offer_id, raw={"a": 1}, available_quantity=3))
    with sessions.begin() as session:
        session.execute(
            offers.update()
            .where(offers.c.id == offer_id)
            .values(raw={"a": 2}, synced_at=now, availability_read_at=now, price_read_at=now)
        )
    assert len(versions(engine, "offers", offer_id)) == 1


def test_placeholders_have_no_version_until_filled(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """A placeholder parent (raw NULL) is no observation; its content, once read, is the first
    version."""
    product_id = uuid.uuid4()
    products = metadata.tables["products"]
    with sessions.begin() as session:
        session.execute(products.insert().values(id=product_id))
    assert versions(engine, "products", product_id) == []
    with sessions.begin() as session:
        session.execute(
            products.update().where(products.c.id == product_id).values(raw={}, name="Adult")
        )
    assert [v["name"] for v in versions(engine, "products", product_id)] == ["Adult"]


def test_two_changes_in_one_transaction_are_one_version(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """A version that held for no time is replaced, never kept as an empty interval."""
    offer_id = uuid.uuid4()
    offers = metadata.tables["offers"]
    with sessions.begin() as session:
        session.execute(offers.insert().values(id=offer_id, raw={}, available_quantity=3))
    with sessions.begin() as session:
        for quantity in (2, 1):
            session.execute(
                offers.update().where(offers.c.id == offer_id).values(available_quantity=quantity)
            )
    assert [v["available_quantity"] for v in versions(engine, "offers", offer_id)][-1] == 1
    assert_history_consistent(engine)


def test_history_tables_have_exactly_the_versioned_columns() -> None:
    """Each history table copies its table's columns less the bookkeeping ones, and adds the
    validity and run: a migration adding a column to a mirrored table must extend its history
    (or name the column as not versioned) or this fails."""
    bookkeeping = {"raw", "synced_at"}
    snapshot_times = {
        "offers": {"price_read_at", "availability_read_at"},
        "sessions": {"availability_read_at"},
        "catalogs": {"last_synced_at"},
    }
    for table, history in history_tables().items():
        own = [c.name for c in metadata.tables[table].columns]
        kept = [c for c in own if c not in bookkeeping | snapshot_times.get(table, set())]
        assert [c.name for c in history.columns] == [*kept, "valid_from", "valid_to", "run_id"]
        assert history.name == history_name(table)


def test_snapshot_times_are_not_versioned() -> None:
    """The columns the upsert ignores as read times are not versioned either."""
    from korsync.sync.rowset import SNAPSHOT_TIMES

    for table, ignored in SNAPSHOT_TIMES.items():
        names = {c.name for c in history_tables()[table].columns}
        assert not names & set(ignored), table


def test_history_of_these_ids_only(engine: Engine, sessions: sessionmaker[Session]) -> None:
    """An order's history holds its own versions only: the key is the row's id."""
    first, second = uuid.uuid4(), uuid.uuid4()
    orders = metadata.tables["orders"]
    with sessions.begin() as session:
        session.execute(orders.insert(), [{"id": k, "raw": {}, "status": "confirmed"}
                                          for k in (first, second)])  # fmt: skip
    with Session(engine) as session:
        session.execute(orders.update().where(orders.c.id == first).values(status="cancelled"))
        session.commit()
    assert len(versions(engine, "orders", first)) == 2
    assert len(versions(engine, "orders", second)) == 1
    with Session(engine) as session:
        assert session.get_one(Order, first).status == "cancelled"
