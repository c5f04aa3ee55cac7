"""A tool list answered in pages (``nextCursor``) is one list. Judged page by page, each page
replaced the last: the first page's tools were no longer callable once the second was listed,
the second page's wait for review replaced the first's in the pin store (a pending approval
lost), a tool listed on two pages under one name passed (each page held it once), every page
reported the other pages' tools as removed, and first use pinned only the first page, so
every later page's tools were withheld as added on the server's first day."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from gateway_attack_kit import FETCH, PLANTED, SEARCH, entry_relay

from mcpward.gateway import Relay
from mcpward.inspect import pin_record, signature
from mcpward.registry import Registry

EXPORT = {"name": "export", "description": "Export a page as PDF.", "inputSchema": {"type": "object"}}


def _page(
    relay: Relay, request_id: int, tools: list[dict[str, Any]], cursor: str | None, more: str | None
) -> list[str]:
    params = {} if cursor is None else {"cursor": cursor}
    relay.client_message(
        orjson.dumps({"jsonrpc": "2.0", "id": request_id, "method": "tools/list", "params": params})
    )
    result: dict[str, Any] = {"tools": tools, **({"nextCursor": more} if more else {})}
    outs = relay.server_message(orjson.dumps({"jsonrpc": "2.0", "id": request_id, "result": result}))
    return [tool["name"] for tool in orjson.loads(outs[0].data)["result"]["tools"]]


def _called(relay: Relay, request_id: int, name: str) -> bool:
    """Whether the call reached the server (the relay forwards it rather than answering)."""
    message = {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": name, "arguments": {}},
    }
    outs = relay.client_message(orjson.dumps(message))
    forwarded = bool(outs) and outs[0].to == "server"
    if forwarded:  # answer it, so the call is closed
        relay.server_message(orjson.dumps({"jsonrpc": "2.0", "id": request_id, "result": {"content": []}}))
    return forwarded


def _events(tmp_path: Path) -> list[str]:
    lines = (tmp_path / "audit.jsonl").read_bytes().splitlines()
    return [event["kind"] for line in lines for event in orjson.loads(line).get("events", [])]


def _pins(tmp_path: Path, part: str = "servers") -> dict[str, Any]:
    return dict(orjson.loads((tmp_path / "pins.json").read_bytes()).get(part, {}).get("docs", {}))


def test_first_use_pins_every_page_of_the_first_list(tmp_path: Path) -> None:
    relay = entry_relay(tmp_path, None)
    assert _page(relay, 0, [SEARCH], None, "2") == ["search"]
    assert _page(relay, 1, [FETCH, EXPORT], "2", None) == ["fetch", "export"]
    assert set(_pins(tmp_path)) == {"tool:search", "tool:fetch", "tool:export"}
    assert all(_called(relay, 10 + n, name) for n, name in enumerate(("search", "fetch", "export")))
    kinds = _events(tmp_path)
    assert "tool-added" not in kinds and "tool-removed" not in kinds
    # the next session compares every page with those pins: nothing is withheld
    again = entry_relay(tmp_path, None)
    assert _page(again, 0, [SEARCH], None, "2") == ["search"]
    assert _page(again, 1, [FETCH, EXPORT], "2", None) == ["fetch", "export"]


def test_a_later_session_withholds_what_changed_on_any_page_and_keeps_every_wait(tmp_path: Path) -> None:
    first = entry_relay(tmp_path, None)
    _page(first, 0, [SEARCH, FETCH], None, None)
    relay = entry_relay(tmp_path, None)
    planted = dict(SEARCH, description=PLANTED)
    assert _page(relay, 0, [planted], None, "2") == []
    assert _page(relay, 1, [FETCH, EXPORT], "2", None) == ["fetch"]
    # the first page's withheld tool stays refused after the second page, and the first page's
    # tools stay callable
    assert not _called(relay, 10, "search")
    assert not _called(relay, 11, "export")
    assert _called(relay, 12, "fetch")
    # both waits are kept for the reviewer: the second page's hold did not replace the first's
    assert set(_pins(tmp_path, "pending")) == {"tool:search", "tool:export"}
    # the pins of the first session were not extended by this one
    assert set(_pins(tmp_path)) == {"tool:search", "tool:fetch"}


def test_a_tool_listed_on_two_pages_is_withheld_everywhere(tmp_path: Path) -> None:
    relay = entry_relay(tmp_path, pin_record([signature("", "tool", t) for t in (SEARCH, FETCH)]))
    assert _page(relay, 0, [SEARCH, FETCH], None, "2") == ["search", "fetch"]
    assert _page(relay, 1, [dict(SEARCH, description=PLANTED)], "2", None) == []
    assert not _called(relay, 10, "search")
    assert _called(relay, 11, "fetch")
    assert "tool-duplicated" in _events(tmp_path)


def test_a_page_asked_for_again_is_no_duplicate(tmp_path: Path) -> None:
    relay = entry_relay(tmp_path, pin_record([signature("", "tool", t) for t in (SEARCH, FETCH)]))
    assert _page(relay, 0, [SEARCH], None, "2") == ["search"]
    assert _page(relay, 1, [FETCH], "2", None) == ["fetch"]
    assert _page(relay, 2, [FETCH], "2", None) == ["fetch"]
    assert _called(relay, 10, "search") and _called(relay, 11, "fetch")


def test_removed_tools_are_told_once_the_list_is_whole(tmp_path: Path) -> None:
    relay = entry_relay(tmp_path, pin_record([signature("", "tool", t) for t in (SEARCH, FETCH, EXPORT)]))
    _page(relay, 0, [SEARCH], None, "2")
    assert "tool-removed" not in _events(tmp_path)  # fetch and export may be on the next page
    _page(relay, 1, [FETCH], "2", None)
    assert _events(tmp_path).count("tool-removed") == 1  # export, once


def test_a_later_page_of_the_first_list_does_not_replace_pins_another_gateway_wrote(tmp_path: Path) -> None:
    """Two sessions list a new server at once: the first pins page one; the other's pages are
    judged against those pins, and the first's next page pins only what has no pin yet."""
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    one = entry_relay(tmp_path / "one", None, database=url)
    (tmp_path / "two").mkdir()
    two = entry_relay(tmp_path / "two", None, database=url)
    assert _page(one, 0, [SEARCH], None, "2") == ["search"]
    planted = dict(FETCH, description=PLANTED)
    assert _page(two, 0, [SEARCH], None, "2") == ["search"]
    assert _page(two, 1, [planted], "2", None) == []  # not pinned by anyone yet: held
    assert _page(one, 1, [FETCH], "2", None) == ["fetch"]  # its first list: pinned now
    registry = Registry.open(url)
    try:
        assert set(registry.gateway_pins("docs") or {}) == {"tool:search", "tool:fetch"}
        assert set(registry.gateway_pending_pins("docs")) == {"tool:fetch"}
        # a pin that stands is never replaced by a later page of someone's first list
        assert registry.pin_more_on_first_use("docs", pin_record([signature("", "tool", planted)])) == (
            pin_record([signature("", "tool", FETCH)])
        )
    finally:
        registry.database.dispose()


@pytest.mark.parametrize(("cursor", "shown"), [(7, ["fetch"]), ({"page": 2}, ["fetch"]), (None, [])])
def test_odd_cursors(tmp_path: Path, cursor: object, shown: list[str]) -> None:
    """A cursor that is no string, as the first page handed it out, still asks for the next
    page (of the list this session pinned on first use, so its tools are pinned too); a null
    cursor asks for the list anew, and a tool on it that the first page did not have is a new
    tool."""
    relay = entry_relay(tmp_path, None)
    first = {"jsonrpc": "2.0", "id": 0, "method": "tools/list", "params": {}}
    relay.client_message(orjson.dumps(first))
    answer = {"jsonrpc": "2.0", "id": 0, "result": {"tools": [SEARCH], "nextCursor": cursor}}
    relay.server_message(orjson.dumps(answer))
    params: dict[str, Any] = {"cursor": cursor}
    relay.client_message(orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": params}))
    outs = relay.server_message(orjson.dumps({"jsonrpc": "2.0", "id": 1, "result": {"tools": [FETCH]}}))
    assert [t["name"] for t in orjson.loads(outs[0].data)["result"]["tools"]] == shown
