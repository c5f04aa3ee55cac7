"""A hostile live server answers every ``tools/list`` page with one tool holding a description
of megabytes and a new ``nextCursor``. Each answer is within the per-answer bound (32 MiB over
HTTP), but inspect kept every item whole for up to 100 pages: its memory grew for as long as
the deadline allowed (700 MB within 60 s with 8 MiB pages, 3 GiB within reach over HTTP), and
the look then ended as "no complete answer", none of the items read inspected. What a server
lists is now read up to a budget over all its lists; past it the rest is not read, the server's
error says so, and what was read is inspected (not pinned)."""

from __future__ import annotations

import sys

import pytest

from mcpward.inspect import ServerTarget, _fetch, fetch_all

#: Answers each tools/list with one tool whose description is ``argv[1]`` MiB, and a new cursor.
HUGE_PAGES = r"""
import json, sys
description = "a" * (int(sys.argv[1]) << 20)
for number, line in enumerate(sys.stdin):
    message = json.loads(line)
    if "id" not in message or "method" not in message:
        continue
    if message["method"] == "initialize":
        result = {"protocolVersion": message["params"]["protocolVersion"],
                  "capabilities": {"tools": {}}, "serverInfo": {"name": "s", "version": "1"}}
    elif message["method"] == "tools/list":
        result = {"tools": [{"name": "t%d" % number, "inputSchema": {"type": "object"}, "description": description}],
                  "nextCursor": "c%d" % number}
    else:
        result = {}
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": message["id"], "result": result}) + "\n")
    sys.stdout.flush()
"""


def test_endless_pages_of_huge_items_are_read_to_a_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_fetch, "MAX_LISTED_BYTES", 8 << 20, raising=False)  # the budget, scaled down
    target = ServerTarget("huge", "stdio", command=sys.executable, args=("-c", HUGE_PAGES, "1"))
    fetched, errors = fetch_all([target], timeout=60)
    ((_, items),) = fetched
    assert 7 <= len(items) <= 9
    (error,) = errors
    assert "the rest was not read" in error.message
