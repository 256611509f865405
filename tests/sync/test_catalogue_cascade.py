"""Vanished parents take their children: a complete refresh that no longer lists a catalog (an
event, an offer...) marks everything under it deleted; a failed refresh marks nothing, and a
parent that comes back brings its children back."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import Engine, Table, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.fake_api import Simulator
from korsync.models import SyncRun, metadata
from korsync.sync.catalogue import contained, sync_catalogue
from tests.support.sync import make_client

# Every catalogue table that holds rows under a catalog, and the column naming it.
UNDER_CATALOG = (
    "events",
    "sessions",
    "product_bases",
    "products",
    "offers",
    "offer_tickets",
    "offer_ticket_sessions",
)


def _rows_of(engine: Engine, catalog_id: uuid.UUID) -> dict[str, tuple[int, int]]:
    """(live, deleted) rows under ``catalog_id``, by table."""
    counts = {}
    with Session(engine) as session:
        for name in UNDER_CATALOG:
            table: Table = metadata.tables[name]
            query = (
                select(func.count(), func.count(table.c.deleted_at))
                .select_from(table)
                .where(table.c.catalog_id == catalog_id)
            )
            total, deleted = session.execute(query).one()
            counts[name] = (total - deleted, deleted)
    return counts


def _catalog_with_everything(sim: Simulator) -> uuid.UUID:
    """A catalog holding rows of both models (events with sessions, offers with tickets)."""
    truth = sim.catalogue_truth()
    with_sessions = {_under(row, "catalogs") for row in truth["sessions"]}
    catalogs = [c["id"] for c in truth["catalogs"]]
    return uuid.UUID(next((c for c in catalogs if c in with_sessions), catalogs[0]))


def test_a_vanished_catalog_takes_every_row_under_it(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """A catalog no longer listed: its products, offers, offer tickets and their sessions,
    events and sessions all get the catalog's ``deleted_at``; other catalogs' rows stay live;
    the run counts every row it marked; ``session_sales`` flags the offers deleted."""
    sync_catalogue(client, sessions)
    catalog_id = _catalog_with_everything(sim)
    before = _rows_of(engine, catalog_id)
    assert sum(live for live, _ in before.values()) > 0
    sim.remove("catalogs", str(catalog_id))
    run = sync_catalogue(client, sessions)
    after = _rows_of(engine, catalog_id)
    assert after == {name: (0, live) for name, (live, _) in before.items()}
    with Session(engine) as session:
        times = {
            session.scalar(select(func.max(metadata.tables[name].c.deleted_at)))
            for name in ("catalogs", *UNDER_CATALOG)
            if name == "catalogs" or after[name][1]
        }
        offers_flagged = session.scalar(
            text("SELECT COUNT(*) FROM session_sales WHERE catalog_id = :c AND offer_deleted"),
            {"c": catalog_id.hex if engine.dialect.name == "sqlite" else catalog_id},
        )
        recorded = session.scalars(select(SyncRun.rows_deleted).order_by(SyncRun.started_at))
        assert list(recorded)[-1] == run.totals.deleted
    assert len(times) == 1, "children are marked at their parent's time"
    assert run.totals.deleted == 1 + sum(live for live, _ in before.values())
    assert offers_flagged == before["offers"][0]
    live_elsewhere = sim.catalogue_truth(cascade=True)
    assert all(row["id"] != str(catalog_id) for row in live_elsewhere["catalogs"])


def test_a_returning_catalog_brings_its_rows_back(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """The catalog listed again: it and every row under it are live again."""
    sync_catalogue(client, sessions)
    catalog_id = _catalog_with_everything(sim)
    before = _rows_of(engine, catalog_id)
    sim.remove("catalogs", str(catalog_id))
    sync_catalogue(client, sessions)
    removed = sim.orgs[0].catalogue.find(str(catalog_id))
    assert removed is not None
    removed.removed = False
    sync_catalogue(client, sessions)
    assert _rows_of(engine, catalog_id) == before


def test_a_vanished_event_and_offer_take_their_sessions_and_tickets(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """An event no longer listed takes its sessions; an offer takes its tickets and their
    sessions (neither is listed once its parent is not); the rest stays live."""
    sync_catalogue(client, sessions)
    truth = sim.catalogue_truth()
    with_sessions = {_under(row, "events") for row in truth["sessions"]}
    event = next(e for e in truth["events"] if e["id"] in with_sessions)
    offer = next(o for o in truth["offers"] if o.get("tickets"))
    sim.remove("events", event["id"])
    sim.remove("offers", offer["id"])
    sync_catalogue(client, sessions)
    with Session(engine) as session:
        deleted = {
            name: set(map(str, session.scalars(select(t.c.id).where(t.c.deleted_at.is_not(None)))))
            for name, t in metadata.tables.items()
            if "deleted_at" in t.c
        }
    event_sessions = {s["id"] for s in truth["sessions"] if _under(s, "events") == event["id"]}
    tickets = {t["id"] for t in offer["tickets"]}
    assert event_sessions and deleted["sessions"] == event_sessions
    assert deleted["offer_tickets"] == tickets
    assert deleted["events"] == {event["id"]} and deleted["offers"] == {offer["id"]}
    assert not deleted["catalogs"] and not deleted["products"]


def test_a_failed_refresh_marks_no_child_deleted(
    engine: Engine, sim: Simulator, sessions: sessionmaker[Session]
) -> None:
    """A catalog gone, but the refresh fails part-way: nothing at all is marked deleted."""
    with make_client(sim) as client:
        sync_catalogue(client, sessions)
    catalog_id = _catalog_with_everything(sim)
    sim.remove("catalogs", str(catalog_id))
    sim.inject("500", count=1000, path_prefix="/v1/ticketing/catalogs/")
    with make_client(sim, max_attempts=2) as client, pytest.raises(Exception, match="500"):
        sync_catalogue(client, sessions)
    assert all(deleted == 0 for _, deleted in _rows_of(engine, catalog_id).values())


def test_forms_are_referenced_not_contained() -> None:
    """A vanished form takes its fields (and they their choices), never the offer tickets
    that refer to it."""
    assert {(t.name, c) for t, c in contained("forms")} == {("form_fields", "form_id")}
    assert {(t.name, c) for t, c in contained("form_fields")} == {
        ("form_field_choices", "form_field_id")
    }


def _under(row: dict[str, Any], collection: str) -> str:
    """The id that follows ``collection`` in the row's IRI (its parent of that kind)."""
    parts = str(row["@id"]).split("/")
    return parts[parts.index(collection) + 1]
