"""The pin file was parsed whole at every read of the pins: every tool list judged, and every
5 s of every session with something withheld (to tell its client of an approval). One server
can make the file large: its first list is pinned on first use (up to 16 MiB of text), and a
changed list waits for review (as much again). A 34 MB store took 0.28 s to parse here, so
each session of every other server with a tool withheld cost the gateway 0.28 s of its event
loop every 5 s (18 such sessions kept a core busy), and each tool list as much. Until
2026-12-05: the parsed store is now kept (per file) and parsed again only when the file
changed (each write replaces it). And each page of a list with a tool withheld wrote the whole
file (the page's waits kept for review), again at every listing of the same list: a list of 20
one-tool pages, tiny to send, took 17 s of the gateway's time a listing with a 34 MB store;
what is kept already is not written again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from gateway_attack_kit import SEARCH

from mcpward.gateway import AuditLog, GatewayConfig, Relay, Session, build_interceptors
from mcpward.gateway._interceptors import pins as pins_module
from mcpward.inspect import _pins, pin_record, signature

SESSIONS = 20


def _relay(tmp_path: Path, audit: AuditLog) -> Relay:
    config = GatewayConfig.model_validate(
        {"pins": {"store": str(tmp_path / "pins.json")}, "baseline": {"enabled": False}}
    )
    return Relay(
        Session(server="docs", target="t"), build_interceptors(config, audit_log=audit), max_message=1 << 20
    )


def test_the_pin_file_is_parsed_again_only_when_it_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "pins.json"
    large = [
        {"name": f"t{n}", "description": "x" * 1500, "inputSchema": {"type": "object"}} for n in range(2000)
    ]
    servers = {
        "large": pin_record([signature("large", "tool", tool) for tool in large]),
        "docs": pin_record([signature("docs", "tool", SEARCH)]),
    }
    store.write_text(json.dumps({"version": 1, "servers": servers}), encoding="utf-8")
    reads: list[str] = []
    read_raw = _pins.read_raw

    def counted(path: Any, *args: Any, **kwargs: Any) -> bytes:
        reads.append(str(path))
        return read_raw(path, *args, **kwargs)

    monkeypatch.setattr(_pins, "read_raw", counted)
    clock = [1000.0]
    monkeypatch.setattr(pins_module.time, "monotonic", lambda: clock[0])
    audit = AuditLog(tmp_path / "audit.jsonl")
    changed = dict(SEARCH, description="Search the docs and the wiki.")
    relays = [_relay(tmp_path, audit) for _ in range(SESSIONS)]
    for relay in relays:
        relay.client_message(orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}))
        answer = {"jsonrpc": "2.0", "id": 1, "result": {"tools": [changed]}}
        assert orjson.loads(relay.server_message(orjson.dumps(answer))[0].data)["result"]["tools"] == []
    writes = len(reads)  # at most a read per session so far, and a write (the wait kept) per session
    for _ in range(5):  # 25 s: each session looks for an approval five times
        clock[0] += pins_module.APPROVAL_CHECK_SECONDS
        for relay in relays:
            relay.tick()
    assert len(reads) - writes <= 1, (
        f"the pin file parsed {len(reads) - writes} times for {SESSIONS} sessions' checks"
    )


def test_a_list_listed_again_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pages = 20
    tools = [
        {"name": f"d{n}", "description": "Look it up.", "inputSchema": {"type": "object"}}
        for n in range(pages)
    ]
    record = pin_record([signature("docs", "tool", tool) for tool in tools])
    (tmp_path / "pins.json").write_text(
        json.dumps({"version": 1, "servers": {"docs": record}}), encoding="utf-8"
    )
    changed = [dict(tool, description="Look it up, then more.") for tool in tools]
    saves: list[int] = []
    save = _pins.PinStore.save

    def counted(store: Any) -> None:
        saves.append(1)
        save(store)

    monkeypatch.setattr(_pins.PinStore, "save", counted)
    audit = AuditLog(tmp_path / "audit.jsonl")
    for listing in range(3):
        relay = _relay(tmp_path, audit)
        for page in range(pages):
            params = {} if page == 0 else {"cursor": str(page)}
            request = {"jsonrpc": "2.0", "id": page + 1, "method": "tools/list", "params": params}
            relay.client_message(orjson.dumps(request))
            result: dict[str, Any] = {"tools": [changed[page]]}
            if page + 1 < pages:
                result["nextCursor"] = str(page + 1)
            answer = orjson.loads(
                relay.server_message(orjson.dumps({"jsonrpc": "2.0", "id": page + 1, "result": result}))[
                    0
                ].data
            )
            assert answer["result"]["tools"] == []
        if listing == 0:
            first = len(saves)
    assert len(saves) == first, f"the same list listed twice more wrote the store {len(saves) - first} times"
    waiting = orjson.loads((tmp_path / "pins.json").read_bytes())["pending"]["docs"]
    assert set(waiting) == {f"tool:d{n}" for n in range(pages)}
