"""Helpers for korsync.api tests: a recording WSGI middleware in front of the simulator (what the
server saw), a harness building ApiClients on it, and a fake clock for the pure parts."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any

import httpx

from korsync.api import ApiClient, ClientOptions
from korsync.fake_api import Simulator

TOKEN = "static-token-0123456789"
BASE_URL = "http://korus.test"


Handler = Callable[[httpx.Request], httpx.Response]


def _read_body(environ: dict[str, Any]) -> bytes:
    """The request body, leaving a fresh copy for the app to read."""
    body: bytes = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    environ["wsgi.input"] = io.BytesIO(body)
    return body


class Recorder:
    """WSGI middleware in front of the simulator: records each request as the server sees it
    (method, path, query, Authorization, body, status) and the peak number served at once."""

    def __init__(self, app: Any, *, drop_api_auth: bool = False) -> None:
        self.app = app
        self.drop_api_auth = drop_api_auth
        self.requests: list[dict[str, Any]] = []
        self.peak = 0
        self._in_flight = 0
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        seen: dict[str, Any] = {
            "method": environ["REQUEST_METHOD"],
            "path": environ["PATH_INFO"],
            "query": environ.get("QUERY_STRING", ""),
            "authorization": environ.get("HTTP_AUTHORIZATION"),
            "status": None,
            "body": _read_body(environ),
        }
        if self.drop_api_auth and seen["path"].startswith("/v1/"):
            environ.pop("HTTP_AUTHORIZATION", None)  # a gateway that loses the header

        def recording_start(status: str, headers: Any, exc_info: Any = None) -> Any:
            seen["status"] = int(status.split()[0])
            return start_response(status, headers, exc_info)

        with self._lock:
            self.requests.append(seen)
            self._in_flight += 1
            self.peak = max(self.peak, self._in_flight)
        try:
            return self.app(environ, recording_start)
        finally:
            with self._lock:
                self._in_flight -= 1

    def paths(self, prefix: str = "") -> list[dict[str, Any]]:
        """The recorded requests whose path starts with ``prefix``."""
        return [r for r in self.requests if r["path"].startswith(prefix)]


class SimHarness:
    """A simulator, its recorder and a factory of ApiClients on its WSGI app."""

    def __init__(self, sim: Simulator, recorder: Recorder) -> None:
        self.sim = sim
        self.recorder = recorder
        self.clients: list[ApiClient] = []

    def client(self, *, oidc: bool = True, **options: Any) -> ApiClient:
        """An ApiClient on the simulator: OIDC client credentials unless ``oidc`` is false."""
        if oidc:
            options.setdefault("client_id", self.sim.client_id)
            options.setdefault("client_secret", self.sim.client_secret)
            options.setdefault("token_url", self.sim.token_path)
        else:
            options.setdefault("token", self.sim.token)
        options.setdefault("adaptive", False)
        transport = httpx.WSGITransport(app=self.recorder)
        client = ApiClient(ClientOptions(base_url=BASE_URL, **options), transport=transport)
        self.clients.append(client)
        return client

    def token_requests(self) -> list[dict[str, Any]]:
        """Requests the token endpoint received."""
        return self.recorder.paths(self.sim.token_path)

    def api_requests(self) -> list[dict[str, Any]]:
        """Requests the API routes received."""
        return self.recorder.paths("/v1/")


HarnessFactory = Callable[..., SimHarness]


class FakeClock:
    """A monotonic clock that only moves when told to (or when something sleeps on it)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
