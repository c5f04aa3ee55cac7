"""Attacks on first use of a tool list answered in pages: first use trusts the server's first
list, and a session that pinned its first page pins the pages that follow it (``pin_more``).
A page that is not the next page of that first list must be judged against the pins instead:
one asked for after the server said its tools changed, asked for again, asked with a cursor the
server never gave, asked past the last page, answered after a new list was asked for, or asked
once the client called a tool (a long-lived session, or a shared pool's member, listing a page
days later would otherwise pin whatever the server then adds)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from gateway_attack_kit import FETCH, SEARCH, entry_relay
from gateway_attack_kit import PLANTED_EXPORT as EXPORT

from mcpward.gateway import Relay
from mcpward.registry import Registry


def _ask(relay: Relay, request_id: int, cursor: object = None) -> None:
    params = {} if cursor is None else {"cursor": cursor}
    message = {"jsonrpc": "2.0", "id": request_id, "method": "tools/list", "params": params}
    assert relay.client_message(orjson.dumps(message))[0].to == "server"


def _answer(relay: Relay, request_id: int, tools: list[dict[str, Any]], more: str | None = None) -> list[str]:
    result: dict[str, Any] = {"tools": tools, **({"nextCursor": more} if more else {})}
    outs = relay.server_message(orjson.dumps({"jsonrpc": "2.0", "id": request_id, "result": result}))
    return [tool["name"] for tool in orjson.loads(outs[0].data)["result"]["tools"]]


def _page(
    relay: Relay, request_id: int, tools: list[dict[str, Any]], cursor: object = None, more: str | None = None
) -> list[str]:
    _ask(relay, request_id, cursor)
    return _answer(relay, request_id, tools, more)


def _called(relay: Relay, request_id: int, name: str) -> bool:
    message = {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": {"name": name}}
    outs = relay.client_message(orjson.dumps(message))
    forwarded = bool(outs) and outs[0].to == "server"
    if forwarded:
        relay.server_message(orjson.dumps({"jsonrpc": "2.0", "id": request_id, "result": {"content": []}}))
    return forwarded


def _pinned(tmp_path: Path, part: str = "servers") -> set[str]:
    return set(orjson.loads((tmp_path / "pins.json").read_bytes()).get(part, {}).get("docs", {}))


def _list_changed(relay: Relay) -> None:
    relay.server_message(b'{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}')


def _first_page(tmp_path: Path) -> Relay:
    """A session that pinned the server's first page on first use; the page points to "2"."""
    relay = entry_relay(tmp_path, None)
    assert _page(relay, 0, [SEARCH], None, "2") == ["search"]
    assert _pinned(tmp_path) == {"tool:search"}
    return relay


def _not_pinned_on_first_use(tmp_path: Path, relay: Relay, shown: list[str]) -> None:
    assert shown == []
    assert "tool:export" not in _pinned(tmp_path)
    assert "tool:export" in _pinned(tmp_path, "pending")
    assert not _called(relay, 90, "export")


def test_a_page_asked_after_the_server_said_its_tools_changed_is_judged(tmp_path: Path) -> None:
    relay = _first_page(tmp_path)
    _list_changed(relay)
    _not_pinned_on_first_use(tmp_path, relay, _page(relay, 1, [EXPORT], "2"))


def test_a_page_answered_after_the_server_said_its_tools_changed_is_judged(tmp_path: Path) -> None:
    relay = _first_page(tmp_path)
    _ask(relay, 1, "2")
    _list_changed(relay)
    _not_pinned_on_first_use(tmp_path, relay, _answer(relay, 1, [EXPORT]))


def test_a_page_asked_for_again_is_judged(tmp_path: Path) -> None:
    relay = _first_page(tmp_path)
    assert _page(relay, 1, [FETCH], "2") == ["fetch"]  # the first list's next page: pinned
    assert _pinned(tmp_path) == {"tool:search", "tool:fetch"}
    _not_pinned_on_first_use(tmp_path, relay, _page(relay, 2, [EXPORT], "2"))


