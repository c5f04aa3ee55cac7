"""A Claude Code marketplace is cloned whole into ``~/.claude/plugins/marketplaces/<name>/``, so
its author decides how many ``.mcp.json`` files the home holds. The scan lists a host's plugin,
skill and extension files up to 500 a pattern (``bounded_glob``) and stopped there without a
word: a marketplace of 600 empty plugins (600 ``{}`` files, 24 KB) used up the listing, and
the server of the plugin installed in ``~/.claude/plugins/cache/`` went missing from the
inventory with no error and no finding. Until 2026-12-06; now the installed plugins are listed
first, and a listing cut short is said as an error line of that host (a ``parse-error``
finding) naming the folder, as the tree walk says a folder it could not list."""

from __future__ import annotations

import json
from pathlib import Path

from mcpward.scan._engine import ScanOptions, discover

DECOYS = 600


def _home(tmp_path: Path) -> Path:
    plugins = tmp_path / ".claude" / "plugins"
    market = plugins / "marketplaces" / "friendly-market" / "plugins"
    for index in range(DECOYS):
        (market / f"p{index:03}").mkdir(parents=True)
        (market / f"p{index:03}" / ".mcp.json").write_text("{}")
    installed = plugins / "cache" / "friendly-market" / "notes" / "1.0.0"
    installed.mkdir(parents=True)
    server = {"command": "npx", "args": ["-y", "notes-mcp@1.0.0"]}
    (installed / ".mcp.json").write_text(json.dumps({"mcpServers": {"notes": server}}))
    return tmp_path


def test_a_flood_of_plugin_files_hides_nothing_in_silence(tmp_path: Path) -> None:
    found = discover(ScanOptions(home=_home(tmp_path), hosts=frozenset({"claude-code"})))
    names = {s.name for s in found.servers}
    cut = [e for e in found.errors if "the rest not read" in e.message]
    assert "notes" in names or cut, "the installed plugin's server was dropped without a word"
    assert "notes" in names  # the installed plugins are listed before the marketplaces' clones
    assert cut and cut[0].host == "claude-code", found.errors
    assert any(f.rule == "parse-error" and f.config_path == cut[0].path for f in found.findings)


def test_a_home_under_the_limit_says_nothing(tmp_path: Path) -> None:
    plugins = tmp_path / ".claude" / "plugins" / "cache" / "m" / "notes" / "1.0.0"
    plugins.mkdir(parents=True)
    (plugins / ".mcp.json").write_text(json.dumps({"mcpServers": {"notes": {"command": "notes-mcp"}}}))
    found = discover(ScanOptions(home=tmp_path, hosts=frozenset({"claude-code"})))
    assert [s.name for s in found.servers] == ["notes"] and not found.errors
