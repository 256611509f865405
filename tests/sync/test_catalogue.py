"""The catalogue refresh: both models, deletions, disables, partial failures, one-model accounts."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from korsync.api.client import ApiClient
from korsync.fake_api import Simulator
from korsync.models import EventSession, Form, Offer, OfferTicket, Product, ProductBase
from korsync.sync.catalogue import sync_catalogue
from tests.support.sync import make_client, make_sim

KINDS = {
    "catalogs": "catalogs",
    "product_bases": "product_bases",
    "products": "products",
    "offers": "offers",
    "offer_tickets": "offer_tickets",
    "ticket_sessions": "offer_ticket_sessions",
    "events": "events",
    "sessions": "sessions",
}


def _live_ids(engine: Engine, table: str) -> set[str]:
    from korsync.models import metadata

    t = metadata.tables[table]
    with Session(engine) as session:
        return {
            str(i)
            for i in session.scalars(
                select(t.c.id).where(t.c.deleted_at.is_(None), t.c.raw.is_not(None))
            )
        }


def assert_catalogue_mirrored(engine: Engine, sim: Simulator) -> None:
    """The live rows are the simulator's, less those under a removed row (which go with it)."""
    truth = sim.catalogue_truth(cascade=True)
    for kind, table in KINDS.items():
        assert _live_ids(engine, table) == {row["id"] for row in truth[kind]}, table


def test_refresh_mirrors_both_models(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """Every live catalogue row of both models is mirrored, with forms and their fields."""
    run = sync_catalogue(client, sessions)
    assert_catalogue_mirrored(engine, sim)
    assert run.totals.deleted == 0
    with Session(engine) as session:
        forms = session.scalars(select(Form)).all()
        offer = session.scalars(
            select(Offer).where(Offer.price_amount_incl_tax.is_not(None))
        ).first()
    assert forms and all(form.raw is not None for form in forms)
    assert offer is not None and offer.price_read_at is not None


def test_removed_rows_are_marked_deleted_and_disabled_flagged(
    engine: Engine, sim: Simulator, client: ApiClient, sessions: sessionmaker[Session]
) -> None:
    """Rows removed upstream get deleted_at (and stay), a disabled base is flagged, and
    rows still listed stay live."""
    sync_catalogue(client, sessions)
    truth = sim.catalogue_truth()
    offer_id = truth["offers"][0]["id"]
    session_id = truth["sessions"][0]["id"]
    base_id = truth["product_bases"][0]["id"]
    sim.remove("offers", offer_id)
    sim.remove("sessions", session_id)
    sim.disable_product_base(base_id)
    run = sync_catalogue(client, sessions)
    assert run.totals.deleted >= 2
    with Session(engine) as session:
        offer = session.get(Offer, uuid.UUID(offer_id))
        event_session = session.get(EventSession, uuid.UUID(session_id))
        base = session.get(ProductBase, uuid.UUID(base_id))
    assert offer is not None and offer.deleted_at is not None
    assert event_session is not None and event_session.deleted_at is not None
    assert base is not None and base.disabled is True and base.deleted_at is None
    assert_catalogue_mirrored(engine, sim)


def test_failed_refresh_marks_nothing_deleted(
    engine: Engine, sim: Simulator, sessions: sessionmaker[Session]
) -> None:
    """A refresh that fails part-way leaves every existing row live and is recorded failed."""
    with make_client(sim) as client:
        sync_catalogue(client, sessions)
    sim.remove("offers", sim.catalogue_truth()["offers"][0]["id"])
    sim.inject("500", count=1000, path_prefix="/v1/ticketing/catalogs/")
    with make_client(sim, max_attempts=2) as client, pytest.raises(Exception, match="500"):
        sync_catalogue(client, sessions)
    with Session(engine) as session:
        deleted = session.scalar(
            select(func.count()).select_from(Offer).where(Offer.deleted_at.is_not(None))
        )
    assert deleted == 0


@pytest.mark.parametrize("model", ["product_bases", "events"])
def test_account_on_one_model_syncs_cleanly(
    engine: Engine, sessions: sessionmaker[Session], model: str
) -> None:
    """An account on only one catalogue model (404 on the other's endpoints) refreshes fine."""
    sim = make_sim(catalog_model=model)
    with make_client(sim) as client:
        run = sync_catalogue(client, sessions)
    assert_catalogue_mirrored(engine, sim)
    with Session(engine) as session:
        products = session.scalar(
            select(func.count()).select_from(Product).where(Product.raw.is_not(None))
        )
        tickets = session.scalar(select(func.count()).select_from(OfferTicket))
    assert products and tickets
    assert run.totals.rejects == 0
