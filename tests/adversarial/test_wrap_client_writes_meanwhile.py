"""The client rewriting its own config while ``wrap`` writes it: Claude Code rewrites
``~/.claude.json`` as it runs (its projects, their servers, its counters), and wrap takes a
while between reading a config and replacing it (the backup and the restore list are written
and synced first).

Before 2026-12-05 wrap replaced the file with the wrapped text of what it had read: whatever
the client wrote in between was lost, and not in the backup either, so ``unwrap`` could not
give it back. wrap now checks, just before it replaces a config, that it is still what it read;
else the file is left as the client wrote it, its record taken back, said why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcpward.gateway import _wrap, unwrap, wrap
from mcpward.scan import ScanOptions


def test_what_the_client_writes_while_wrap_writes_is_not_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, data = tmp_path / "home", tmp_path / "data"
    config = home / ".cursor" / "mcp.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"mcpServers": {"memory": {"command": "node", "args": ["m.js"]}}}))
    by_client = {"mcpServers": {"memory": {"command": "node", "args": ["m.js"]}}, "added": "by the client"}
    save = _wrap._Manifest.save

    def client_writes_meanwhile(manifest: _wrap._Manifest) -> None:
        save(manifest)
        if manifest.entries and "added" not in config.read_text():
            config.write_text(json.dumps(by_client))

    monkeypatch.setattr(_wrap._Manifest, "save", client_writes_meanwhile)
    outcome = wrap(ScanOptions(home=home), data)
    assert json.loads(config.read_text()).get("added") == "by the client", "the client's write was lost"
    assert not outcome.wrapped and any("changed while" in why for _, _, why in outcome.skipped), outcome
    monkeypatch.undo()
    restored, problems = unwrap(data)
    assert not restored and not problems  # nothing was recorded for it
    assert json.loads(config.read_text()) == by_client
