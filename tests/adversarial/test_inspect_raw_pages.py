"""Inspect reads list items as the server sent them (not through the SDK's models): whatever a
page holds reaches the detectors and the pins raw. A hostile page (items that are no objects,
fields of the wrong type, a ``nextCursor`` that is no string, a cursor that never ends) must end
as that server's error or a bounded read, never as a traceback or a hang."""

from __future__ import annotations

import time
from typing import Any

import pytest
from gateway_attack_kit import scripted_server

from mcpward.inspect import ServerSurface, fetch_all, inspect_servers, pin_record, signature
from mcpward.inspect._fetch import MAX_PAGES

ODD = [1, "tool", None, [], {"name": 5}, {"name": ["a"]},
       {"name": "odd", "description": ["a", {"b": 1}], "title": 3, "inputSchema": "schema",
        "outputSchema": [1], "annotations": [True], "icons": "x", "execution": 7, "_meta": [["deep"]],
        "arguments": {"a": 1}, "uri": 5, "uriTemplate": {"t": 1}, "size": "big"}]  # fmt: skip
PAGES: dict[str, Any] = {
    "odd-items": {"tools": ODD, "prompts": ODD, "resources": ODD, "resourceTemplates": ODD},
    "not-lists": {"tools": {"name": "x"}, "prompts": "x", "resources": 5, "resourceTemplates": None},
    "cursor-number": {"tools": ODD, "nextCursor": 5},
    "cursor-object": {"tools": ODD, "nextCursor": {"a": 1}},
    "cursor-forever": {
        "tools": [{"name": "again", "inputSchema": {"type": "object"}, "_meta": {"k": [["deep"]]}}],
        "prompts": [],
        "resources": [],
        "resourceTemplates": [],
        "nextCursor": "again",
    },
}


@pytest.mark.parametrize("case", sorted(PAGES))
def test_a_hostile_page_is_an_error_or_a_bounded_read(case: str) -> None:
    lists = ("tools/list", "prompts/list", "resources/list", "resources/templates/list")
    target = scripted_server("raw", dict.fromkeys(lists, PAGES[case]))
    started = time.monotonic()
    fetched, errors = fetch_all([target], timeout=30)
    assert time.monotonic() - started < 30
    # Read, an error, or both (items the SDK cannot read are set aside and are the error).
    assert len(fetched) <= 1 and len(errors) <= 1 and (fetched or errors)
    for error in errors:
        assert "Traceback" not in error.message
    if case == "cursor-forever":  # the same page again and again: read up to the bound
        ((_target, items),) = fetched
        assert len([item for item in items if item.kind == "tool"]) == MAX_PAGES
    for _target, items in fetched:
        surface = ServerSurface("raw", "raw", items)
        inspect_servers([surface])  # the detectors read every item raw
        pin_record([signature("raw", item.kind, item.raw) for item in items])


def test_items_of_every_odd_shape_reach_the_detectors_and_pins_without_a_traceback() -> None:
    """The SDK refuses such a page whole (its models check the result); inspect sets such
    items aside for it and reads them raw, so they must be safe here."""
    from mcpward.inspect._surface import prompt_item, resource_item, tool_item

    objects = [item for item in ODD if isinstance(item, dict)]
    items = [
        *(tool_item("raw", item) for item in objects),
        *(prompt_item("raw", item) for item in objects),
        *(resource_item("raw", item) for item in objects),
        *(resource_item("raw", item, kind="resource-template") for item in objects),
    ]
    inspect_servers([ServerSurface("raw", "raw", items), ServerSurface("other", "other", items)])
    pin_record([signature("raw", item.kind, item.raw) for item in items])
