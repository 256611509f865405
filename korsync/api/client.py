"""The KorusTicket HTTP client: one ``httpx.Client`` per run, with auth, retries and throttling.

``ApiClient`` is built from ``ClientOptions`` (the CLI fills them from settings; tests pass a
transport such as the simulator's ``httpx.WSGITransport``). ``get_json`` fetches one JSON-LD
object; ``iter_pages`` walks a Hydra collection page by page so the caller can commit each.
Every request goes through a ``stamina`` retry loop steered by ``RetryPolicy`` and through
``ThrottledTransport``, which keeps to the client's adaptive ``Pace`` (shared by all threads;
given by the caller when several clients share one, as in the daemon). A 404 raises
``NotFoundError`` for callers that tolerate absent endpoints; other failures raise the
``ApiError`` family, whose messages carry the redacted URL and the last status, never a secret.
``probe`` is ``korsync check``'s one GET without retries that reports whatever answered.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import json
import logging
import ssl
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx
import orjson
import stamina

from korsync import __version__
from korsync.api.auth import (
    DEFAULT_SCHEME,
    NO_SCHEME,
    OidcTokens,
    StaticToken,
    TokenAuth,
    TokenGrant,
    TokenSource,
    check_auth_scheme,
    parse_token_response,
)
from korsync.api.errors import (
    ApiError,
    AuthError,
    NotFoundError,
    Redactor,
    StatusError,
    redact_url,
)
from korsync.api.origin import require_same_origin, warn_if_clear_text
from korsync.api.pace import MAX_CONCURRENCY, Pace
from korsync.api.pagination import PAGE_SIZE, HydraPaginator, Page
from korsync.api.retries import (
    RETRY_STATUSES,
    Backoff,
    RetryableError,
    RetryPolicy,
    parse_retry_after,
    quiet_stamina_logging,
)
from korsync.api.throttle import ThrottledTransport

log = logging.getLogger("korsync.api")

Scalar = str | int | float | bool | None
Params = Mapping[str, Scalar | Sequence[Scalar]]

_RETRYABLE_TRANSPORT_ERRORS = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    ConnectionError,
)
_DETAIL_CHARS = 200


@dataclass(frozen=True)
class Probe:
    """What one ``ApiClient.probe`` got: the status (``None`` when nothing answered), the
    server's ``Date``, the body when it is a JSON object, and why it failed (``None`` on a 2xx
    JSON object). ``url`` is redacted; ``error`` never holds a secret."""

    url: str
    status: int | None
    date: dt.datetime | None = None
    body: dict[str, Any] | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """A 2xx answer whose body is a JSON object."""
        return self.error is None and self.body is not None


@dataclass(frozen=True)
class ClientOptions:
    """Everything an ``ApiClient`` needs; exactly one of ``token`` or client credentials.

    ``token_url`` may be absolute (the OIDC issuer is usually another host) or a path on
    ``base_url``. ``auth_scheme`` goes before the token (static or OIDC) in ``Authorization``;
    ``none`` sends the token alone. Retries stop after ``max_attempts`` attempts or when the
    next one could not start within ``deadline_s`` of the first; an attempt in flight may add
    one ``timeout_s``. ``rate_limit_per_s`` and ``max_concurrency`` are optional hard ceilings
    on the pace; ``adaptive=False`` keeps the pace at them instead of learning it (probes, an
    in-process simulator).
    """

    base_url: str
    token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    token_url: str | None = None
    auth_scheme: str = DEFAULT_SCHEME
    language: str | None = None
    connect_timeout_s: float = 10.0
    timeout_s: float = 30.0
    rate_limit_per_s: float | None = None
    max_concurrency: int | None = None
    adaptive: bool = True
    max_attempts: int = 6
    deadline_s: float = 300.0
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    backoff_jitter_s: float = 1.0
    page_size: int = PAGE_SIZE

    def __post_init__(self) -> None:
        self._check_auth()
        object.__setattr__(self, "auth_scheme", check_auth_scheme(self.auth_scheme))
        if not 1 <= self.page_size <= PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {PAGE_SIZE}")
        if self.max_attempts < 1 or (self.max_concurrency is not None and self.max_concurrency < 1):
            raise ValueError("max_attempts and max_concurrency must be at least 1")
        positive = (self.backoff_initial_s, self.deadline_s, self.timeout_s, self.connect_timeout_s)
        if min(positive) <= 0 or (self.rate_limit_per_s is not None and self.rate_limit_per_s <= 0):
            raise ValueError(
                "timeouts, backoff_initial_s, deadline_s and rate_limit_per_s must be > 0"
            )

    def _check_auth(self) -> None:
        """Exactly one of a non-empty token or complete client credentials (never echoed)."""
        oidc = (self.client_id, self.client_secret, self.token_url)
        if self.token is not None and not self.token.strip():
            raise ValueError("token is empty")
        if self.token is None and not all(oidc):
            raise ValueError("set token, or client_id, client_secret and token_url")
        if self.token is not None and any(oidc):
            raise ValueError("set either token or client credentials, not both")


def _headers(options: ClientOptions) -> dict[str, str]:
    """Headers sent on every API request."""
    headers = {"Accept": "application/ld+json", "User-Agent": f"korsync/{__version__}"}
    if options.language:
        headers["Accept-Language"] = options.language
    return headers


def pooled_transport(max_concurrency: int | None) -> httpx.HTTPTransport:
    """Pooled HTTP/1.1 with keep-alive, a connection for each request the pace may send at once."""
    size = (max_concurrency or MAX_CONCURRENCY) + 2  # headroom for a token request
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    return httpx.HTTPTransport(verify=tls_context(), limits=limits, retries=0)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default certificate verification (certifi's roots, or ``SSL_CERT_FILE`` /
    ``SSL_CERT_DIR``), built once per process and shared by every client: each context holds
    its own copy of the roots, ~0.9 MB and ~10 ms to load, which a daemon with an accounts file
    would otherwise pay per account."""
    return httpx.create_ssl_context()


