"""The limit of open tasks per client (MCP 2026-07-28's tasks extension over ``gateway serve``),
by calls sent at once.

A call looked for room among the client's tasks before it waited to see whether it would outlast
``task_after_seconds``, and made its task after that wait without looking again: calls waiting
at once all found room, and each made a task. Before 2026-12-05 four calls at once, to a server
whose pool held four processes, made four tasks where the client may have two (the limit is
lowered here; with per-client processes one call at a time runs on each server, so the limit
was passed by one per server). Now room is looked for again when the task is made, and a call
past the limit is answered directly, as without tasks."""

from __future__ import annotations

import hashlib
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from loopback import serving
from mcpward.gateway import _modern_tasks

TOKEN = "mcpg_tasks-limit-token-0123456789abcdef0123"
MODERN = "2026-07-28"
TASKS = "io.modelcontextprotocol/tasks"
#: A session-era stdio server whose one tool sleeps for the seconds it is given.
SLOW_SERVER = """
import json, sys, time
for line in sys.stdin:
    m = json.loads(line)
    if "id" not in m or "method" not in m:
        continue
    result = {}
    if m["method"] == "initialize":
        result = {"protocolVersion": m["params"]["protocolVersion"], "capabilities": {"tools": {}},
                  "serverInfo": {"name": "slow", "version": "1"}}
    elif m["method"] == "tools/list":
        result = {"tools": [{"name": "build", "description": "Build.", "inputSchema": {"type": "object"}}]}
    elif m["method"] == "tools/call":
        time.sleep(m["params"]["arguments"]["seconds"])
        result = {"content": [{"type": "text", "text": "built"}]}
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": m["id"], "result": result}) + "\\n")
    sys.stdout.flush()
"""


def _build(base: str, seconds: float, *, tasks: bool) -> dict[str, Any]:
    capabilities: dict[str, Any] = {"extensions": {TASKS: {}}} if tasks else {}
    meta = {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientInfo": {"name": "tasks-limit", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": capabilities,
    }
    params = {"name": "build", "arguments": {"seconds": seconds}, "_meta": meta}
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": "tools/call",
        "Mcp-Name": "build",
    }
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}
    answer = httpx.post(f"{base}/servers/slow/mcp", json=body, headers=headers, timeout=30)
    assert "result" in answer.json(), answer.text
    return answer.json()["result"]  # type: ignore[no-any-return]


def _at_once(base: str, calls: int, seconds: float, *, tasks: bool) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    threads = [
        threading.Thread(target=lambda: results.append(_build(base, seconds, tasks=tasks)))
        for _ in range(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == calls
    return results


def test_calls_at_once_make_no_more_tasks_than_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mcpward.gateway import Upstream, create_app

    monkeypatch.setattr(_modern_tasks, "MAX_TASKS_PER_CLIENT", 2)
    script = tmp_path / "slow.py"
    script.write_text(SLOW_SERVER, encoding="utf-8")

    def app_for(port: int) -> Any:
        return create_app(
            {"slow": Upstream(command=(sys.executable, str(script)), shared_pool=4)},
            lambda _name, _upstream: [],
            token_hashes={hashlib.sha256(TOKEN.encode()).hexdigest(): "laptop"},
            allowed_hosts=(f"127.0.0.1:{port}",),
            max_message=65536,
            call_timeout=30,
            task_after=0.3,
        )

    with serving(app_for) as base:
        # Four processes started (calls without tasks, each holding one), so the calls below
        # each have one at once.
        _at_once(base, 4, 1.5, tasks=False)
        results = _at_once(base, 4, 1.0, tasks=True)
        made = [result for result in results if result.get("resultType") == "task"]
        assert len(made) <= 2, f"{len(made)} tasks made where the client may have 2"
        direct = [result for result in results if result.get("resultType") == "complete"]
        assert len(made) + len(direct) == 4 and all("built" in str(result) for result in direct), results
