"""The seeded generator: determinism, realistic shapes and references that resolve."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import uuid
from collections import Counter
from typing import Any

import httpx

from korsync.fake_api import Simulator
from korsync.fake_api.keys import IdCodec, Kind, format_uuid7
from korsync.ids import uuid7_from
from tests.support.fake_api import client_for, make_sim

STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$")
MONEY = re.compile(r"^-?\d+\.\d{2}$")


def _first_orders(sim: Simulator, count: int) -> list[dict[str, Any]]:
    return list(itertools.islice(sim.orders_truth(), count))


def test_same_seed_gives_identical_data() -> None:
    """Two simulators from equal configs serve byte-identical orders, reservations and catalogue."""
    one, two = make_sim(), make_sim()
    assert list(one.orders_truth()) == list(two.orders_truth())
    assert list(one.reservations_truth()) == list(two.reservations_truth())
    assert one.catalogue_truth() == two.catalogue_truth()
    assert (one.token, one.client_secret) == (two.token, two.client_secret)


def test_other_seed_gives_other_data() -> None:
    """A different seed changes ids and content."""
    one, two = make_sim(seed=1), make_sim(seed=2)
    first, second = _first_orders(one, 5), _first_orders(two, 5)
    assert {o["id"] for o in first}.isdisjoint({o["id"] for o in second})
    assert one.token != two.token


def test_an_order_is_the_same_whatever_the_account_size() -> None:
    """Order *i* depends only on (seed, i) and the timeline, not on how it was reached."""
    sim = make_sim(orders=5000)
    state = sim.orgs[0]
    direct = state.generator.order(4321)
    again = make_sim(orders=5000).orgs[0].generator.order(4321)
    assert direct == again


def test_created_at_is_non_decreasing_with_bursts(sim: Simulator) -> None:
    """createdAt never goes back, several orders share seconds, and no burst exceeds 80."""
    stamps = [o["createdAt"] for o in sim.orders_truth()]
    assert stamps == sorted(stamps)
    sizes = Counter(stamps).values()
    assert max(sizes) >= 2
    assert max(sizes) <= 80


def test_ids_are_uuid7_ordered_like_created_at(sim: Simulator) -> None:
    """Order ids are UUIDv7 whose timestamp is the order's creation second."""
    orders = _first_orders(sim, 100)
    for order in orders:
        value = uuid.UUID(order["id"])
        assert value.version == 7
        created = dt.datetime.fromisoformat(order["createdAt"]).timestamp()
        assert value.int >> 80 == int(created) * 1000 + (value.int >> 80) % 1000
    assert [o["id"] for o in orders] == sorted(o["id"] for o in orders)


def test_fast_uuid_formatting_matches_the_project_helper() -> None:
    """The simulator's UUID formatting equals ``korsync.ids.uuid7_from`` bit for bit."""
    for unix_ms, rand in [(0, 0), (1_700_000_000_123, (1 << 74) - 1), (123456789, 987654321)]:
        assert format_uuid7(unix_ms, rand) == str(uuid7_from(unix_ms, rand))


def test_ids_decode_back_and_reject_other_seeds() -> None:
    """An encoded id decodes to its parts; another seed's codec does not accept it."""
    codec = IdCodec(7)
    value = codec.encode(Kind.ITEM_TICKET, 3, 987_654, 1_700_000_000_000)
    decoded = codec.decode(value)
    assert decoded is not None
    assert (decoded.kind, decoded.org, decoded.index) == (Kind.ITEM_TICKET, 3, 987_654)
    assert IdCodec(8).decode(value) is None
    assert codec.decode("not-a-uuid") is None


def test_orders_have_the_documented_shape(sim: Simulator) -> None:
    """Timestamps carry +00:00 at second precision, money has two decimals, keys follow the docs."""
    order = next(sim.orders_truth())
    assert list(order)[:6] == ["@context", "@id", "@type", "id", "createdAt", "organization"]
    assert STAMP.match(order["createdAt"])
    assert MONEY.match(order["totalAmountInclTax"])
    item = order["items"][0]
    assert item["@id"].startswith("/.well-known/genid/")
    assert item["@type"] == "OrderItem"
    assert all(MONEY.match(item[k]) for k in ("unitAmountInclTax", "totalAmountExclTax"))
    ticket = item["tickets"][0]
    assert ticket["@id"] == f"{order['@id']}/items/{item['id']}/tickets/{ticket['id']}"
    assert order["customer"]["@type"] == "OrderCustomer"


def test_data_has_the_shapes_a_mirror_must_survive(sim: Simulator) -> None:
    """Cancelled orders, waiting tickets, orders without documents, nulls and unicode all occur."""
    orders = list(sim.orders_truth())
    tickets = [t for o in orders for i in o["items"] for t in i["tickets"]]
    assert any(o["status"] == "cancelled" and STAMP.match(o["cancelledAt"]) for o in orders)
    assert all(o["cancelledAt"] is None for o in orders if o["status"] == "confirmed")
    assert any(t["status"] == "waiting_beneficiary_data" and t["voucher"] is None for t in tickets)
    assert any(t["status"] == "validated" and t["voucher"] for t in tickets)
    assert any(not o["documents"] for o in orders)
    assert any(o["externalReference"] is None for o in orders)
    assert any("phone" not in o["customer"] for o in orders)
    names = "".join(o["customer"]["firstname"] + o["customer"]["lastname"] for o in orders)
    assert any(ord(char) > 0x2FF for char in names)


def _resolves(api: httpx.Client, iri: str) -> bool:
    return api.get(iri).status_code == 200


def test_every_reference_of_an_order_resolves(sim: Simulator) -> None:
    """Reservation, product, ticket, document, offer and catalog IRIs of orders answer 200."""
    with client_for(sim) as api:
        for order in _first_orders(sim, 12):
            assert _resolves(api, order["reservation"])
            for document in order["documents"]:
                assert _resolves(api, document)
            for item in order["items"]:
                assert _resolves(api, item["product"])
                assert all(_resolves(api, t["@id"]) for t in item["tickets"])
            reservation = api.get(order["reservation"]).json()
            assert reservation["order"] == order["@id"]
            assert _resolves(api, reservation["catalog"])
            for line in reservation["items"]:
                assert _resolves(api, line["offer"])
                for entry in line["offerTickets"]:
                    assert _resolves(api, entry["ticket"])
                    assert entry["session"] is None or _resolves(api, entry["session"])


def test_catalogue_references_resolve(sim: Simulator) -> None:
    """Offer tickets' forms and offer tickets' sessions resolve; both models are generated."""
    truth = sim.catalogue_truth()
    assert truth["product_bases"] and truth["events"] and truth["forms"]
    forms = {t["form"] for t in truth["offer_tickets"] if t.get("form")}
    assert forms
    with client_for(sim) as api:
        assert all(_resolves(api, form) for form in forms)
        assert all(_resolves(api, s["@id"]) for s in truth["ticket_sessions"][:10])
    assert any(base["disabled"] for base in truth["product_bases"])
