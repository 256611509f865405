"""The simulator's opt-in docs shapes: ``docs-orders`` serves orders as the docs' example has
them (items without ids, documents as absolute URLs naming no id), ``iri-tickets`` offers whose
tickets are IRIs; both off by default, refused when unknown, and named in ``--help``."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from korsync.cli import main
from korsync.fake_api import SimConfig
from tests.support.sync import make_client, make_sim


def _first_order(shapes: tuple[str, ...]) -> dict[str, object]:
    sim = make_sim(orders=5, shapes=shapes)
    with make_client(sim) as client:
        listed = client.get_json("/v1/booking/orders")["member"][0]
        single = client.get_json(f"/v1/booking/orders/{listed['id']}")
    assert {k: v for k, v in single.items() if k != "@context"} == listed
    return dict(listed)


def test_docs_orders_drop_item_ids_and_list_documents_as_urls() -> None:
    """Listed and read alone alike: no item has an ``id`` (its ``@id`` stays), and every
    document is an absolute URL on another host whose path names no UUID."""
    order = _first_order(("docs-orders",))
    items, documents = order["items"], order["documents"]
    assert isinstance(items, list) and isinstance(documents, list) and items and documents
    assert all("id" not in item and "@id" in item for item in items)
    assert all(d.startswith("https://example.com/documents/") for d in documents)
    assert all(d.endswith(".pdf") for d in documents)


def test_shapes_are_off_by_default() -> None:
    """Without shapes, items carry ids and documents are API paths."""
    order = _first_order(())
    items, documents = order["items"], order["documents"]
    assert isinstance(items, list) and isinstance(documents, list)
    assert all("id" in item for item in items)
    assert all(d.startswith("/v1/booking/orders/") for d in documents)


def test_iri_tickets_lists_offer_tickets_as_iris_served_by_their_collection() -> None:
    """Each offer's tickets are the IRIs of its ``/tickets`` collection's members."""
    sim = make_sim(orders=0, shapes=("iri-tickets",))
    with make_client(sim) as client:
        catalog = client.get_json("/v1/ticketing/catalogs")["member"][0]["id"]
        offer = client.get_json(f"/v1/ticketing/catalogs/{catalog}/offers")["member"][0]
        served = client.get_json(f"/v1/ticketing/catalogs/{catalog}/offers/{offer['id']}/tickets")
    assert offer["tickets"] and all(isinstance(t, str) for t in offer["tickets"])
    assert offer["tickets"] == [ticket["@id"] for ticket in served["member"]]


def test_unknown_shapes_are_refused_and_known_ones_named_in_help() -> None:
    """A misspelt shape is a configuration error; ``fake-api --help`` names both."""
    with pytest.raises(ValueError, match="shapes must be among"):
        SimConfig(shapes=("docs_orders",))
    result = CliRunner().invoke(main, ["fake-api", "--help"])
    assert result.exit_code == 0
    assert "docs-orders" in result.output and "iri-tickets" in result.output
