"""A stream opened with an access token went on after the token expired, for good.

``gateway serve`` checks an access token on every request, but a stream is one request: a
session's GET stream, the legacy SSE transport's stream and a 2026-07-28
``subscriptions/listen`` were admitted once, when they opened, and then carried whatever the
server sent (its log messages, progress, list changes and resource updates, and, over the
legacy transport, the answers to the calls) for as long as the connection stayed open. An open
stream also kept its session alive, so its server ran as long as the stream did. A caller whose
token expired, or was revoked at the issuer (an opaque token that introspection no longer calls
active), or whose key the issuer withdrew, was refused every new request and went on reading
the session's traffic, hours or days later (until 2026-12-05).

Now a stream is admitted again as it runs (at each event and keep-alive, from the token's
remembered check, so at no cost to the issuer until the token is due): once its token would be
refused on a request, the stream ends. The client opens another with its new token, as it
would after any dropped connection."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from gateway_attack_kit import INITIALIZE

from loopback import serving
from mcpward.gateway import (
    AuditLog,
    GatewayConfig,
    Upstream,
)
from oauth_kit import AuthServer, WallClock, oauth_gateway

MODERN = "2026-07-28"

#: A server that, once initialized, logs a line and says its tools changed every tenth of a second.
TICKER = r"""
import json, sys, threading, time
lock = threading.Lock()
def send(message):
    with lock:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()
def tick():
    n = 0
    while True:
        time.sleep(0.1)
        n += 1
        send({"jsonrpc": "2.0", "method": "notifications/message",
              "params": {"level": "info", "data": "tick %d" % n}})
        send({"jsonrpc": "2.0", "method": "notifications/tools/list_changed", "params": {"tick": n}})
started = False
for line in sys.stdin:
    m = json.loads(line)
    if m.get("method") == "initialize":
        send({"jsonrpc": "2.0", "id": m["id"], "result": {"protocolVersion": m["params"]["protocolVersion"],
              "capabilities": {"logging": {}}, "serverInfo": {"name": "ticker", "version": "1"}}})
        if not started:
            started = True
            threading.Thread(target=tick, daemon=True).start()
    elif m.get("method") == "tools/list":
        send({"jsonrpc": "2.0", "id": m["id"], "result": {"tools": []}})
    elif "id" in m and "method" in m:
        send({"jsonrpc": "2.0", "id": m["id"], "result": {}})