def test_a_cursor_the_server_never_gave_is_judged(tmp_path: Path) -> None:
    relay = _first_page(tmp_path)
    _not_pinned_on_first_use(tmp_path, relay, _page(relay, 1, [EXPORT], "9"))


def test_a_page_past_the_last_one_is_judged(tmp_path: Path) -> None:
    relay = _first_page(tmp_path)
    assert _page(relay, 1, [FETCH], "2") == ["fetch"]  # the last page: no nextCursor
    _not_pinned_on_first_use(tmp_path, relay, _page(relay, 2, [EXPORT], "3"))


def test_a_page_answered_after_a_new_list_was_asked_for_is_judged(tmp_path: Path) -> None:
    relay = _first_page(tmp_path)
    _ask(relay, 1, "2")
    _ask(relay, 2)  # the client lists anew before the server answered page 2
    _not_pinned_on_first_use(tmp_path, relay, _answer(relay, 1, [EXPORT]))
    assert _answer(relay, 2, [SEARCH]) == ["search"]


def test_a_page_answered_after_a_newer_list_is_judged(tmp_path: Path) -> None:
    """The newer list answered first: the older list's page lands in it, and is judged."""
    relay = _first_page(tmp_path)
    _ask(relay, 1, "2")
    _ask(relay, 2)
    assert _answer(relay, 2, [SEARCH], "2") == ["search"]
    _not_pinned_on_first_use(tmp_path, relay, _answer(relay, 1, [EXPORT]))
    assert _called(relay, 91, "search")


def test_interleaved_first_lists_pin_only_the_one_answered_first(tmp_path: Path) -> None:
    """Two lists asked at once of a server never pinned: the one answered first is its first
    list; the other's pages, and a page of the first asked once the other began, are judged."""
    relay = entry_relay(tmp_path, None)
    _ask(relay, 0)
    _ask(relay, 1)
    assert _answer(relay, 0, [SEARCH], "2") == ["search"]  # pinned on first use
    assert _answer(relay, 1, [SEARCH, EXPORT], "2") == ["search"]  # judged: export is new
    _not_pinned_on_first_use(tmp_path, relay, _page(relay, 2, [EXPORT], "2"))


def test_a_page_asked_once_the_client_called_a_tool_is_judged(tmp_path: Path) -> None:
    """A long-lived session (a shared pool's member) that never asked for page 2: asked for it
    days later, the server's answer then is no longer its first list."""
    relay = _first_page(tmp_path)
    assert _called(relay, 1, "search")
    _not_pinned_on_first_use(tmp_path, relay, _page(relay, 2, [EXPORT], "2"))


def test_the_first_list_followed_page_by_page_is_pinned_whole(tmp_path: Path) -> None:
    """What the attacks above must not break: each next page, asked as it is given (other
    requests in between), is pinned with the first."""
    relay = _first_page(tmp_path)
    prompts = {"jsonrpc": "2.0", "id": 50, "method": "prompts/list", "params": {"cursor": "p2"}}
    relay.client_message(orjson.dumps(prompts))
    assert _page(relay, 1, [FETCH], "2", "3") == ["fetch"]
    assert _page(relay, 2, [EXPORT], "3") == ["export"]
    assert _pinned(tmp_path) == {"tool:search", "tool:fetch", "tool:export"}
    assert all(_called(relay, 10 + n, name) for n, name in enumerate(("search", "fetch", "export")))


def test_a_new_list_that_fails_judging_does_not_free_what_the_session_withheld(tmp_path: Path) -> None:
    """A page the pins check fails on (a nextCursor nested past what it can key) is refused;
    the session's view must be what it was, not emptied: with the tools unlisted (after
    ``tools/list_changed``), a tool withheld as changed would pass as merely pinned by name."""
    relay = entry_relay(tmp_path, None)
    assert _page(relay, 0, [SEARCH]) == ["search"]  # pinned on first use
    planted = dict(SEARCH, description=EXPORT["description"])
    assert _page(relay, 1, [planted]) == []
    assert not _called(relay, 10, "search")
    _list_changed(relay)
    _ask(relay, 2)
    deep = b'{"jsonrpc":"2.0","id":2,"result":{"tools":[],"nextCursor":' + b"[" * 1000 + b"]" * 1000 + b"}}"
    answer = orjson.loads(relay.server_message(deep)[0].data)
    assert answer["error"]["message"].startswith("mcpward gateway: the pins check failed")
    assert not _called(relay, 11, "search")


