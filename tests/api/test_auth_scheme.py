"""``KORSYNC_API_AUTH_SCHEME``: the exact ``Authorization`` header the client sends, checked by
the simulator, which in its bare-key shape (``SimConfig(auth="bare")``) wants the token alone
as the API docs' curl examples send it and refuses ``Bearer <token>`` with a 401."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest

from korsync.api import AuthError
from korsync.api.auth import authorization_value, check_auth_scheme
from korsync.config import SettingsError, load_settings
from korsync.fake_api import SimConfig

if TYPE_CHECKING:
    from tests.support.api import HarnessFactory, SimHarness

ORDERS = "/v1/booking/orders"


@pytest.fixture
def bare(make_harness: HarnessFactory) -> SimHarness:
    """A simulator serving bare-key auth."""
    return make_harness(SimConfig(seed=7, orders=60, auth="bare"))


@pytest.mark.parametrize(
    ("token", "scheme", "header"),
    [
        ("abc", "Bearer", "Bearer abc"),
        ("abc", "none", "abc"),
        (" abc ", "none", "abc"),
        ("abc", "Token", "Token abc"),
        ("abc", "X-Api-Key", "X-Api-Key abc"),
        ("Bearer abc", "Token", "Bearer abc"),
    ],
)
def test_authorization_value_per_scheme(token: str, scheme: str, header: str) -> None:
    """``none`` sends the token alone; another word goes in front; a token that already has a
    scheme is sent as is."""
    assert authorization_value(token, scheme) == header


@pytest.mark.parametrize("value", ["", "Bearer abc", "Bear:er", "Bear\ter", "é"])
def test_scheme_must_be_one_plain_word(value: str) -> None:
    """A scheme with spaces or other characters is refused, without repeating the value."""
    with pytest.raises(ValueError, match="one word of letters, digits and '-'") as caught:
        check_auth_scheme(value)
    assert "abc" not in str(caught.value)


def test_setting_defaults_to_bearer_and_normalises_none() -> None:
    """``KORSYNC_API_AUTH_SCHEME`` is ``Bearer`` by default; ``NONE`` means ``none``."""
    assert load_settings().api_auth_scheme == "Bearer"
    assert load_settings(api_auth_scheme="NONE").api_auth_scheme == "none"
    assert load_settings(api_auth_scheme="Token").api_auth_scheme == "Token"


def test_bad_setting_names_the_variable_not_the_value() -> None:
    """A token pasted into the scheme's variable is refused without being echoed."""
    with pytest.raises(SettingsError, match="KORSYNC_API_AUTH_SCHEME") as caught:
        load_settings(api_auth_scheme="Bearer kt-secret-token-value")
    assert "kt-secret-token-value" not in str(caught.value)


def test_bare_key_is_sent_alone(bare: SimHarness) -> None:
    """With ``none`` the header is exactly the token, and the bare simulator serves the walk."""
    client = bare.client(oidc=False, auth_scheme="none")
    ids = [item["id"] for page in client.iter_pages(ORDERS) for item in page.items]
    assert len(set(ids)) == 60
    assert {r["authorization"] for r in bare.api_requests()} == {bare.sim.token}


def test_bearer_is_refused_by_a_bare_key_api(bare: SimHarness) -> None:
    """The default ``Bearer <token>`` gets a 401 from the bare simulator: one request, an
    AuthError naming the form that was sent and the setting, never the token."""
    with pytest.raises(AuthError, match="API token was refused") as caught:
        bare.client(oidc=False).get_json(ORDERS)
    assert [r["authorization"] for r in bare.api_requests()] == [f"Bearer {bare.sim.token}"]
    assert "'Bearer <token>'" in str(caught.value)
    assert "KORSYNC_API_AUTH_SCHEME" in str(caught.value)
    assert bare.sim.token not in str(caught.value)


def test_bare_key_is_refused_by_a_bearer_api(harness: SimHarness) -> None:
    """The default simulator refuses the token alone, so the two forms are really told apart."""
    with pytest.raises(AuthError, match="Authorization was the token alone"):
        harness.client(oidc=False, auth_scheme="none").get_json(ORDERS)
    assert [r["authorization"] for r in harness.api_requests()] == [harness.sim.token]


def test_other_scheme_word_is_sent_in_front(harness: SimHarness) -> None:
    """Any other word is the scheme: ``Token <token>`` (which this API refuses)."""
    with pytest.raises(AuthError):
        harness.client(oidc=False, auth_scheme="Token").get_json(ORDERS)
    assert [r["authorization"] for r in harness.api_requests()] == [f"Token {harness.sim.token}"]


def test_oidc_tokens_follow_the_scheme(bare: SimHarness) -> None:
    """OIDC access tokens go out in the configured form too (the vendor spec names the API key
    ``JWT``: the access token itself), so a bare-key API works with client credentials."""
    client = bare.client(auth_scheme="none")
    client.get_json(ORDERS)
    [sent] = [r["authorization"] for r in bare.api_requests()]
    assert sent.startswith("ey") and " " not in sent
    assert len(bare.token_requests()) == 1


def test_oidc_bearer_against_bare_key_api_is_refused_after_one_refresh(bare: SimHarness) -> None:
    """Client credentials with the wrong form: a 401, one fresh token, a second 401, then an
    AuthError that names the form."""
    with pytest.raises(AuthError, match=r"freshly fetched token.*'Bearer <token>'"):
        bare.client().get_json(ORDERS)
    assert [r["status"] for r in bare.api_requests()] == [401, 401]
    assert len(bare.token_requests()) == 2


def test_no_token_in_logs_errors_or_reprs_with_a_bare_key(
    caplog: pytest.LogCaptureFixture, bare: SimHarness
) -> None:
    """Sent alone, the token is still kept out of logs, errors and reprs."""
    caplog.set_level(logging.DEBUG)
    client = bare.client(oidc=False, auth_scheme="none", max_attempts=3)
    bare.sim.inject("503", count=3, path_prefix=ORDERS)
    with pytest.raises(Exception) as exhausted:
        client.get_json(ORDERS)
    with pytest.raises(AuthError) as refused:
        bare.client(oidc=False, token=bare.sim.token + "x", auth_scheme="none").get_json(ORDERS)
    shown = [caplog.text, repr(client), repr(client.options), repr(client._auth)]
    shown += [str(exhausted.value), str(refused.value)]
    assert "retrying GET" in caplog.text
    assert all(bare.sim.token not in text for text in shown)
