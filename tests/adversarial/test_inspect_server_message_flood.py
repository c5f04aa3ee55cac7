"""A hostile live server floods ``mcpward inspect`` with messages of its own before it answers
``tools/list``: requests (``roots/list``, each answered in a task of its own by the SDK, whose
answers pile up while the server does not read them) or notifications (log lines). Before, the
requests grew inspect's memory as long as the deadline allowed (400 MB within the default 20 s,
linear in ``--timeout``), and either flood held inspect until the deadline and ended as "no
complete answer". A listing needs none of them: past a bound the server's look ends at once,
with an error that says why (what was read before is still inspected)."""

from __future__ import annotations

import json
import sys
import time

import pytest

from mcpward.inspect import ServerTarget, fetch_all

#: Sends ``count`` messages of ``kind`` before answering tools/list (bounded), then answers.
FLOODING = r"""
import json, sys
kind, count = sys.argv[1], int(sys.argv[2])
for line in sys.stdin:
    message = json.loads(line)
    if "id" not in message or "method" not in message:
        continue
    if message["method"] == "initialize":
        result = {"protocolVersion": message["params"]["protocolVersion"],
                  "capabilities": {"tools": {}, "logging": {}}, "serverInfo": {"name": "s", "version": "1"}}
    elif message["method"] == "tools/list":
        for number in range(count):
            if kind == "requests":
                own = {"jsonrpc": "2.0", "id": "own-%d" % number, "method": "roots/list"}
            else:
                own = {"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "x"}}
            sys.stdout.write(json.dumps(own) + "\n")
        result = {"tools": [{"name": "t", "inputSchema": {"type": "object"}}]}
    else:
        result = {}
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}) + "\n")
    sys.stdout.flush()
"""


@pytest.mark.parametrize("kind", ["requests", "notifications"])
def test_a_flood_of_the_servers_own_messages_ends_its_look_at_once(kind: str) -> None:
    target = ServerTarget("flood", "stdio", command=sys.executable, args=("-c", FLOODING, kind, "300000"))
    started = time.monotonic()
    fetched, errors = fetch_all([target], timeout=20)
    assert time.monotonic() - started < 15
    assert fetched == []
    (error,) = errors
    assert "of its own" in error.message


@pytest.mark.parametrize("kind", ["requests", "notifications"])
def test_a_few_messages_of_its_own_do_not_end_the_look(kind: str) -> None:
    target = ServerTarget("chatty", "stdio", command=sys.executable, args=("-c", FLOODING, kind, "20"))
    fetched, errors = fetch_all([target], timeout=20)
    assert errors == []
    ((_, items),) = fetched
    assert [item.name for item in items] == ["t"]
    assert json.dumps([item.raw for item in items])