def test_a_list_in_pages_does_not_grow_the_pin_store_without_bound(tmp_path: Path, monkeypatch: Any) -> None:
    """One page was pinned on first use, or held for review, at most: in pages, every page's
    tools were pinned (or held, the wait rewritten whole each page), so a server that answers
    page after page (each up to ``max_message``) grew the pin file every server's sessions
    read, without bound. Past ``MAX_LIST_BYTES`` a list's later pages are withheld whole
    (and end the list for the client)."""
    from mcpward.gateway._interceptors import pins

    monkeypatch.setattr(pins, "MAX_LIST_BYTES", 4096)
    relay = entry_relay(tmp_path, None)
    filler = "x" * 1500
    for page in range(8):
        tools = [{"name": f"t{page}_{n}", "description": filler} for n in range(2)]
        _ask(relay, page, None if page == 0 else str(page))
        result = {"tools": tools, "nextCursor": str(page + 1)}
        outs = relay.server_message(orjson.dumps({"jsonrpc": "2.0", "id": page, "result": result}))
        shown = orjson.loads(outs[0].data)["result"]
        if page < 2:  # 3 KB a page: the first two pages are judged (and pinned on first use)
            assert len(shown["tools"]) == 2 and shown["nextCursor"] == str(page + 1)
        else:
            assert shown == {"tools": []}
    assert len(_pinned(tmp_path)) == 4
    assert (tmp_path / "pins.json").stat().st_size < 16_000
    # a later session: the waits for review are bounded as well
    later = entry_relay(tmp_path, None)
    for page in range(8):
        tools = [{"name": f"u{page}_{n}", "description": filler} for n in range(2)]
        _page(later, page, tools, None if page == 0 else str(page), str(page + 1))
    assert len(_pinned(tmp_path, "pending")) == 4
    assert "tool-list-too-long" in (tmp_path / "audit.jsonl").read_text()


def test_a_long_cursor_is_kept_as_a_digest(tmp_path: Path) -> None:
    """The page keys (and the first list's next page) hold a long cursor as its digest: a
    session keeping each cursor a server handed out held them all."""
    relay = entry_relay(tmp_path, None)
    long = "c" * 50_000
    assert _page(relay, 0, [SEARCH], None, long) == ["search"]
    assert _page(relay, 1, [FETCH], long) == ["fetch"]  # still the first list's next page
    assert _pinned(tmp_path) == {"tool:search", "tool:fetch"}
    listing = relay.session.state["pins"]["tool-listing"]
    assert all(key is None or len(key) < 100 for key in listing.pages)


#: A session-era stdio server whose tools come in two pages: search, then fetch.
PAGED_SERVER = """
import json, sys
pages = {None: ([{"name": "search", "description": "Search.", "inputSchema": {"type": "object"}}], "2"),
         "2": ([{"name": "fetch", "description": "Fetch.", "inputSchema": {"type": "object"}}], None)}
for line in sys.stdin:
    m = json.loads(line)
    if "id" not in m or "method" not in m:
        continue
    if m["method"] == "tools/list":
        tools, more = pages.get((m.get("params") or {}).get("cursor"), ([], None))
        result = {"tools": tools, **({"nextCursor": more} if more else {})}
    elif m["method"] == "tools/call":
        result = {"content": [{"type": "text", "text": "called " + m["params"]["name"]}]}
    elif m["method"] == "initialize":
        result = {"protocolVersion": m["params"]["protocolVersion"], "capabilities": {"tools": {}},
                  "serverInfo": {"name": "paged", "version": "1"}}
    else:
        result = {}
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": m["id"], "result": result}) + "\\n")
    sys.stdout.flush()
"""


