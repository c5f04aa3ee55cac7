"""A 2026-07-28 request made ``gateway serve`` list the server's whole tool list again first.

Before each 2026-07-28 request the gateway lists the tools of the upstream member again if the
server said its tools changed, or if the pins had no list of them (``_fresh``). Only the pins
interceptor ever sets that a list was seen, so with ``[pins] enabled = false`` every request
(``tools/list`` itself included) first asked the server for up to 100 pages of tools, each
waited for up to the call timeout: one request of a client cost 101 upstream requests, and a
server answering each page just in time held it (and its member) 100 call timeouts, 50
minutes at 30 s: the "hang" a reviewer saw with pins off. With pins on, the first list of a
member (and each after a change) was bounded the same way. Until 2026-12-05: now the tools are
listed again only after a change (or where the pins saw none), and the whole list, every page,
within one call timeout."""

from __future__ import annotations

import hashlib
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from loopback import serving
from mcpward.gateway import AuditLog, GatewayConfig, Upstream, build_interceptors, create_app

SERVER = Path(__file__).parents[1] / "servers" / "endless_pages_server.py"
TOKEN = "mcpg_relisting-test-token-0123456789abcdef"
MODERN = "2026-07-28"
META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientInfo": {"name": "raw-test-client", "version": "1"},
    "io.modelcontextprotocol/clientCapabilities": {},
}
LIST = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": META}}
HEADERS = {
    "Authorization": f"Bearer {TOKEN}",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": MODERN,
    "Mcp-Method": "tools/list",
}


def _gateway(folder: Path, pins: bool, delay: float, call_timeout: float) -> Callable[[int], Any]:
    settings = GatewayConfig.model_validate({"pins": {"enabled": pins, "store": str(folder / "pins.json")}})
    log = AuditLog(folder / "audit.jsonl")
    servers = {"endless": Upstream(command=(sys.executable, str(SERVER), str(delay)))}

    def app_for(port: int) -> Any:
        return create_app(
            servers,
            lambda _name, up: build_interceptors(settings, audit_log=log, command=up.command, url=up.url),
            token_hashes={hashlib.sha256(TOKEN.encode()).hexdigest(): "laptop"},
            allowed_hosts=(f"127.0.0.1:{port}",),
            max_message=65536,
            call_timeout=call_timeout,
        )

    return app_for


def _listed(base: str, within: float) -> tuple[dict[str, Any] | None, float]:
    """The answer to a tools/list, or None when none came within ``within`` seconds (asked in
    a thread: a gateway that never answers cannot hold the test)."""
    answers: list[dict[str, Any]] = []

    def ask() -> None:
        answer = httpx.post(f"{base}/servers/endless/mcp", json=LIST, headers=HEADERS, timeout=within + 60)
        answers.append(answer.json())

    started = time.monotonic()
    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    thread.join(within)
    return (answers[0] if answers else None), time.monotonic() - started


@pytest.mark.parametrize("pins", [False, True], ids=["pins-off", "pins-on"])
def test_a_request_does_not_list_the_tools_again(tmp_path: Path, pins: bool) -> None:
    """The server numbers the pages it served: the client's second tools/list is its next page,
    not 100 pages later."""
    with serving(_gateway(tmp_path, pins, delay=0, call_timeout=10)) as base:
        first, _ = _listed(base, 60)
        second, _ = _listed(base, 60)
    assert first is not None and second is not None
    served = int(first["result"]["nextCursor"])
    assert int(second["result"]["nextCursor"]) == served + 1


def test_a_slow_tool_list_is_bounded_by_the_call_timeout(tmp_path: Path) -> None:
    """Each page 0.25 s, the call timeout 1 s: the gateway's own list (its first, at the
    member's start) is cut at the call timeout, not 100 pages (25 s) later."""
    with serving(_gateway(tmp_path, True, delay=0.25, call_timeout=1)) as base:
        answer, took = _listed(base, 15)
    assert answer is not None, f"no answer in {took:.1f} s"
    assert took < 8, took
