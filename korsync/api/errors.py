"""Exceptions of the KorusTicket HTTP client, and the redaction that keeps secrets out of them.

Every error names the URL it concerns (query values that look like credentials and any URL
password replaced by ``***``) and the last HTTP status seen, if any. ``Redactor`` holds the
secrets a client knows (static token, client secret, fetched access tokens) and scrubs them
from any text before it goes into an exception or a log line.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
_SECRET_PARAM = re.compile(r"token|secret|passw|signature|credential", re.I)
_SECRET_PARAM_NAMES = frozenset({"key", "api_key", "apikey", "sig", "auth"})
_MIN_SECRET_LEN = 4


def _is_secret_param(name: str) -> bool:
    """Whether a query parameter of this name probably carries a credential."""
    return bool(_SECRET_PARAM.search(name)) or name.lower() in _SECRET_PARAM_NAMES


def redact_url(url: str) -> str:
    """Return ``url`` with its password and credential-like query values masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(_is_secret_param(name) for name, _ in pairs):  # else keep the query byte for byte
        query = urlencode([(k, MASK if _is_secret_param(k) else v) for k, v in pairs], safe="*[]")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class Redactor:
    """The secrets one client knows; ``scrub`` masks each of them in a text. Thread-safe."""

    def __init__(self, *secrets: str | None) -> None:
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Remember ``secret`` (ignored when empty or too short to mask meaningfully)."""
        if secret is None or len(secret) < _MIN_SECRET_LEN:
            return
        with self._lock:
            if secret not in self._secrets:
                # longest first, so a token that contains another secret is masked whole
                self._secrets = tuple(sorted((*self._secrets, secret), key=len, reverse=True))

    def scrub(self, text: str) -> str:
        """Return ``text`` with every known secret replaced by ``***``."""
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def url(self, url: str) -> str:
        """Return ``url`` redacted by shape (``redact_url``) and by the known secrets."""
        return self.scrub(redact_url(url))

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secrets)"


class ApiError(Exception):
    """Base of every client error; ``url`` is already redacted, ``status`` the last HTTP status."""

    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        self.url = url
        self.status = status
        self.reason = message
        last = "none" if status is None else str(status)
        super().__init__(f"{message} (url {url}, last status {last})")


class AuthError(ApiError):
    """Authentication failed for good: 401 after a token refresh, or the token endpoint refused."""


class StatusError(ApiError):
    """The server answered a status that is not retried (4xx other than 401/408/429, 501, 3xx…)."""


class NotFoundError(StatusError):
    """404: the resource (or, on the other catalogue model, the endpoint) does not exist."""


class RetriesExhaustedError(ApiError):
    """Every allowed attempt failed with a retryable error; ``attempts`` says how many were made."""

    def __init__(self, message: str, *, url: str, status: int | None, attempts: int) -> None:
        self.attempts = attempts
        super().__init__(message, url=url, status=status)


class DeadlineExceededError(RetriesExhaustedError):
    """The total retry deadline passed (or a ``Retry-After`` would carry past it)."""


class PaginationError(ApiError):
    """A collection walk cannot continue without risking skipped or duplicated data."""


class ForeignOriginError(ApiError):
    """A link (``next``, a document, any followed URL) leads away from the API's own origin
    (scheme, host and port of ``KORSYNC_API_URL``): it is not followed, so the token stays home."""