def test_the_2026_07_28_path_lists_and_pins_every_page(tmp_path: Path) -> None:
    """``gateway serve`` for a 2026-07-28 client lists the server's tools itself (a process's
    first list, and again after a list change), and listed the first page only: on first use
    the later pages' tools were never pinned (withheld as added on the server's first day),
    and a call of one was refused as a tool the server does not offer."""
    import sys

    import httpx

    from loopback import gateway_serving_one

    token = "mcpg_paged-tools-modern-client-0123456789abcdef"
    (tmp_path / "paged_server.py").write_text(PAGED_SERVER, encoding="utf-8")
    paged = [sys.executable, str(tmp_path / "paged_server.py")]
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "raw-test-client", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
    }

    def post(method: str, params: dict[str, Any], name: str | None = None) -> dict[str, Any]:
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": {**params, "_meta": meta}}
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2026-07-28",
            "Mcp-Method": method,
            **({"Mcp-Name": name} if name else {}),
        }
        answer: dict[str, Any] = httpx.post(url, json=body, headers=headers, timeout=30).json()
        return answer

    with gateway_serving_one(tmp_path, token, "paged", paged, head="call_timeout = 5\n") as (url, _log):
        called = post("tools/call", {"name": "fetch", "arguments": {}}, "fetch")
        assert called.get("result", {}).get("content") == [{"type": "text", "text": "called fetch"}], called
        pins = orjson.loads((tmp_path / "pins.json").read_bytes())["servers"]["paged"]
        assert set(pins) == {"tool:search", "tool:fetch"}
        first = post("tools/list", {})["result"]
        assert [tool["name"] for tool in first["tools"]] == ["search"]
        second = post("tools/list", {"cursor": first["nextCursor"]})["result"]
        assert [tool["name"] for tool in second["tools"]] == ["fetch"]


