"""Attack: tools named like readers that take what writes, for the read-only list of a probation.

When a reviewer approves without naming the read-only tools, inspect's suggestion is the list
the gateway allows during probation. A tool whose name says it reads, and whose server may say
``readOnlyHint`` too, was suggested read-only though its parameters carry a statement to run or
a request to send: ``query(sql)`` or ``query_database(statement)`` (any SQL, ``DROP TABLE``
included), ``graphql_query(mutation)``, ``fetch(url, method, json)`` (a POST with a body), and
``read_and_forward(id, to)`` (forward is a send). Each could be called during probation until
2026-12-05. Now such a parameter or verb keeps the tool out of the suggestion (a reviewer may
still confirm it).
"""

from __future__ import annotations

from typing import Any

import pytest

from mcpward.inspect import classify_read_only


@pytest.mark.parametrize(
    "tool",
    [
        {"name": "query", "inputSchema": {"properties": {"sql": {"type": "string"}}}},
        {
            "name": "query_database",
            "annotations": {"readOnlyHint": True},
            "inputSchema": {"properties": {"statement": {"type": "string"}}},
        },
        {"name": "graphql_query", "inputSchema": {"properties": {"mutation": {"type": "string"}}}},
        {"name": "fetch", "inputSchema": {"properties": {"url": {}, "method": {}, "json": {}}}},
        {"name": "read_and_forward", "inputSchema": {"properties": {"id": {}, "to": {}}}},
    ],
)
def test_a_reader_by_name_that_takes_what_writes_is_not_suggested(tool: dict[str, Any]) -> None:
    judged = classify_read_only(tool)
    assert not judged.read_only, judged  # was read-only: "its name says query/fetch/read"


@pytest.mark.parametrize(
    "tool",
    [
        {"name": "search", "inputSchema": {"properties": {"query": {"type": "string"}}}},
        {"name": "fetch", "inputSchema": {"properties": {"url": {"type": "string"}}}},
        {"name": "read_file", "inputSchema": {"properties": {"path": {"type": "string"}}}},
    ],
)
def test_plain_readers_are_still_suggested(tool: dict[str, Any]) -> None:
    assert classify_read_only(tool).read_only
