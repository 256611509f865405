"""Several organizations: each with its own credentials and orders; with a shared catalogue, the
same catalogue ids at different prices."""

from __future__ import annotations

from korsync.fake_api import Simulator
from korsync.fake_api.keys import IdCodec
from tests.support.fake_api import client_for, make_sim


def _offers(sim_token: str, sim: Simulator) -> dict[str, str]:
    with client_for(sim, sim_token) as client:
        catalogs = client.get("/v1/ticketing/catalogs").json()["member"]
        offers = client.get(f"/v1/ticketing/catalogs/{catalogs[0]['id']}/offers").json()
    return {o["id"]: o["price"]["amountInclTax"] for o in offers["member"]}


def test_shared_catalogue_has_the_same_ids_at_other_prices() -> None:
    """Organization 1 sees organization 0's offers (same ids), each at its own price."""
    sim = make_sim(orders=20, organizations=2, shared_catalogue=True)
    first, second = (_offers(sim.organization(k)["token"], sim) for k in (0, 1))
    assert first.keys() == second.keys() and first
    assert all(first[i] != second[i] for i in first)


def test_organizations_keep_their_own_orders_and_credentials() -> None:
    """Each token sees its organization's orders only; ids name the organization."""
    sim = make_sim(orders=20, organizations=2, shared_catalogue=True)
    codec = IdCodec(sim.config.seed)
    for k in (0, 1):
        with client_for(sim, sim.organization(k)["token"]) as client:
            orders = client.get("/v1/booking/orders").json()["member"]
        assert orders and {codec.decode(o["id"]).org for o in orders} == {k}  # type: ignore[union-attr]
    assert sim.organization(0)["token"] != sim.organization(1)["token"]


def test_without_sharing_catalogues_differ() -> None:
    """By default each organization has a catalogue of its own ids."""
    sim = make_sim(orders=20, organizations=2)
    first, second = (_offers(sim.organization(k)["token"], sim) for k in (0, 1))
    assert not first.keys() & second.keys()
