"""Inspect reads every string under an item's ``_meta`` (and a schema's texts), each as a field
named by its path. The path held each key whole: one long key over a list of short strings made
every one of the 2,000 fields a path as long as the key, so a key of 200,000 characters cost
400 MB (a schema's 800 MB), and a 1 MB message gigabytes: a server could exhaust inspect's
memory within its bounds on fields and characters. A key is now shortened in a path."""

from __future__ import annotations

import tracemalloc
from typing import Any

import pytest

from mcpward.inspect._surface import prompt_item, resource_item, tool_item

KEY = "K" * 200_000


@pytest.mark.parametrize(
    "item",
    [
        {"name": "t", "inputSchema": {"type": "object"}, "_meta": {KEY: ["x"] * 2_000}},
        {"name": "t", "inputSchema": {"type": "object"}, "_meta": {KEY: {str(n): "x" for n in range(2_000)}}},
        {
            "name": "t",
            "inputSchema": {"type": "object", KEY: {"properties": {str(n): {} for n in range(2_000)}}},
        },
        {
            "name": "t",
            "inputSchema": {
                "type": "object",
                "properties": {
                    KEY: {
                        "type": "object",
                        "properties": {str(n): {"description": "x"} for n in range(1_000)},
                    }
                },
            },
        },
    ],
    ids=["meta-list", "meta-object", "schema-names", "schema-property"],
)
def test_a_long_key_does_not_multiply_into_every_path(item: dict[str, Any]) -> None:
    tracemalloc.start()
    try:
        fields = tool_item("s", item).fields
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(fields) >= 1_000
    assert sum(len(field.path) for field in fields) < 2_000_000
    assert peak < 50_000_000


def test_the_other_kinds_meta_too() -> None:
    for make in (prompt_item, resource_item):
        fields = make("s", {"name": "p", "uri": "x://y", "_meta": {KEY: ["x"] * 2_000}}).fields
        assert sum(len(field.path) for field in fields) < 2_000_000
