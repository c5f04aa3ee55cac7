"""Claude Desktop's extensions (``.mcpb``, formerly ``.dxt``): one click in Settings > Extensions
unpacks a bundle into ``<config>/Claude/Claude Extensions/<id>/`` and Claude Desktop starts the
server its ``manifest.json`` names (``server.mcp_config``: command, args, env, with
``${__dirname}`` for the bundle's folder and ``${user_config.X}`` for what the user entered,
kept in ``Claude Extensions Settings/<id>.json`` with ``isEnabled``).

Before 2026-12-06 the scan read only ``claude_desktop_config.json``: every extension's server
was missing from the inventory without a word, the easiest way to give a user a server no
scan reports. Now each manifest is a ``claude-desktop`` record, with the extension as its
plugin, its launch line with ``${__dirname}`` resolved, and disabled when its settings say so.
The settings file holds the user's secrets: only ``isEnabled`` is read of it."""

from __future__ import annotations

import json
from pathlib import Path

from mcpward.model import Transport
from mcpward.scan._engine import ScanOptions, discover

SECRET = "Xq7vR2mK9pL4wZ8tYh3"


def _extension(home: Path, ext_id: str, manifest: dict[str, object], enabled: bool | None = True) -> Path:
    claude = home / ".config" / "Claude"
    folder = claude / "Claude Extensions" / ext_id
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    if enabled is not None:
        settings = claude / "Claude Extensions Settings"
        settings.mkdir(exist_ok=True)
        values = {"isEnabled": enabled, "userConfig": {"api_key": SECRET}}
        (settings / f"{ext_id}.json").write_text(json.dumps(values))
    return folder


def _manifest(name: str, command: str, args: list[str]) -> dict[str, object]:
    return {
        "manifest_version": "0.3",
        "name": name,
        "version": "1.0.0",
        "server": {
            "type": "node",
            "entry_point": "server/index.js",
            "mcp_config": {"command": command, "args": args, "env": {"API_KEY": "${user_config.api_key}"}},
        },
    }


def test_an_installed_extension_is_in_the_inventory(tmp_path: Path) -> None:
    folder = _extension(
        tmp_path, "local.dxt.acme.notes", _manifest("notes", "node", ["${__dirname}/server/index.js"])
    )
    _extension(tmp_path, "local.dxt.acme.off", _manifest("off", "node", ["x.js"]), enabled=False)
    found = discover(ScanOptions(home=tmp_path, hosts=frozenset({"claude-desktop"})))
    assert not found.errors, found.errors
    servers = {s.name: s for s in found.servers}
    assert set(servers) == {"notes", "off"}
    notes = servers["notes"]
    assert notes.host == "claude-desktop" and notes.transport is Transport.STDIO
    assert notes.command == "node" and notes.args == (f"{folder}/server/index.js",)
    assert notes.plugin == "notes" and not notes.disabled
    assert notes.env == {"API_KEY": "${user_config.api_key}"}  # the user's value is never read
    assert servers["off"].disabled


def test_a_platform_override_is_the_launch_on_that_platform(tmp_path: Path) -> None:
    manifest = _manifest("multi", "node", ["a.js"])
    manifest["server"]["mcp_config"]["platform_overrides"] = {"linux": {"command": "/opt/multi/run"}}  # type: ignore[index]
    _extension(tmp_path, "ant.dir.multi", manifest)
    found = discover(ScanOptions(home=tmp_path, hosts=frozenset({"claude-desktop"})))
    assert [(s.name, s.command, s.args) for s in found.servers] == [("multi", "/opt/multi/run", ("a.js",))]


def test_a_broken_manifest_is_said(tmp_path: Path) -> None:
    folder = tmp_path / ".config" / "Claude" / "Claude Extensions" / "broken"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text("{not json")
    found = discover(ScanOptions(home=tmp_path, hosts=frozenset({"claude-desktop"})))
    assert [e.path for e in found.errors] == [str(folder / "manifest.json")]
