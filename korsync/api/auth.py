"""Token authentication: a static token or OIDC client-credentials tokens, as an ``httpx.Auth``.

The ``Authorization`` value is the token behind a scheme, ``Bearer`` unless told otherwise
(``KORSYNC_API_AUTH_SCHEME``); the scheme ``none`` sends the token alone, as the API docs' curl
examples do (``Authorization: YOUR_API_KEY_HERE``). A token that already carries a scheme is sent
as is. ``StaticToken`` holds the configured token. ``OidcTokens`` caches the access token
returned by a ``fetch`` callable (the client's form POST of ``grant_type=client_credentials``)
and fetches a new one shortly before ``expires_in`` runs out; one lock makes concurrent threads
share a single fetch. ``TokenAuth`` sets the header and, on a 401, asks for a fresh token once
and resends; a second 401 is returned to the client, which raises ``AuthError``. No token
appears in any ``repr``.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

_HAS_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9._~+-]*\s+\S")
_SCHEME = re.compile(r"^[A-Za-z0-9-]+$")
DEFAULT_SCHEME = "Bearer"
NO_SCHEME = "none"  # the token is the whole header value
DEFAULT_EXPIRES_IN = 300.0
MAX_REFRESH_MARGIN_S = 300.0


def check_auth_scheme(scheme: str) -> str:
    """``scheme`` as korsync uses it: ``none`` (any case) or one word of letters, digits and
    ``-``; ``ValueError`` otherwise (the message never repeats the value: it may be a token
    pasted into the wrong variable)."""
    scheme = scheme.strip()
    if scheme.lower() == NO_SCHEME:
        return NO_SCHEME
    if not _SCHEME.fullmatch(scheme):
        raise ValueError(
            "must be one word of letters, digits and '-' (e.g. Bearer), or none to send the"
            " token alone"
        )
    return scheme


def authorization_value(token: str, scheme: str = DEFAULT_SCHEME) -> str:
    """The ``Authorization`` header for ``token``: the token alone for the scheme ``none``, as is
    when it already has a scheme, else ``<scheme> <token>``."""
    token = token.strip()
    if scheme == NO_SCHEME or _HAS_SCHEME.match(token):
        return token
    return f"{scheme} {token}"


@dataclass(frozen=True)
class TokenGrant:
    """An access token and its lifetime in seconds, as the token endpoint returned them."""

    access_token: str = field(repr=False)
    expires_in: float


def parse_token_response(body: Mapping[str, Any]) -> TokenGrant:
    """Read ``access_token`` and ``expires_in`` (default 300 s); ``ValueError`` when unusable."""
    token = body.get("access_token")
    if not isinstance(token, str) or not token.strip():
        raise ValueError("token response has no access_token")
    expires = body.get("expires_in")
    if isinstance(expires, bool) or not isinstance(expires, int | float) or expires <= 0:
        expires = DEFAULT_EXPIRES_IN
    return TokenGrant(access_token=token.strip(), expires_in=float(expires))


class TokenSource(Protocol):
    """Where ``TokenAuth`` gets its token."""

    @property
    def refreshable(self) -> bool: ...

    def token(self) -> str: ...

    def refresh(self, stale: str) -> str: ...


class StaticToken:
    """A configured token; a 401 cannot be cured by refreshing it."""

    refreshable = False

    def __init__(self, token: str) -> None:
        self._token = token

    def token(self) -> str:
        return self._token

    def refresh(self, stale: str) -> str:
        return self._token

    def __repr__(self) -> str:
        return "StaticToken(***)"


class OidcTokens:
    """Client-credentials tokens from ``fetch``, renewed a margin before they expire.

    The margin is a fifth of the lifetime, at most 300 s (a 30-minute token is renewed after
    25 minutes). ``on_token`` is told each new token (the client adds it to its redactor).
    """

    refreshable = True

    def __init__(
        self,
        fetch: Callable[[], TokenGrant],
        *,
        on_token: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._on_token = on_token
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0

    def token(self) -> str:
        """The cached token, fetching a new one first when it is missing or about to expire."""
        with self._lock:
            if self._token is None or self._clock() >= self._renew_at:
                return self._renew()
            return self._token

    def refresh(self, stale: str) -> str:
        """A token other than ``stale``: fetched now unless another thread already did."""
        with self._lock:
            if self._token is not None and self._token != stale:
                return self._token
            return self._renew()

    def _renew(self) -> str:
        """Fetch and cache a token; the caller holds the lock."""
        started = self._clock()
        grant = self._fetch()
        if self._on_token is not None:
            self._on_token(grant.access_token)
        margin = min(grant.expires_in / 5, MAX_REFRESH_MARGIN_S)
        self._token = grant.access_token
        self._renew_at = started + grant.expires_in - margin
        return grant.access_token

    def __repr__(self) -> str:
        return f"OidcTokens(cached={self._token is not None})"


class TokenAuth(httpx.Auth):
    """Sets ``Authorization`` (the token behind ``scheme``); on a 401 from a refreshable source,
    refreshes once and resends."""

    requires_response_body = True  # frees the connection before a token request

    def __init__(self, source: TokenSource, scheme: str = DEFAULT_SCHEME) -> None:
        self._source = source
        self.scheme = check_auth_scheme(scheme)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._source.token()
        request.headers["Authorization"] = authorization_value(token, self.scheme)
        response = yield request
        if response.status_code == httpx.codes.UNAUTHORIZED and self._source.refreshable:
            fresh = self._source.refresh(stale=token)
            request.headers["Authorization"] = authorization_value(fresh, self.scheme)
            yield request

    def __repr__(self) -> str:
        return f"TokenAuth({self._source!r}, scheme={self.scheme!r})"
