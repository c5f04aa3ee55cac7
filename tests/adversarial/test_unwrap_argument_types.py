"""A wrapped entry edited since with arguments that are no strings (a port as a number, a
``true``, a ``null``, in Claude Code's or opencode's shape): unwrap read the launch
line as text to take it apart, and before 2026-12-05 wrote that text back, so the config got
``"8080"``, ``"True"``, ``"None"`` and ``"{'a': 1}"`` (Python's spelling) in place of the user's
values without a word. The values after the gateway's ``--`` are now put back as the entry
holds them."""

from __future__ import annotations

import json
from pathlib import Path

from mcpward.gateway import unwrap, wrap
from mcpward.scan import ScanOptions

ODD = [8080, True, None, {"a": 1}, 1.5]


def test_arguments_that_are_no_strings_come_back_as_they_are(tmp_path: Path) -> None:
    home, data = tmp_path / "home", tmp_path / "data"
    claude = home / ".claude.json"
    opencode = home / ".config" / "opencode" / "opencode.json"
    opencode.parent.mkdir(parents=True)
    claude.write_text(json.dumps({"mcpServers": {"s": {"command": "node", "args": ["a.js"]}}}))
    opencode.write_text(json.dumps({"mcp": {"s": {"type": "local", "command": ["node", "b.js"]}}}))
    outcome = wrap(ScanOptions(home=home), data)
    assert sorted(outcome.wrapped) == [(str(claude), "s"), (str(opencode), "s")], outcome.skipped
    document = json.loads(claude.read_text())
    document["mcpServers"]["s"]["args"] += ODD
    claude.write_text(json.dumps(document))
    document = json.loads(opencode.read_text())
    document["mcp"]["s"]["command"] += ODD
    opencode.write_text(json.dumps(document))
    restored, problems = unwrap(data)
    assert sorted(restored) == sorted([str(claude), str(opencode)]) and not problems, problems
    assert json.loads(claude.read_text())["mcpServers"]["s"] == {"command": "node", "args": ["a.js", *ODD]}
    assert json.loads(opencode.read_text())["mcp"]["s"] == {
        "type": "local",
        "command": ["node", "b.js", *ODD],
    }