def options_pace(options: ClientOptions, share: int = 1) -> Pace:
    """A new adaptive pace within the options' ceilings (``share``: see ``Pace``)."""
    return Pace(
        max_rate=options.rate_limit_per_s,
        max_concurrency=options.max_concurrency,
        share=share,
        adaptive=options.adaptive,
    )


def _problem_detail(response: httpx.Response) -> str:
    """``": title: detail"`` from a problem document (or OAuth2 error body), or ``""``."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    keys = ("title", "detail", "error", "error_description")  # problem document or OAuth2 error
    parts = [str(body[k]) for k in keys if isinstance(body.get(k), str | int)]
    text = ": ".join(dict.fromkeys(parts))  # title and detail are often the same
    return f": {text[:_DETAIL_CHARS]}" if text else ""


def _http_date(value: str | None) -> dt.datetime | None:
    """A ``Date`` header as an aware UTC datetime, ``None`` when absent or unreadable."""
    try:
        parsed = email.utils.parsedate_to_datetime(value or "")
    except (TypeError, ValueError):
        return None
    return parsed.astimezone(dt.UTC) if parsed.tzinfo is not None else None


def _loads(content: bytes) -> Any:
    """Parse JSON with orjson (half the time of json on a page of orders); json takes what
    orjson refuses but Python reads (integers beyond 64 bits, NaN) and names real errors."""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)


def _release(response: httpx.Response) -> None:
    """Let ``response`` and its body go as soon as nothing uses them. httpx binds each response
    and its stream to each other, a cycle only the garbage collector frees: with its threshold
    raised (``korsync.cli.memory``), dozens of page bodies (~170 kB each) per walker waited for
    it. The body has been read, so the stream is replaced by an empty one."""
    response.stream = httpx.ByteStream(b"")


def _json_object(response: httpx.Response) -> dict[str, Any]:
    """The body as a JSON object; a ``RetryableError`` when it is not (truncated, HTML…)."""
    try:
        body = _loads(response.content)
    except ValueError:
        size = len(response.content)
        raise RetryableError(f"response body is not valid JSON ({size} bytes)") from None
    if not isinstance(body, dict):
        raise RetryableError(f"response body is a JSON {type(body).__name__}, not an object")
    return body


class ApiClient:
    """A KorusTicket API session; thread-safe, use as a context manager or ``close()`` it."""

    def __init__(
        self,
        options: ClientOptions,
        *,
        transport: httpx.BaseTransport | None = None,
        pace: Pace | None = None,
    ) -> None:
        self.options = options
        self.pace = pace or options_pace(options)
        inner = ThrottledTransport(
            transport or pooled_transport(options.max_concurrency), self.pace
        )
        self._redactor = Redactor(options.token, options.client_secret)
        self._backoff = Backoff(
            options.backoff_initial_s, options.backoff_max_s, options.backoff_jitter_s
        )
        self._http = httpx.Client(
            base_url=options.base_url,
            headers=_headers(options),
            timeout=httpx.Timeout(options.timeout_s, connect=options.connect_timeout_s),
            transport=inner,
            follow_redirects=False,
        )
        self._auth = TokenAuth(self._token_source(), options.auth_scheme)
        quiet_stamina_logging()
        self._origin = httpx.URL(options.base_url)
        warn_if_clear_text(redact_url(options.base_url), "KORSYNC_API_URL")
        if options.token_url and options.token_url.startswith("http"):
            warn_if_clear_text(redact_url(options.token_url), "KORSYNC_TOKEN_URL")

    def _token_source(self) -> TokenSource:
        if self.options.token is not None:
            return StaticToken(self.options.token)
        return OidcTokens(self._fetch_token, on_token=self._redactor.add)

    def get_json(self, path_or_url: str, params: Params | None = None) -> dict[str, Any]:
        """GET one JSON-LD object; ``NotFoundError`` on 404, other ``ApiError``s after retries."""
        return self._request_json("GET", path_or_url, params=params, auth=self._auth)

    def iter_pages(self, path: str, params: Params | None = None) -> Iterator[Page]:
        """Yield each page of the Hydra collection at ``path`` (``itemsPerPage`` set for you).

        Raises ``PaginationError`` when the walk cannot be completed safely (see
        ``korsync.api.pagination``), after yielding every page that was sound.
        """
        first = self._http.build_request("GET", path, params=params).url
        pager = HydraPaginator(first, page_size=self.options.page_size)
        while (request := pager.next_request()) is not None:
            if request.refetch:
                log.warning(
                    "page %d repeats the previous page; fetching it once more: %s",
                    request.page,
                    self._redactor.url(str(request.url)),
                )
            body = self._request_json("GET", request.url, auth=self._auth)
            page = pager.accept(request, body)
            if page is not None:
                yield page

    def probe(
        self, path: str, params: Params | None = None, *, authenticated: bool = True
    ) -> Probe:
        """One GET of ``path`` without retries, for ``korsync check``: whatever answers (any
        status) or fails (no connection, a refused client secret) is described, not raised."""
        request = self._http.build_request("GET", path, params=params)
        shown = self._redactor.url(str(request.url))
        try:
            response = self._http.send(request, auth=self._auth if authenticated else None)
        except ApiError as exc:  # from the token endpoint, before the GET was sent
            return Probe(shown, None, error=exc.reason)
        except _RETRYABLE_TRANSPORT_ERRORS as exc:
            detail = self._redactor.scrub(str(exc))[:_DETAIL_CHARS] or "no detail"
            return Probe(shown, None, error=f"{type(exc).__name__}: {detail}")
        date, status = _http_date(response.headers.get("Date")), response.status_code
        if not response.is_success:
            detail = self._redactor.scrub(_problem_detail(response))
            return Probe(
                shown, status, date, error=f"HTTP {status} {response.reason_phrase}{detail}"
            )
        try:
            return Probe(shown, status, date, body=_json_object(response))
        except RetryableError as exc:
            return Probe(shown, status, date, error=str(exc))

    def _fetch_token(self) -> TokenGrant:
        """POST the client-credentials grant; ``AuthError`` when refused or unreadable."""
        assert self.options.token_url is not None  # checked by ClientOptions
        data = {
            "grant_type": "client_credentials",
            "client_id": self.options.client_id or "",
            "client_secret": self.options.client_secret or "",
        }
        try:
            body = self._request_json(
                "POST",
                self.options.token_url,
                data=data,
                headers={"Accept": "application/json"},
                auth=None,
            )
            return parse_token_response(body)
        except (AuthError, StatusError) as exc:
            message = f"the token endpoint refused the client credentials ({exc.reason})"
            raise AuthError(message, url=exc.url, status=exc.status) from None
        except ValueError as exc:
            url = self._redactor.url(self.options.token_url)
            raise AuthError(f"unusable token response: {exc}", url=url, status=200) from None

    def _request_json(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        auth: httpx.Auth | None,
        params: Params | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Send one request with retries and return its JSON object body."""
        request = self._http.build_request(method, url, params=params, data=data, headers=headers)
        if auth is not None:
            require_same_origin(request.url, self._origin)
        shown = self._redactor.url(str(request.url))
        policy = RetryPolicy(
            method, shown, self.options.max_attempts, self.options.deadline_s, self._backoff
        )
        try:
            for attempt in stamina.retry_context(
                on=policy,
                attempts=self.options.max_attempts,
                timeout=None,  # the policy keeps the deadline, Retry-After included
                wait_initial=self._backoff.initial,
                wait_max=self._backoff.maximum,
                wait_jitter=self._backoff.jitter,
            ):
                with attempt:
                    return self._attempt(request, shown, auth)
        except RetryableError as exc:
            raise policy.give_up(exc) from exc
        raise AssertionError("unreachable: stamina either returns or raises")

    def _attempt(
        self, request: httpx.Request, shown: str, auth: httpx.Auth | None
    ) -> dict[str, Any]:
        """One attempt: the JSON object, a ``RetryableError``, or a final ``ApiError``."""
        try:
            response = self._http.send(request, auth=auth)
        except _RETRYABLE_TRANSPORT_ERRORS as exc:
            detail = self._redactor.scrub(str(exc))[:_DETAIL_CHARS] or "no detail"
            raise RetryableError(f"{type(exc).__name__}: {detail}") from exc
        log.debug("%s %s -> %d", request.method, shown, response.status_code)
        try:
            if response.is_success:
                return _json_object(response)
            raise self._status_error(response, shown, authenticated=auth is not None)
        finally:
            _release(response)

    def _status_error(
        self, response: httpx.Response, shown: str, *, authenticated: bool
    ) -> Exception:
        """The exception for a non-2xx response: retryable or final."""
        status = response.status_code
        if status in RETRY_STATUSES:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            return RetryableError(f"HTTP {status}", status=status, retry_after=retry_after)
        detail = self._redactor.scrub(_problem_detail(response))
        if status == httpx.codes.UNAUTHORIZED:
            why = self._unauthorized_reason() if authenticated else "HTTP 401 Unauthorized"
            hint = self._header_hint() if authenticated else ""
            return AuthError(why + detail + hint, url=shown, status=status)
        if status == httpx.codes.NOT_FOUND:
            return NotFoundError(f"HTTP 404 Not Found{detail}", url=shown, status=status)
        return StatusError(
            f"HTTP {status} {response.reason_phrase}{detail}", url=shown, status=status
        )

    def _unauthorized_reason(self) -> str:
        if self.options.token is not None:
            return "HTTP 401 Unauthorized: the API token was refused"
        return "HTTP 401 Unauthorized even with a freshly fetched token"

    def _header_hint(self) -> str:
        """How ``Authorization`` was formed, for a 401's message (the token never shown)."""
        scheme = self.options.auth_scheme
        sent = "the token alone" if scheme == NO_SCHEME else f"'{scheme} <token>'"
        return f" (Authorization was {sent}, KORSYNC_API_AUTH_SCHEME; korsync check tries both)"

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "static token" if self.options.token is not None else "client credentials"
        return f"ApiClient({self._redactor.url(self.options.base_url)!r}, {mode})"