@pytest.fixture(params=["file", "sqlite", "postgresql"])
def pin_database(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """Where the pins live: the pin file (None), or a registry database's URL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_database"))
    return None


def _waiting(tmp_path: Path, database: str | None) -> set[str]:
    if database is None:
        return _pinned(tmp_path, "pending")
    registry = Registry.open(database)
    try:
        return set(registry.gateway_pending_pins("docs"))
    finally:
        registry.database.dispose()


def test_a_list_not_yet_whole_does_not_drop_the_waits_of_its_other_pages(
    tmp_path: Path, pin_database: str | None
) -> None:
    """Each page's hold replaced every tool's wait for review with the list's so far: a session
    that listed page 1 only (a client that stopped there, a server that failed page 2 for it,
    a client sharing the gateway) dropped the wait of a tool on page 2, and the reviewer had
    nothing to approve. A page's waits join those kept; the whole list's, at its last page,
    replace them (a tool the server no longer lists is no longer waiting)."""
    database = pin_database

    def relay() -> Relay:
        return entry_relay(tmp_path, None, database=database)

    def pending() -> set[str]:
        return _waiting(tmp_path, database)

    _page(relay(), 0, [SEARCH], None, "2")
    _page(relay(), 0, [SEARCH], None, "2")  # a pinned server now
    planted = dict(SEARCH, description=EXPORT["description"])
    both = relay()
    assert _page(both, 0, [planted], None, "2") == []
    assert _page(both, 1, [EXPORT], "2") == []
    assert pending() == {"tool:search", "tool:export"}
    assert _page(relay(), 0, [planted], None, "2") == []  # page 1 only
    assert pending() == {"tool:search", "tool:export"}
    whole = relay()  # export is gone from the server's list; its wait goes with it
    assert _page(whole, 0, [planted], None, "2") == []
    assert _page(whole, 1, [FETCH], "2") == []  # fetch: added, waiting
    assert pending() == {"tool:search", "tool:fetch"}


def test_waits_kept_across_lists_not_yet_whole_are_bounded(
    tmp_path: Path, pin_database: str | None, monkeypatch: Any
) -> None:
    """Kept across lists never whole (a server that says its tools changed, again and again,
    and answers each list's first page with new tools and a nextCursor), the waits would grow
    the pin store without bound: past ``MAX_KEPT_WAITS`` earlier ones, a page's waits replace
    them."""
    from mcpward.gateway._interceptors import pins

    monkeypatch.setattr(pins, "MAX_KEPT_WAITS", 5)
    database = pin_database
    relay = entry_relay(tmp_path, None, database=database)
    _page(relay, 0, [SEARCH])  # pinned on first use
    for round_ in range(1, 12):
        _list_changed(relay)
        tools = [{"name": f"new{round_}_{n}", "description": "d"} for n in range(2)]
        assert _page(relay, round_, tools, None, "next") == []
    waiting = _waiting(tmp_path, database)
    assert len(waiting) <= 5 + 2
    assert {"tool:new11_0", "tool:new11_1"} <= waiting


def test_a_list_of_very_many_small_pages_is_bounded(tmp_path: Path) -> None:
    """The bytes alone did not bound a list: in small pages, each pinned on first use (or its
    waits held), the pin file was written again whole at every page, as many times as the
    server gave pages. Past ``MAX_LIST_PAGES`` pages a list's later pages are withheld whole."""
    from mcpward.gateway._interceptors.pins import MAX_LIST_PAGES

    relay = entry_relay(tmp_path, None)
    shown = 0
    for page in range(MAX_LIST_PAGES + 5):
        tool = {"name": f"t{page}", "description": "d", "inputSchema": {"type": "object"}}
        shown += len(_page(relay, page, [tool], None if page == 0 else str(page), str(page + 1)))
    assert shown == MAX_LIST_PAGES
    assert len(_pinned(tmp_path)) == MAX_LIST_PAGES


def test_a_page_that_points_to_itself_counts_each_time(tmp_path: Path) -> None:
    """Pages are counted as answered, not by their cursors: a page whose nextCursor is its own
    cursor, asked again and again with new tools, would be one page forever."""
    from mcpward.gateway._interceptors.pins import MAX_LIST_PAGES

    relay = entry_relay(tmp_path, None)
    shown = len(_page(relay, 0, [SEARCH], None, "2"))
    for page in range(1, MAX_LIST_PAGES + 5):
        tool = {"name": f"t{page}", "description": "d", "inputSchema": {"type": "object"}}
        shown += len(_page(relay, page, [tool], "2", "2"))
    assert shown == MAX_LIST_PAGES
    assert len(_pinned(tmp_path)) == MAX_LIST_PAGES


def test_a_prompt_list_of_very_many_pages_is_bounded(tmp_path: Path) -> None:
    """Prompts and resources, where the server has pins of their kind, are judged page by page
    too, and every page held the list's waits so far, writing the pin file again whole: 400
    pages of 100 new prompts took 64 s, growing as the square of the pages. Past
    ``MAX_LIST_PAGES`` a list's later pages are withheld whole, as a tool list's are."""
    from mcpward.gateway._interceptors.pins import MAX_LIST_PAGES
    from mcpward.inspect import pin_record, signature

    relay = entry_relay(tmp_path, pin_record([signature("", "prompt", {"name": "p", "description": "d"})]))
    for page in range(MAX_LIST_PAGES + 5):
        params = {} if page == 0 else {"cursor": str(page)}
        message = {"jsonrpc": "2.0", "id": page, "method": "prompts/list", "params": params}
        relay.client_message(orjson.dumps(message))
        result = {"prompts": [{"name": f"p{page}", "description": "d"}], "nextCursor": str(page + 1)}
        outs = relay.server_message(orjson.dumps({"jsonrpc": "2.0", "id": page, "result": result}))
        shown = orjson.loads(outs[0].data)["result"]
        assert shown["prompts"] == []  # each new: withheld
        assert ("nextCursor" in shown) == (page < MAX_LIST_PAGES)
    waiting = _pinned(tmp_path, "pending")
    assert len(waiting) == MAX_LIST_PAGES
    assert "prompt-list-too-long" in (tmp_path / "audit.jsonl").read_text()
