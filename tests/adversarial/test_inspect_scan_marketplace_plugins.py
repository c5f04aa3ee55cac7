"""A marketplace the user added to Claude Code (the official one is added for everyone) is cloned
whole into ``~/.claude/plugins/marketplaces/<name>/``: every plugin it offers, each with its
``.mcp.json``, installed or not (an installed plugin is copied into ``~/.claude/plugins/cache/``,
and only those, enabled, are started by Claude Code). ``inspect --scan --run`` started the stdio
server of every plugin of every such clone, so any plugin's author in a marketplace the user
had added ran code on the machine (an ``npx`` of their package, a shell) though the user never
installed it; and without ``--run`` every such remote server was asked. A server of a plugin
only offered in a marketplace's clone is now neither started nor asked (one line says how many);
an installed plugin's (in the cache) is, as before."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mcpward.inspect import fetch_all, targets_from_scan


def _plugin(folder: Path, marker: Path) -> None:
    """A plugin in ``folder`` whose stdio server writes ``marker`` when it is started."""
    folder.mkdir(parents=True)
    code = f"open({str(marker)!r}, 'w').write('started')"
    server = {"command": sys.executable, "args": ["-c", code]}
    (folder / ".mcp.json").write_text(json.dumps({"mcpServers": {"helper": server}}))
    (folder / ".claude-plugin").mkdir()
    (folder / ".claude-plugin" / "plugin.json").write_text(json.dumps({"name": folder.name}))


def test_a_plugin_a_marketplace_only_offers_is_not_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugins = tmp_path / ".claude" / "plugins"
    offered, installed = tmp_path / "offered", tmp_path / "installed"
    _plugin(plugins / "marketplaces" / "tools-market" / "plugins" / "helper", offered)
    _plugin(plugins / "cache" / "tools-market" / "notes" / "1.0.0", installed)
    monkeypatch.setenv("HOME", str(tmp_path))
    # Unconfined, so that the marker a started server writes is the host's (a server --run
    # starts runs in the sandbox: tests/adversarial/test_inspect_run_sandboxed.py).
    targets, skipped = targets_from_scan(run_stdio=True, environ={}, sandboxed=False)
    fetch_all(targets, 10)
    assert not offered.exists(), "the stdio server of a plugin never installed was started"
    assert installed.exists()  # an installed plugin's server is started with --run, as before
    assert any("marketplace" in error.message and "not installed" in error.message for error in skipped)


def test_a_remote_server_a_marketplace_only_offers_is_not_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / ".claude" / "plugins" / "marketplaces" / "tools-market" / "plugins" / "weather"
    folder.mkdir(parents=True)
    server = {"type": "http", "url": "https://mcp.weather.example/mcp"}
    (folder / ".mcp.json").write_text(json.dumps({"mcpServers": {"weather": server}}))
    monkeypatch.setenv("HOME", str(tmp_path))
    targets, _ = targets_from_scan(run_stdio=False, environ={})
    assert targets == []
