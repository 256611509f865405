"""The simulator's "403 on one catalogue model" shape (``SimConfig(forbidden_model=...)``,
``korsync fake-api --forbidden-model``): every route of that model answers a 403 problem
document while its data still exists, and the other model is served as usual. Off by default,
named in ``--help``."""

from __future__ import annotations

import httpx
import pytest
from click.testing import CliRunner

from korsync.fake_api import SimConfig
from korsync.fake_api.command import fake_api
from tests.support.fake_api import client_for, make_sim


def _first_catalog(client: httpx.Client) -> str:
    response = client.get("/v1/ticketing/catalogs")
    assert response.status_code == 200
    return str(response.json()["member"][0]["@id"])


def test_forbidden_events_answer_403_and_product_bases_are_served() -> None:
    """Events, their sessions and forms are a 403; product bases, products and offers a 200."""
    sim = make_sim(orders=10, forbidden_model="events")
    with client_for(sim) as client:
        catalog = _first_catalog(client)
        refused = client.get(f"{catalog}/events")
        assert refused.status_code == 403
        assert refused.json()["status"] == 403 and refused.json()["@type"] == "Error"
        for path in ("product_bases", "products", "offers"):
            assert client.get(f"{catalog}/{path}").status_code == 200, path
        form = sim.catalogue_truth()["forms"][0]["id"]
        assert client.get(f"/v1/forms/{form}").status_code == 403


def test_forbidden_product_bases_answer_403_and_events_are_served() -> None:
    """The newer model's listings are a 403; the older model's events a 200."""
    sim = make_sim(orders=10, forbidden_model="product_bases")
    with client_for(sim) as client:
        catalog = _first_catalog(client)
        assert client.get(f"{catalog}/product_bases").status_code == 403
        assert client.get(f"{catalog}/events").status_code == 200


def test_forbidding_is_off_by_default_and_checked() -> None:
    """Nothing is forbidden unless asked; an unknown model is refused."""
    assert SimConfig().forbidden_model == "none"
    with pytest.raises(ValueError, match="forbidden_model"):
        SimConfig(forbidden_model="offers")  # type: ignore[arg-type]


def test_help_names_the_forbidden_model_option() -> None:
    """``korsync fake-api --help`` lists --forbidden-model and its choices."""
    shown = CliRunner().invoke(fake_api, ["--help"]).output
    assert "--forbidden-model" in shown and "[none|product_bases|events]" in shown
