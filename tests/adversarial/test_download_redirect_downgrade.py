"""A download source on https (advisories, official-package data, vet's index) redirecting to
plain http: the redirect was followed, so an https-only source (SECURITY.md: advisories are
fetched over https only, or from loopback) was read from a cleartext answer that anyone on the
path could rewrite, e.g. a later ``modified`` that silences a malicious package's advisory."""

from __future__ import annotations

import contextlib
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from loopback import answering
from mcpward._http import DownloadError, download


def _server(
    location: str | None, hits: list[str], context: ssl.SSLContext | None = None
) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), answering(b'{"forged": true}', hits, location=location))
    server.daemon_threads = True
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@contextlib.contextmanager
def _https_to_http(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    cleartext_hits: list[str] = []
    cleartext = _server(None, cleartext_hits)
    secure = _server(f"http://127.0.0.1:{cleartext.server_address[1]}/advisories.json", [], context)
    try:
        yield f"https://127.0.0.1:{secure.server_address[1]}/advisories.json", cleartext_hits
    finally:
        for server in (secure, cleartext):
            server.shutdown()
            server.server_close()


def test_an_https_source_redirecting_to_plain_http_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _https_to_http(tmp_path) as (url, cleartext_hits):
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "cert.pem"))
        with pytest.raises(DownloadError, match="plain http"):
            download(url, 1 << 20)
    assert cleartext_hits == []


def test_a_redirect_that_keeps_the_scheme_is_still_followed() -> None:
    hits: list[str] = []
    target = _server(None, hits)
    first = _server(f"http://127.0.0.1:{target.server_address[1]}/moved.json", [])
    try:
        assert download(f"http://127.0.0.1:{first.server_address[1]}/a.json", 1 << 20) == b'{"forged": true}'
    finally:
        for server in (first, target):
            server.shutdown()
            server.server_close()
    assert hits == ["/moved.json"]


def test_a_download_that_drips_ends_in_bounded_time() -> None:
    """A source answering one byte every 0.1 s: the timeout bounds each read, so the download
    went on as long as the drip did (vet, advisories and identity refreshes hung)."""

    class Drip(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            with contextlib.suppress(OSError):
                for _ in range(100):  # bounded: 10 s
                    time.sleep(0.1)
                    self.wfile.write(b" ")
                    self.wfile.flush()
            self.close_connection = True

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Drip)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises(DownloadError, match="too long"):
            download(f"http://127.0.0.1:{server.server_address[1]}/a.json", 1 << 20, deadline=1.0)
    finally:
        server.shutdown()
        server.server_close()
    assert time.monotonic() - started < 5
