"""Authentication: static and issued tokens, expiry by the clock, refresh, organizations."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from korsync.fake_api import Simulator
from tests.support.fake_api import BASE_URL, client_for, make_sim

ORDERS = "/v1/booking/orders"


def _token(sim: Simulator, **form: str) -> httpx.Response:
    with httpx.Client(transport=httpx.WSGITransport(app=sim.wsgi), base_url=BASE_URL) as raw:
        return raw.post(sim.token_path, data=form)


def _credentials(sim: Simulator) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": sim.client_id,
        "client_secret": sim.client_secret,
    }


@pytest.mark.parametrize(
    ("header", "detail"),
    [
        (None, "JWT Token not found"),
        ("Bearer not-a-token", "Invalid JWT Token"),
        ("Basic abc", "JWT Token not found"),
    ],
)
def test_missing_or_wrong_token_is_a_401_problem(
    sim: Simulator, header: str | None, detail: str
) -> None:
    """No token, an unknown token or another scheme get a 401 problem document."""
    headers = {"Authorization": header} if header else {}
    with httpx.Client(transport=httpx.WSGITransport(app=sim.wsgi), base_url=BASE_URL) as raw:
        response = raw.get(ORDERS, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert (body["status"], body["detail"], body["@type"]) == (401, detail, "Error")


def test_unknown_route_is_404_even_without_token(sim: Simulator) -> None:
    """Routing runs before the firewall: an unknown path is a 404, not a 401."""
    with httpx.Client(transport=httpx.WSGITransport(app=sim.wsgi), base_url=BASE_URL) as raw:
        assert raw.get("/v1/nothing").status_code == 404
        assert raw.get(f"{ORDERS}/not-a-uuid").status_code == 404


def test_client_credentials_grant_issues_a_working_token(sim: Simulator) -> None:
    """The token endpoint returns a JWT-shaped bearer token with the configured lifetime."""
    response = _token(sim, **_credentials(sim))
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == body["refresh_expires_in"] == 1800
    claims = body["access_token"].split(".")[1]
    payload = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    assert payload["exp"] - payload["iat"] == 1800
    with client_for(sim, body["access_token"]) as api:
        assert api.get(ORDERS).status_code == 200


def test_bad_client_secret_is_rejected(sim: Simulator) -> None:
    """Wrong credentials get the OAuth2 invalid_client error with 401."""
    form = {**_credentials(sim), "client_secret": "nope"}
    response = _token(sim, **form)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert _token(sim, grant_type="password").json()["error"] == "unsupported_grant_type"


def test_issued_token_expires_with_the_clock() -> None:
    """A token with a 5 s lifetime works, then fails with 'Expired JWT Token' 5 s later."""
    sim = make_sim(token_lifetime=5)
    token = _token(sim, **_credentials(sim)).json()["access_token"]
    with client_for(sim, token) as api:
        assert api.get(ORDERS).status_code == 200
        sim.clock.advance(5)
        response = api.get(ORDERS)
    assert response.status_code == 401
    assert response.json()["detail"] == "Expired JWT Token"


def test_refresh_token_grant_gives_a_new_token() -> None:
    """refresh_token grant works before expiry and is refused after it."""
    sim = make_sim(token_lifetime=60)
    issued = _token(sim, **_credentials(sim)).json()
    refreshed = _token(sim, grant_type="refresh_token", refresh_token=issued["refresh_token"])
    assert refreshed.status_code == 200
    assert refreshed.json()["access_token"] != issued["access_token"]
    sim.clock.advance(61)
    late = _token(sim, grant_type="refresh_token", refresh_token=issued["refresh_token"])
    assert late.status_code == 400
    assert late.json()["error"] == "invalid_grant"


def test_refresh_token_is_not_a_bearer_token(sim: Simulator) -> None:
    """Using the refresh token on the API is refused."""
    refresh = _token(sim, **_credentials(sim)).json()["refresh_token"]
    with client_for(sim, refresh) as api:
        assert api.get(ORDERS).status_code == 401


def test_organizations_never_see_each_other() -> None:
    """A second organization's token lists its own orders and gets 404 on the first's."""
    sim = make_sim(organizations=2, orders=40)
    first = next(sim.orders_truth(0))
    other = sim.organization(1)
    assert other["token"] != sim.token
    with client_for(sim, other["token"]) as api:
        listed = api.get(ORDERS, params={"itemsPerPage": 50}).json()["member"]
        assert api.get(first["@id"]).status_code == 404
        assert api.get(first["reservation"]).status_code == 404
        catalog = next(iter(sim.catalogue_truth(0)["catalogs"]))
        assert api.get(catalog["@id"]).status_code == 404
        assert api.get(first["items"][0]["tickets"][0]["@id"]).status_code == 404
    assert {o["id"] for o in listed}.isdisjoint({o["id"] for o in sim.orders_truth(0)})
    assert all(o["organization"] == other["iri"] for o in listed)


def test_second_organization_has_its_own_client(sim: Simulator) -> None:
    """Client credentials of organization 1 give a token that sees organization 1's data."""
    two = make_sim(organizations=2, orders=5)
    creds = two.organization(1)
    form = {"grant_type": "client_credentials", "client_id": creds["client_id"]}
    token = _token(two, **form, client_secret=creds["client_secret"]).json()["access_token"]
    with client_for(two, token) as api:
        members = api.get(ORDERS).json()["member"]
    assert {m["organization"] for m in members} == {creds["iri"]}
