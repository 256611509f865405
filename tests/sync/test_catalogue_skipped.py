"""Nothing skipped silently: a catalogue listing answering 403 (a model the account is kept
from) or 404 (a model it is not on) is skipped, the other model is still refreshed, and each
skipped endpoint is recorded in the run's details and shown by ``korsync status``."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from korsync import status
from korsync.models import (
    Event,
    Offer,
    OfferTicket,
    OfferTicketSession,
    Product,
    ProductBase,
    SyncRun,
)
from korsync.sync.catalogue import endpoint, sync_catalogue
from tests.support.sync import make_client, make_sim

EVENTS = "/v1/ticketing/catalogs/{catalogId}/events"
BASES = "/v1/ticketing/catalogs/{catalogId}/product_bases"
SESSIONS = "/v1/ticketing/catalogs/{catalogId}/offers/{offerId}/tickets/{ticketId}/sessions"


def _count(engine: Engine, model: Any) -> int:
    with Session(engine) as session:
        query = select(func.count()).select_from(model).where(model.raw.is_not(None))
        return session.scalar(query.where(model.deleted_at.is_(None))) or 0


def _skipped(details: dict[str, Any] | None) -> dict[tuple[str, int], int]:
    return {(e["endpoint"], e["status"]): e["times"] for e in (details or {}).get("skipped", [])}


def test_forbidden_older_model_leaves_the_newer_one_mirrored(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """Events answer 403: the run succeeds with product bases, products, offers, tickets and
    ticket sessions mirrored; the events listing (per catalog) and the forms are reported."""
    sim = make_sim(forbidden_model="events")
    with make_client(sim) as client:
        run = sync_catalogue(client, sessions)
    for model in (ProductBase, Product, Offer, OfferTicket, OfferTicketSession):
        assert _count(engine, model) > 0, model.__tablename__
    assert _count(engine, Event) == 0
    skipped = _skipped(run.details)
    assert skipped[(EVENTS, 403)] == len(sim.catalogue_truth()["catalogs"])
    assert skipped[("/v1/forms/{id}", 403)] == run.details["forms"]
    with Session(engine) as session:
        recorded = session.scalars(select(SyncRun)).one()
    assert recorded.status == "succeeded"
    assert _skipped(recorded.details) == skipped


def test_forbidden_newer_model_leaves_the_older_one_mirrored(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """Product bases (and ticket sessions) answer 403: events and their sessions are still
    mirrored, and both skipped endpoints are reported."""
    sim = make_sim(forbidden_model="product_bases")
    with make_client(sim) as client:
        run = sync_catalogue(client, sessions)
    assert _count(engine, Event) > 0 and _count(engine, Offer) > 0
    assert _count(engine, ProductBase) == 0
    assert {key for key in _skipped(run.details)} == {(BASES, 403), (SESSIONS, 403)}


@pytest.mark.parametrize(("model", "absent"), [("product_bases", EVENTS), ("events", BASES)])
def test_the_other_models_404_is_reported(
    sessions: sessionmaker[Session], model: str, absent: str
) -> None:
    """An account on one model only: the other model's 404 is in the details, not hidden."""
    with make_client(make_sim(catalog_model=model)) as client:
        run = sync_catalogue(client, sessions)
    assert (absent, 404) in _skipped(run.details)


def test_a_forbidden_model_marks_nothing_deleted(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """Rows of a model read before and forbidden since stay live: a skipped listing is not an
    empty one."""
    with make_client(make_sim()) as client:
        sync_catalogue(client, sessions)
    events = _count(engine, Event)
    with make_client(make_sim(forbidden_model="events")) as client:
        run = sync_catalogue(client, sessions)
    assert events > 0 and _count(engine, Event) == events
    assert run.totals.deleted == 0


def test_status_shows_the_skipped_endpoints(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """``korsync status`` names each endpoint the last run skipped, and stays healthy."""
    with make_client(make_sim(forbidden_model="events")) as client:
        sync_catalogue(client, sessions)
    report = status.collect(engine)
    (catalogue,) = report.streams
    assert {(e["endpoint"], e["status"]) for e in catalogue.skipped} >= {(EVENTS, 403)}
    shown = status.render(report)
    (line,) = [line for line in shown.splitlines() if line.startswith("catalogue: skipped")]
    assert f"GET {EVENTS}: HTTP 403 (2x)" in line and "GET /v1/forms/{id}: HTTP 403" in line
    assert "skipped" in report.as_dict()["streams"][0]
    assert not report.unhealthy


def test_a_run_that_skipped_nothing_says_nothing() -> None:
    """No skipped entry, no line: the details and the report stay as they were."""
    entry = status.StreamStatus("catalogue")
    assert entry.skipped == []
    assert "skipped" not in status.render(status.StatusReport([entry], {}, 0))


def test_endpoint_names_the_ids_as_the_docs_do() -> None:
    """Ids in a path become the docs' template names; other segments stay."""
    ids = "0194cb22-b891-754c-8c4c-777b93f8d072"
    path = f"/v1/ticketing/catalogs/{ids}/offers/{ids}/tickets/{ids}/sessions"
    assert endpoint(path) == SESSIONS
    assert endpoint(f"/v1/forms/{ids}") == "/v1/forms/{id}"
    assert endpoint(f"/v1/ticketing/catalogs/{ids}/product_bases/{ids}/products") == (
        "/v1/ticketing/catalogs/{catalogId}/product_bases/{productBaseId}/products"
    )
