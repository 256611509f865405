"""Bearer tokens: static ones per organization and the OIDC token endpoint's issued ones.

``TokenStore.grant`` answers the Keycloak-style token endpoint (form-encoded
``client_credentials`` and ``refresh_token`` grants) with JWT-shaped tokens whose ``exp`` is
real; ``authenticate`` maps an ``Authorization`` header (``Bearer <token>``, or the token alone
when ``bare``) to an organization or explains the 401. Expiry follows the simulator's clock,
so tests expire tokens by moving the clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from korsync.fake_api.keys import digest

TOKEN_PATH = "/realms/korusticket/protocol/openid-connect/token"  # noqa: S105 - a path
ISSUER = "https://auth.korusticket.com/realms/korusticket"
_MAX_ISSUED = 10_000  # past this many issued tokens, expired ones are forgotten


@dataclass(frozen=True)
class Credentials:
    """How one organization authenticates."""

    org: int
    client_id: str
    client_secret: str
    static_token: str


def credentials(seed: int, org: int) -> Credentials:
    """The deterministic credentials of organization ``org``."""
    secret = f"{digest(seed, org, 0x5EC):016x}{digest(seed, org, 0x5ED):016x}"
    token = f"kt-sim-{org}-{digest(seed, org, 0x70C):016x}{digest(seed, org, 0x70D):016x}"
    return Credentials(org, f"korsync-sim-{org}", secret, token)


class AuthError(Exception):
    """A rejected token request: OAuth2 ``error`` code, description and HTTP status."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description

    def body(self) -> dict[str, str]:
        """The OAuth2 error body."""
        return {"error": self.error, "error_description": self.description}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class _Issued:
    org: int
    expires: float
    refresh: bool


class TokenStore:
    """Issues and checks tokens for every organization of one simulator."""

    def __init__(self, seed: int, organizations: list[Credentials]) -> None:
        self._seed = seed
        self._by_client = {c.client_id: c for c in organizations}
        self._static = {c.static_token: c.org for c in organizations}
        self._issued: dict[str, _Issued] = {}
        self._count = 0
        self._lock = threading.Lock()

    def _jwt(self, org: int, now: float, lifetime: int, kind: str) -> str:
        with self._lock:
            self._count += 1
            serial = self._count
        header = {"alg": "HS256", "typ": "JWT", "kid": "korsync-sim"}
        claims = {
            "exp": int(now) + lifetime,
            "iat": int(now),
            "jti": f"{digest(self._seed, org, serial):016x}",
            "iss": ISSUER,
            "azp": f"korsync-sim-{org}",
            "typ": kind,
        }
        signing = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        key = f"{self._seed}".encode()
        signature = hmac.new(key, signing.encode(), hashlib.sha256).digest()
        return f"{signing}.{_b64(signature)}"

    def grant(self, form_body: bytes, now: float, lifetime: int) -> dict[str, Any]:
        """The token endpoint's JSON for a form body; raises ``AuthError``."""
        form = dict(parse_qsl(form_body.decode("utf-8", "replace"), keep_blank_values=True))
        grant_type = form.get("grant_type")
        if grant_type == "client_credentials":
            org = self._client(form, required=True)
        elif grant_type == "refresh_token":
            org = self._refresh(form, now)
        else:
            raise AuthError(400, "unsupported_grant_type", "Unsupported grant_type")
        access, refresh = (
            self._jwt(org, now, lifetime, "Bearer"),
            self._jwt(org, now, lifetime, "Refresh"),
        )
        with self._lock:
            if len(self._issued) > _MAX_ISSUED:
                self._issued = {k: v for k, v in self._issued.items() if v.expires > now}
            self._issued[access] = _Issued(org, now + lifetime, False)
            self._issued[refresh] = _Issued(org, now + lifetime, True)
        return {
            "access_token": access,
            "expires_in": lifetime,
            "refresh_expires_in": lifetime,
            "refresh_token": refresh,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "scope": "profile email",
        }

    def _client(self, form: dict[str, str], required: bool) -> int:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if client_id is None and not required:
            return -1
        found = self._by_client.get(client_id or "")
        if found is None or not hmac.compare_digest(found.client_secret, secret or ""):
            raise AuthError(401, "invalid_client", "Invalid client or Invalid client credentials")
        return found.org

    def _refresh(self, form: dict[str, str], now: float) -> int:
        issued = self._issued.get(form.get("refresh_token", ""))
        if issued is None or not issued.refresh:
            raise AuthError(400, "invalid_grant", "Invalid refresh token")
        if issued.expires <= now:
            raise AuthError(400, "invalid_grant", "Token is not active")
        client = self._client(form, required=False)
        if client not in (-1, issued.org):
            raise AuthError(400, "invalid_grant", "Token client and authorized client don't match")
        return issued.org

    def authenticate(self, header: str | None, now: float, *, bare: bool = False) -> int | str:
        """The organization of an ``Authorization`` header, or why it is rejected: ``Bearer
        <token>``, or with ``bare`` the token alone (then a scheme in front is refused)."""
        if not header:
            return "JWT Token not found"
        if bare:
            token = header
        else:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer":
                return "JWT Token not found"
        token = token.strip()
        if not token:
            return "JWT Token not found"
        if token in self._static:
            return self._static[token]
        issued = self._issued.get(token)
        if issued is None or issued.refresh:
            return "Invalid JWT Token"
        if issued.expires <= now:
            return "Expired JWT Token"
        return issued.org
