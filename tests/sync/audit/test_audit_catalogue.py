"""The audit's count check of the catalogue, on SQLite and PostgreSQL: each collection's
``totalItems`` against the live rows under its catalog; a difference is healed by one
catalogue refresh (rows gone upstream marked deleted, rows marked by mistake live again), and
a listing the account is kept from (403/404) is not counted."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.fake_api import Simulator
from korsync.models import AuditWindow, Offer
from korsync.sync.audit import audit_orders
from korsync.sync.catalogue import sync_catalogue
from korsync.sync.orders import OrdersOptions, sync_orders
from tests.support.sync import CountingTransport, make_client, make_sim

OPTIONS = OrdersOptions()


def _catalogue_rows(engine: Engine) -> list[AuditWindow]:
    with Session(engine) as session:
        query = select(AuditWindow).where(AuditWindow.collection != "orders")
        return list(session.scalars(query.order_by(AuditWindow.checked_at)))


def test_nothing_is_counted_before_the_catalogue_was_refreshed(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """With only orders synced, the catalogue is not counted (every count would differ)."""
    sync_orders(client, sessions, OPTIONS)
    assert audit_orders(client, sessions, OPTIONS).clean
    assert _catalogue_rows(engine) == []


def test_a_refreshed_catalogue_counts_clean_in_a_few_requests(
    engine: Engine,
    sim: Simulator,
    client: ApiClient,
    transport: CountingTransport,
    sessions: sessionmaker[Session],
) -> None:
    """After a refresh, the catalogs and each catalog's events, product bases and offers are
    counted once each and all match."""
    sync_catalogue(client, sessions)
    sync_orders(client, sessions, OPTIONS)
    before = len(transport.requests)
    outcome = audit_orders(client, sessions, OPTIONS, until=dt.datetime.now(dt.UTC))
    rows = _catalogue_rows(engine)
    catalogs = len(sim.catalogue_truth()["catalogs"])
    assert outcome.clean and {r.status for r in rows} == {"match"}
    assert len(rows) == 1 + 3 * catalogs
    catalogue_requests = [r for r in transport.requests[before:] if "/ticketing/" in r.url.path]
    assert len(catalogue_requests) == 1 + 3 * catalogs


def test_an_offer_gone_upstream_is_healed_by_a_refresh(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """An offer removed upstream and one marked deleted by mistake in the mirror: their
    catalogs' offers differ, one refresh heals both, and they are recorded healed."""
    sync_catalogue(client, sessions)
    sync_orders(client, sessions, OPTIONS)
    offers = sim.catalogue_truth()["offers"]
    gone, mistaken = offers[0], offers[-1]
    sim.remove("offers", gone["id"])
    with Session(engine) as session, session.begin():
        mark = update(Offer).where(Offer.id == uuid.UUID(mistaken["id"]))
        session.execute(mark.values(deleted_at=dt.datetime.now(dt.UTC)))
    outcome = audit_orders(client, sessions, OPTIONS, until=dt.datetime.now(dt.UTC))
    assert outcome.clean
    healed = [r for r in _catalogue_rows(engine) if r.status == "healed"]
    assert healed and all(r.collection.startswith("offers/") for r in healed)
    assert all(r.healed_api_count == r.healed_mirror_count for r in healed)
    with Session(engine) as session:
        assert session.get(Offer, uuid.UUID(gone["id"])).deleted_at is not None  # type: ignore[union-attr]
        assert session.get(Offer, uuid.UUID(mistaken["id"])).deleted_at is None  # type: ignore[union-attr]


def test_a_listing_the_account_is_kept_from_is_not_counted(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """An account kept from the product-base model (403): its product bases are not counted,
    the rest is, and the audit is clean."""
    sim = make_sim(forbidden_model="product_bases")
    with make_client(sim) as client:
        sync_catalogue(client, sessions)
        sync_orders(client, sessions, OPTIONS)
        outcome = audit_orders(client, sessions, OPTIONS, until=dt.datetime.now(dt.UTC))
    collections = [r.collection for r in _catalogue_rows(engine)]
    assert outcome.clean and collections
    assert not any(c.startswith("product_bases/") for c in collections)
    assert any(c.startswith("events/") for c in collections)
