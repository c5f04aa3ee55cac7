"""A registry (or something in front of it) redirecting the client to another origin (here
another port, which stands for another host): the registry token must not follow, on fetching
entries or on a report (holds: the client follows no redirect)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from mcpward.registry._remote import TOKEN_VARIABLE, fetch_entries, inventory, report_inventory
from mcpward.registry.interface import RegistryError

SECRET = "registry-token-for-redirect-test-0123456789"


@contextlib.contextmanager
def _redirecting(status: int) -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []

    class Thief(BaseHTTPRequestHandler):
        def _any(self) -> None:
            seen.extend(f"{k}: {v}" for k, v in self.headers.items())
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        do_GET = do_POST = _any

        def log_message(self, *args: Any) -> None:
            pass

    thief = ThreadingHTTPServer(("127.0.0.1", 0), Thief)

    class Registry(BaseHTTPRequestHandler):
        def _any(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(status)
            self.send_header("Location", f"http://127.0.0.1:{thief.server_address[1]}{self.path}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = _any

        def log_message(self, *args: Any) -> None:
            pass

    registry = ThreadingHTTPServer(("127.0.0.1", 0), Registry)
    for server in (thief, registry):
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{registry.server_address[1]}", seen
    finally:
        for server in (registry, thief):
            server.shutdown()
            server.server_close()


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_the_token_does_not_follow_a_redirect(status: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_VARIABLE, SECRET)
    with _redirecting(status) as (url, seen):
        with pytest.raises(RegistryError) as fetched:
            fetch_entries(url, timeout=5)
        with pytest.raises(RegistryError) as reported:
            report_inventory(url, inventory([]), timeout=5)
    assert seen == []
    assert SECRET not in str(fetched.value) + str(reported.value)
