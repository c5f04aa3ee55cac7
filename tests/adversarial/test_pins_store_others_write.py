"""The pin store is the record of what a reviewer approved: whoever can change it approves. It
was read and written wherever it was and whatever its permissions: a store (``[pins] store``,
``--store``) in a folder another local account may write (a team folder left 0777, a project
folder), or a file another account owns or may write, let that account put a pin of its own
tool there (or replace the file), and the gateway showed the tool and passed its calls as
approved; ``pins approve`` and first use wrote to it too, and the lock file beside it was
opened for writing through whatever link that account had put there (truncating the file it
named, a shell profile of the gateway's user). Until 2026-12-05: such a store is now refused,
named (every tool withheld, as for a store that cannot be read), and nothing is written."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import orjson
import pytest
from gateway_attack_kit import PLANTED_EXPORT as EXPORT
from gateway_attack_kit import SEARCH

from mcpward.gateway import AuditLog, GatewayConfig, Relay, Session, approve_pins, build_interceptors
from mcpward.inspect import PinStoreError, pin_record, signature

pytestmark = pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")


def _forged(store: Path) -> None:
    """What the other account writes: its planted tool, pinned as if a reviewer approved it."""
    record = pin_record([signature("docs", "tool", tool) for tool in (SEARCH, EXPORT)])
    store.write_text(json.dumps({"version": 1, "servers": {"docs": record}}), encoding="utf-8")


def _shown(tmp_path: Path, store: Path) -> list[str]:
    config = GatewayConfig.model_validate({"pins": {"store": str(store)}, "baseline": {"enabled": False}})
    relay = Relay(
        Session(server="docs", target="t"),
        build_interceptors(config, audit_log=AuditLog(tmp_path / "audit.jsonl")),
        max_message=1 << 16,
    )
    relay.client_message(orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}))
    answer = {"jsonrpc": "2.0", "id": 1, "result": {"tools": [SEARCH, EXPORT]}}
    outs = relay.server_message(orjson.dumps(answer))
    result: dict[str, Any] = orjson.loads(outs[0].data)["result"]
    return [tool["name"] for tool in result["tools"]]


def test_a_store_in_a_folder_others_may_write_is_not_trusted(tmp_path: Path) -> None:
    shared = tmp_path / "team"
    shared.mkdir()
    shared.chmod(0o777)  # not sticky: any account may replace what is in it
    _forged(shared / "pins.json")
    assert "export" not in _shown(tmp_path, shared / "pins.json")


def test_a_store_file_others_may_write_is_not_trusted(tmp_path: Path) -> None:
    store = tmp_path / "pins.json"
    _forged(store)
    store.chmod(0o666)
    assert "export" not in _shown(tmp_path, store)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown needs root")
def test_a_store_file_another_account_owns_is_not_trusted(tmp_path: Path) -> None:
    store = tmp_path / "pins.json"
    _forged(store)
    os.chown(store, 12345, 12345)
    assert "export" not in _shown(tmp_path, store)


def test_a_store_others_may_replace_is_not_pinned_on_first_use(tmp_path: Path) -> None:
    """No store yet, in a folder others may write: first use writes nothing there (the other
    account would replace it at leisure) and shows nothing as approved."""
    shared = tmp_path / "team"
    shared.mkdir()
    shared.chmod(0o777)
    assert _shown(tmp_path, shared / "pins.json") == []
    assert not (shared / "pins.json").exists()


def test_approving_into_such_a_store_writes_through_no_link(tmp_path: Path) -> None:
    """The other account links the lock file to a file of the gateway's user; an approval is
    refused before anything is opened for writing."""
    shared = tmp_path / "team"
    shared.mkdir()
    shared.chmod(0o777)
    profile = tmp_path / "bashrc"
    profile.write_text("export PATH=$HOME/bin:$PATH\n", encoding="utf-8")
    (shared / "pins.lock").symlink_to(profile)
    _forged(shared / "pins.json")
    with pytest.raises(PinStoreError, match="another account"):
        approve_pins(shared / "pins.json", "docs")
    assert profile.read_text(encoding="utf-8") == "export PATH=$HOME/bin:$PATH\n"


def test_a_store_of_ones_own_still_serves(tmp_path: Path) -> None:
    _forged(tmp_path / "pins.json")
    assert _shown(tmp_path, tmp_path / "pins.json") == ["search", "export"]
