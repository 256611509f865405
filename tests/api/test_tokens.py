"""Tokens on their own: the Authorization value, token responses, and OIDC token caching and
renewal across threads, on a fake clock."""

import threading

import pytest

from korsync.api.auth import OidcTokens, TokenGrant, authorization_value, parse_token_response
from tests.support.api import FakeClock


@pytest.mark.parametrize(
    ("value", "header"),
    [
        ("abc", "Bearer abc"),
        (" abc ", "Bearer abc"),
        ("Bearer abc", "Bearer abc"),
        ("Token x", "Token x"),
    ],
)
def test_authorization_value(value: str, header: str) -> None:
    """A bare token gets the Bearer scheme; a value with a scheme is sent as is."""
    assert authorization_value(value) == header


def test_parse_token_response() -> None:
    """access_token is required; a missing or odd expires_in falls back to 300 s."""
    assert parse_token_response({"access_token": "t", "expires_in": 1800}).expires_in == 1800
    assert parse_token_response({"access_token": "t", "expires_in": "x"}).expires_in == 300
    with pytest.raises(ValueError, match="no access_token"):
        parse_token_response({"token_type": "Bearer"})


def test_oidc_tokens_cached_then_renewed_before_expiry() -> None:
    """A token is reused until a fifth of its lifetime (at most 300 s) before it expires."""
    clock = FakeClock()
    grants = iter([TokenGrant("one", 1800), TokenGrant("two", 1800)])
    tokens = OidcTokens(lambda: next(grants), clock=clock)
    assert tokens.token() == "one"
    clock.now += 1499
    assert tokens.token() == "one"
    clock.now += 1
    assert tokens.token() == "two"


def test_oidc_refresh_skips_when_another_thread_already_refreshed() -> None:
    """refresh(stale) fetches only when the cached token is still the stale one."""
    fetched: list[str] = []

    def fetch() -> TokenGrant:
        fetched.append(f"t{len(fetched)}")
        return TokenGrant(fetched[-1], 1800)

    tokens = OidcTokens(fetch)
    stale = tokens.token()
    assert tokens.refresh(stale) == "t1"
    assert tokens.refresh(stale) == "t1"
    assert fetched == ["t0", "t1"]


def test_oidc_tokens_one_fetch_for_many_threads() -> None:
    """Concurrent first calls share one token fetch."""
    calls = []
    gate = threading.Event()

    def fetch() -> TokenGrant:
        calls.append(1)
        gate.wait(1)
        return TokenGrant("shared", 1800)

    tokens = OidcTokens(fetch)
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(tokens.token())) for _ in range(8)]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join()
    assert results == ["shared"] * 8
    assert len(calls) == 1
