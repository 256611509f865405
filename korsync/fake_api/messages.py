"""The simulator's request and response objects, independent of WSGI details.

``Request.from_environ`` reads what the routes need (method, path, parsed query, headers,
body); a ``Response`` keeps its JSON ``payload`` until the very end so faults can still change
it (extra fields, bad enum values, a repeated page) before ``encode`` turns it into bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from korsync.fake_api.hydra import ApiProblem, Query, problem

LD_JSON = "application/ld+json; charset=utf-8"
JSON = "application/json"


@dataclass
class Request:
    """One HTTP request."""

    method: str
    path: str
    query: Query
    headers: dict[str, str]
    body: bytes
    environ: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, environ: dict[str, Any]) -> Request:
        """Read a WSGI environ (the body is read whole; requests are small)."""
        headers = {
            key[5:].replace("_", "-").lower(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                headers[key.replace("_", "-").lower()] = str(environ[key])
        length = int(headers.get("content-length") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        return cls(
            method=str(environ.get("REQUEST_METHOD", "GET")).upper(),
            path=str(environ.get("PATH_INFO", "/")) or "/",
            query=Query(str(environ.get("QUERY_STRING", ""))),
            headers=headers,
            body=body,
            environ=environ,
        )

    def json(self) -> Any:
        """The body as JSON; raises ``ApiProblem`` (400) when it is not JSON."""
        try:
            return json.loads(self.body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise ApiProblem(400, "Syntax error") from None


@dataclass
class Response:
    """A response whose JSON body stays a Python object until ``encode``."""

    status: int
    payload: Any = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = LD_JSON
    raw: bytes | None = None
    stream: Iterable[bytes] | None = None

    def encode(self) -> bytes:
        """The body bytes."""
        if self.raw is not None:
            return self.raw
        if self.payload is None:
            return b""
        try:  # orjson: serving pages is most of the simulator's work in a benchmark
            return orjson.dumps(self.payload)
        except orjson.JSONEncodeError:  # what only json can write (integers beyond 64 bits)
            return json.dumps(self.payload, separators=(",", ":"), check_circular=False).encode()


def error_response(error: ApiProblem) -> Response:
    """The problem-document response of ``error``."""
    return Response(error.status, problem(error.status, error.detail, error.extra))