"""


@contextlib.contextmanager
def _gateway(tmp_path: Path, idp: AuthServer, clock: WallClock, **issuer: Any) -> Iterator[str]:
    settings = GatewayConfig.model_validate({
        "pins": {"enabled": False}, "baseline": {"enabled": False}, "dlp": {"enabled": False},
        "auth": {"resource": "https://gateway.example", "issuers": [{"issuer": idp.issuer, **issuer}]},
    })  # fmt: skip
    log = AuditLog(tmp_path / "audit.jsonl")
    servers = {"ticker": Upstream(command=(sys.executable, "-c", TICKER))}

    app_for = oauth_gateway(settings, servers, log, clock)

    with serving(app_for) as base:
        yield base
    log.close()


def _ends_once_moved(lines: Iterator[str], clock: WallClock, ahead: float) -> bool:
    """Whether a stream (its ``lines``) carrying the server's ticks ends within 5 s once the
    clock is moved ``ahead`` (what was sent before may still arrive; a stream that goes on
    carries a tick every tenth of a second)."""
    for line in lines:  # the stream carries the server's ticks while the token is good
        if "tick" in line:
            break
    clock.ahead = ahead
    deadline = time.monotonic() + 5
    # Every line read past the deadline means the stream went on; exhausted, it ended.
    return all(time.monotonic() <= deadline for _line in lines)


def _open_session(base: str, token: str) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    opened = httpx.post(f"{base}/servers/ticker/mcp", json=INITIALIZE, headers=headers, timeout=30)
    assert opened.status_code == 200, opened.text
    headers["Mcp-Session-Id"] = opened.headers["mcp-session-id"]
    return headers


def test_a_sessions_stream_ends_once_its_token_has_expired(tmp_path: Path, idp: AuthServer) -> None:
    clock = WallClock()
    with _gateway(tmp_path, idp, clock) as base:
        headers = _open_session(base, idp.token(aud=base, lifetime=300))
        with httpx.stream("GET", f"{base}/servers/ticker/mcp", headers=headers, timeout=30) as stream:
            assert stream.status_code == 200
            # Past exp and the leeway: the token is refused on any request, and so on its stream.
            assert _ends_once_moved(stream.iter_lines(), clock, 300 + 31)


def test_a_legacy_sse_stream_ends_once_its_token_has_expired(tmp_path: Path, idp: AuthServer) -> None:
    clock = WallClock()
    with _gateway(tmp_path, idp, clock) as base:
        headers = {"Authorization": f"Bearer {idp.token(aud=base, lifetime=300)}"}
        with httpx.stream("GET", f"{base}/servers/ticker/sse", headers=headers, timeout=30) as stream:
            lines = stream.iter_lines()  # one iterator: a second would close the stream
            endpoint = next(line for line in lines if line.startswith("data: "))[6:]
            posted = httpx.post(f"{base}{endpoint}", json=INITIALIZE, headers=headers, timeout=30)
            assert posted.status_code == 202, posted.text
            assert _ends_once_moved(lines, clock, 300 + 31)


def test_a_stream_ends_once_introspection_no_longer_calls_its_token_active(
    tmp_path: Path, idp: AuthServer
) -> None:
    clock = WallClock()
    with _gateway(tmp_path, idp, clock, introspection_url=f"{idp.issuer}/introspect") as base:
        idp.opaque["opaque-stream"] = {"sub": "alice", "aud": base, "exp": int(time.time()) + 3600}
        headers = _open_session(base, "opaque-stream")
        with httpx.stream("GET", f"{base}/servers/ticker/mcp", headers=headers, timeout=30) as stream:
            del idp.opaque["opaque-stream"]  # revoked at the issuer
            # A minute on, the gateway asks the issuer again, and the stream ends.
            assert _ends_once_moved(stream.iter_lines(), clock, 61)


def test_a_stream_with_a_good_token_goes_on(tmp_path: Path, idp: AuthServer) -> None:
    clock = WallClock()
    with _gateway(tmp_path, idp, clock) as base:
        headers = _open_session(base, idp.token(aud=base, lifetime=300))
        with httpx.stream("GET", f"{base}/servers/ticker/mcp", headers=headers, timeout=30) as stream:
            assert not _ends_once_moved(stream.iter_lines(), clock, 200)


def test_a_subscription_stream_ends_once_its_token_has_expired(tmp_path: Path, idp: AuthServer) -> None:
    """A 2026-07-28 ``subscriptions/listen`` (no session: the version travels in each request)."""
    clock = WallClock()
    meta = {"io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientInfo": {"name": "attack", "version": "1"},
            "io.modelcontextprotocol/clientCapabilities": {}}  # fmt: skip
    body = {"jsonrpc": "2.0", "id": "sub-1", "method": "subscriptions/listen",
            "params": {"_meta": meta, "notifications": {"toolsListChanged": True}}}  # fmt: skip
    with _gateway(tmp_path, idp, clock) as base:
        headers = {
            "Authorization": f"Bearer {idp.token(aud=base, lifetime=300)}",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": MODERN,
            "Mcp-Method": "subscriptions/listen",
        }
        url = f"{base}/servers/ticker/mcp"
        with httpx.stream("POST", url, json=body, headers=headers, timeout=30) as stream:
            assert stream.status_code == 200
            assert _ends_once_moved(stream.iter_lines(), clock, 300 + 31)


def test_a_legacy_stream_goes_on_with_the_callers_refreshed_token(tmp_path: Path, idp: AuthServer) -> None:
    """The stream is judged by the newest token its caller (the same person and agent) posted
    with: a client that refreshes its token keeps its stream and session."""
    clock = WallClock()
    with _gateway(tmp_path, idp, clock) as base:
        first = {"Authorization": f"Bearer {idp.token(aud=base, lifetime=300)}"}
        with httpx.stream("GET", f"{base}/servers/ticker/sse", headers=first, timeout=30) as stream:
            lines = stream.iter_lines()
            endpoint = next(line for line in lines if line.startswith("data: "))[6:]
            refreshed = {"Authorization": f"Bearer {idp.token(aud=base, lifetime=3600)}"}
            posted = httpx.post(f"{base}{endpoint}", json=INITIALIZE, headers=refreshed, timeout=30)
            assert posted.status_code == 202, posted.text
            assert not _ends_once_moved(lines, clock, 300 + 31)
