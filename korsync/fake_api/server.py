"""A real HTTP/1.1 server for the simulator, on the standard library alone.

``serve(sim)`` runs a threaded server (one thread per connection, keep-alive, idle
connections closed after a minute) in a background thread and yields its base URL. The small
WSGI adapter here gives the app what only a socket can do: ``reset`` closes the connection
with a TCP RST and no response, a ``truncated`` body is cut short and the connection closed
(the client sees an incomplete message), and ``slow`` really stalls. No access log is written.
"""

from __future__ import annotations

import contextlib
import io
import socket
import struct
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from korsync.fake_api.app import ABORT_KEY, CLOSE_KEY, SERVER_KEY

if TYPE_CHECKING:
    from korsync.fake_api.app import Application
    from korsync.fake_api.simulator import Simulator

_IDLE_SECONDS = 60


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], app: Application, family: int) -> None:
        self.address_family = family
        self.app = app
        self._lock = threading.Lock()
        self.open: set[socket.socket] = set()
        self.resets: set[socket.socket] = set()
        super().__init__(address, _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        with self._lock:
            self.open.add(connection)
        return connection, address

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            self.open.discard(request)
            reset = request in self.resets
            self.resets.discard(request)
        if reset:  # no FIN first: the peer must see a reset
            self.close_request(request)
        else:
            super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, OSError)):
            super().handle_error(request, client_address)

    def close_all(self) -> None:
        with self._lock:
            connections = list(self.open)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, the body of a small response
    # waits for the client's delayed ACK (40 ms per request on Linux).
    disable_nagle_algorithm = True
    server_version = "korsync-fake-api"
    sys_version = ""
    timeout = _IDLE_SECONDS
    server: _Server

    def version_string(self) -> str:
        """The ``Server`` header."""
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """No access log."""

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _environ(self, body: bytes, aborted: list[bool]) -> dict[str, Any]:
        path, _, query = self.path.partition("?")
        host, port = self.server.server_address[:2]
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path, encoding="latin-1"),
            "QUERY_STRING": query,
            "SERVER_NAME": str(host),
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            SERVER_KEY: True,
            ABORT_KEY: lambda: aborted.append(True),
        }
        for key, value in self.headers.items():
            name = "HTTP_" + key.upper().replace("-", "_")
            if name not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                environ[name] = f"{environ[name]},{value}" if name in environ else value
        return environ

    def _run(self) -> None:
        aborted: list[bool] = []
        environ = self._environ(self._body(), aborted)
        started: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            started[:] = [status, headers]
            return self.wfile.write

        chunks = self.server.app(environ, start_response)
        if aborted:
            self._reset()
            return
        self._write(started[0], started[1], chunks, bool(environ.get(CLOSE_KEY)))

    def _reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with self.server._lock:
            self.server.resets.add(self.connection)
        self.close_connection = True

    def _write(self, status: str, headers: list[tuple[str, str]], chunks: Any, close: bool) -> None:
        code, _, phrase = status.partition(" ")
        self.send_response(int(code), phrase)
        names = {name.lower() for name, _ in headers}
        chunked = "content-length" not in names and int(code) not in (204, 304)
        for name, value in headers:
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        if close or self.headers.get("Connection", "").lower() == "close":
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        for chunk in chunks:
            if chunk:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _run


@contextlib.contextmanager
def serve(sim: Simulator, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``sim`` over HTTP in a background thread; yields the base URL.

    ``port=0`` picks a free port. The server stops (and drops open connections) on exit.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server = _Server((host, port), sim.wsgi, family)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="korsync-fake-api",
        daemon=True,
    )
    thread.start()
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    try:
        yield f"http://{shown}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.close_all()
        server.server_close()
        thread.join(timeout=5)
