"""The API's own origin — the scheme, host and port of ``KORSYNC_API_URL`` — which is the only
place the token is sent: a followed link naming another origin, or ``http`` where the API is
``https``, is refused before any request. Plain ``http`` off the loopback interface is allowed
(a test setup, a TLS-terminating sidecar) but warned about, since it carries the token in clear."""

from __future__ import annotations

import ipaddress
import logging

import httpx

from korsync.api.errors import ForeignOriginError, redact_url

log = logging.getLogger("korsync.api.origin")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: httpx.URL) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` with the scheme's default port filled in."""
    return url.scheme, url.host.lower(), url.port or _DEFAULT_PORTS.get(url.scheme)


def require_same_origin(url: httpx.URL, api: httpx.URL) -> None:
    """Raise ``ForeignOriginError`` unless ``url`` is on ``api``'s origin."""
    if origin_of(url) != origin_of(api):
        scheme, host, port = origin_of(api)
        raise ForeignOriginError(
            f"refusing a link away from the API's origin {scheme}://{host}:{port}; the token is"
            " only sent there",
            url=redact_url(str(url)),
        )


def warn_if_clear_text(url: str, what: str) -> None:
    """Log a warning when ``url`` is plain ``http`` to a host other than the loopback."""
    parsed = httpx.URL(url)
    if parsed.scheme == "http" and not _is_loopback(parsed.host):
        log.warning("%s %s is plain http: the token crosses the network unencrypted", what, url)


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
