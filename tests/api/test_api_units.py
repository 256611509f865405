"""Pure pieces of korsync.api: Retry-After parsing, the retry policy, token caching, the rate
limiter and URL redaction, driven with fake clocks (no sleeping, no I/O)."""

import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from korsync.api import ClientOptions
from korsync.api.auth import OidcTokens, TokenGrant, authorization_value, parse_token_response
from korsync.api.errors import DeadlineExceededError, Redactor, RetriesExhaustedError, redact_url
from korsync.api.retries import Backoff, RetryableError, RetryPolicy, parse_retry_after
from korsync.api.throttle import RateLimiter


class FakeClock:
    """A monotonic clock that only moves when told to (or when something sleeps on it)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        ("0", 0.0),
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        (format_datetime(NOW - timedelta(seconds=90), usegmt=True), 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-3", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    """Retry-After is read as seconds or an HTTP date (past dates give 0, garbage None)."""
    assert parse_retry_after(value, now=NOW) == expected


def make_policy(clock: FakeClock, attempts: int = 5, deadline: float = 60.0) -> RetryPolicy:
    """A policy with a 1 s initial backoff on the fake clock."""
    backoff = Backoff(initial=1.0, maximum=8.0, jitter=0.0)
    return RetryPolicy("GET", "http://x/y", attempts, deadline, backoff, clock=clock)


def test_policy_backs_off_exponentially_on_retry_after_zero_or_missing() -> None:
    """Retry-After 0 or none means stamina's exponential backoff (True), never an instant retry."""
    policy = make_policy(FakeClock())
    assert policy(RetryableError("HTTP 429", status=429, retry_after=0.0)) is True
    assert policy(RetryableError("HTTP 503", status=503)) is True


def test_policy_honours_retry_after_above_the_floor() -> None:
    """A Retry-After in seconds becomes the wait, but never below the exponential floor."""
    policy = make_policy(FakeClock())
    assert policy(RetryableError("HTTP 429", status=429, retry_after=5.0)) == 5.0
    policy(RetryableError("HTTP 503", status=503))
    assert policy(RetryableError("HTTP 429", status=429, retry_after=0.5)) == 4.0


def test_policy_refuses_other_exceptions() -> None:
    """Only RetryableError is retried."""
    assert make_policy(FakeClock())(ValueError("boom")) is False


def test_policy_stops_at_max_attempts() -> None:
    """After max_attempts failures the hook says no and give_up reports the attempts."""
    policy = make_policy(FakeClock(), attempts=3)
    exc = RetryableError("HTTP 502", status=502)
    assert [policy(exc), policy(exc), policy(exc)] == [True, True, False]
    error = policy.give_up(exc)
    assert type(error) is RetriesExhaustedError
    assert (error.attempts, error.status) == (3, 502)
    assert "http://x/y" in str(error) and "502" in str(error)


def test_policy_gives_up_when_retry_after_passes_the_deadline() -> None:
    """A Retry-After longer than the time left ends the retries with DeadlineExceededError."""
    policy = make_policy(FakeClock(), deadline=30.0)
    exc = RetryableError("HTTP 429", status=429, retry_after=3600.0)
    assert policy(exc) is False
    error = policy.give_up(exc)
    assert isinstance(error, DeadlineExceededError)
    assert "Retry-After of 3600s" in str(error) and "last status 429" in str(error)


def test_policy_gives_up_when_backoff_passes_the_deadline() -> None:
    """Once elapsed time plus the next backoff exceeds the deadline, no more attempts."""
    clock = FakeClock()
    policy = make_policy(clock, attempts=50, deadline=10.0)
    exc = RetryableError("ReadTimeout: timed out")
    assert policy(exc) is True
    clock.now += 9.5
    assert policy(exc) is False
    assert isinstance(policy.give_up(exc), DeadlineExceededError)


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


def test_rate_limiter_spaces_starts() -> None:
    """Requests arriving together are spaced 1/rate apart; later arrivals wait only as needed."""
    clock = FakeClock()
    limiter = RateLimiter(4.0, clock=clock, sleep=clock.sleep)
    waits = [limiter.acquire() for _ in range(4)]
    assert waits == [0.0, 0.25, 0.5, 0.75]
    clock.now += 10
    assert limiter.acquire() == 0.0
    assert clock.sleeps == [0.25, 0.5, 0.75]


def test_redact_url_masks_credentials_only() -> None:
    """Passwords and credential-like query values are masked, other params kept verbatim."""
    url = "https://u:pw@h/p?access_token=abc&page=2&X-Goog-Signature=zz"
    assert redact_url(url) == "https://***@h/p?access_token=***&page=2&X-Goog-Signature=***"
    plain = "https://h/v1/booking/orders?createdAt%5Bafter%5D=x&page=2"
    assert redact_url(plain) == plain


def test_redactor_scrubs_known_secrets() -> None:
    """Every known secret is masked wherever it appears; repr shows none."""
    redactor = Redactor("s3cr3t-token", None, "")
    redactor.add("another-secret")
    text = redactor.scrub("a s3cr3t-token b another-secret")
    assert text == "a *** b ***"
    assert "s3cr3t" not in repr(redactor)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "set token, or client_id"),
        ({"token": "  "}, "token is empty"),
        ({"token": "t", "client_id": "c"}, "not both"),
        ({"client_id": "c", "client_secret": "super-secret-value"}, "token_url"),
        ({"token": "t", "page_size": 51}, "page_size"),
        ({"token": "t", "rate_limit_per_s": 0}, "rate_limit_per_s"),
    ],
)
def test_client_options_validation(options: dict[str, object], message: str) -> None:
    """Bad option sets are refused with a message that never repeats a secret."""
    with pytest.raises(ValueError, match=message) as caught:
        ClientOptions(base_url="http://x", **options)  # type: ignore[arg-type]
    assert "super-secret-value" not in str(caught.value)


def test_client_options_repr_hides_secrets() -> None:
    """Neither the token nor the client secret appears in the options' repr."""
    shown = repr(ClientOptions(base_url="http://x", token="tok-123456"))
    shown += repr(
        ClientOptions("http://x", client_id="c", client_secret="sec-123456", token_url="/t")
    )
    assert "tok-123456" not in shown and "sec-123456" not in shown
