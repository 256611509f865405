"""The API client verifies the server's certificate, with one TLS context shared by every
client of a process (a daemon with an accounts file has one client per account)."""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from korsync.api.client import pooled_transport


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def self_signed_server(tmp_path: Path) -> Iterator[str]:
    """An HTTPS server on a loopback port whose certificate no trusted root vouches for."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_certificate_no_trusted_root_vouches_for_is_refused(self_signed_server: str) -> None:
    """Sharing the context keeps verification on: a self-signed server is not talked to."""
    with (
        httpx.Client(transport=pooled_transport(4)) as client,
        pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        client.get(f"{self_signed_server}/v1/booking/orders")


def test_every_client_shares_one_tls_context() -> None:
    """Two clients' connection pools hold the same context (its roots loaded once)."""
    first, second = pooled_transport(4), pooled_transport(8)
    shared, other = (t._pool._ssl_context for t in (first, second))
    assert shared is not None and shared is other
    assert shared.verify_mode == ssl.CERT_REQUIRED and shared.check_hostname
