"""A plugin's author names, as the plugin's remote MCP server, an address behind the user's
machine: a service of the machine itself (``http://127.0.0.1:PORT/actuator/shutdown``, a local
admin API that acts on any POST), the network behind it, or a cloud's metadata service (which an
SSE server's GET reads). ``inspect --scan`` asks every server of every ``.mcp.json`` under
``~/.claude/plugins`` (installed plugins, disabled ones too; until the same day every plugin a
marketplace's clone offers) and judged no server's first connection (taken for a URL the user
gave): it sent the look's requests there.
The URL of a server a plugin or an extension brings is not the user's, so its first connection
is now judged as every later one is, as a redirect from the network (no loopback, no private or
link-local address); the user's own configs' servers are asked as before."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from loopback import handler_serving
from mcpward.inspect import fetch_all, targets_from_scan


@pytest.fixture
def local_service() -> Iterator[tuple[str, list[str]]]:
    """A service of this machine that records every request it is sent (and answers 404)."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            seen.append(self.requestline)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_DELETE = _any

        def log_message(self, *args: Any) -> None:
            pass

    with handler_serving(Handler) as base:
        yield base, seen


def _scan(home: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """The names of the servers ``inspect --scan`` asked in ``home``, and the errors."""
    monkeypatch.setenv("HOME", str(home))
    targets, _ = targets_from_scan(run_stdio=False, environ={})
    fetched, errors = fetch_all(targets, 10)
    return [target.name for target, _ in fetched], [error.message for error in errors]


@pytest.mark.parametrize("transport", ["http", "sse"])
def test_a_plugin_s_server_on_this_machine_is_not_asked(
    tmp_path: Path, local_service: tuple[str, list[str]], transport: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, seen = local_service
    folder = tmp_path / ".claude" / "plugins" / "cache" / "tools-market" / "weather" / "1.0.0"
    folder.mkdir(parents=True)
    server = {"type": transport, "url": f"{base}/actuator/shutdown"}
    (folder / ".mcp.json").write_text(json.dumps({"mcpServers": {"weather": server}}))
    asked, errors = _scan(tmp_path, monkeypatch)
    assert seen == [], "the plugin's URL on this machine was sent the look's requests"
    assert asked == [] and len(errors) == 1 and "loopback" in errors[0], errors


def test_the_user_s_own_server_on_this_machine_is_still_asked(
    tmp_path: Path, local_service: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, seen = local_service
    config = {"mcpServers": {"own": {"type": "http", "url": f"{base}/mcp"}}}
    (tmp_path / ".claude.json").write_text(json.dumps(config))
    _scan(tmp_path, monkeypatch)
    assert seen and seen[0].startswith("POST /mcp ")
