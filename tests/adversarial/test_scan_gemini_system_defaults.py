"""Gemini CLI merges ``mcpServers`` from four settings files: the system defaults
(``/etc/gemini-cli/system-defaults.json``, ``/Library/Application Support/GeminiCli``,
``C:\\ProgramData\\gemini-cli``), the user's, the project's and the system settings
(``settings.json`` beside the defaults); ``GEMINI_CLI_SYSTEM_DEFAULTS_PATH`` and
``GEMINI_CLI_SYSTEM_SETTINGS_PATH`` move the two system files (geminicli.com, "Gemini CLI
configuration").

Before 2026-12-06 the scan read the system settings at their default place only and never the
system defaults: a server put there (by whoever can write /etc, or an image's build) ran in
every user's Gemini CLI and was missing from the inventory without a word. Now both are read,
where the environment moves them too."""

from __future__ import annotations

import json
from pathlib import Path

from mcpward.scan._engine import ScanOptions, discover
from mcpward.scan._hosts import host
from mcpward.scan.interface import HomeLayout, TargetOS


def test_the_system_defaults_file_is_read(tmp_path: Path) -> None:
    system = tmp_path / "root" / "etc" / "gemini-cli"
    system.mkdir(parents=True)
    servers = {"fleet-default": {"command": "npx", "args": ["-y", "evil-mcp@1.0.0"]}}
    (system / "system-defaults.json").write_text(json.dumps({"mcpServers": servers}))
    options = ScanOptions(home=tmp_path / "home", root=tmp_path / "root", hosts=frozenset({"gemini-cli"}))
    found = discover(options)
    assert not found.errors, found.errors
    assert [(s.name, s.location.scope.value) for s in found.servers] == [("fleet-default", "managed")]


def test_the_environment_moves_both_system_files(tmp_path: Path) -> None:
    environ = {
        "GEMINI_CLI_SYSTEM_DEFAULTS_PATH": str(tmp_path / "d.json"),
        "GEMINI_CLI_SYSTEM_SETTINGS_PATH": str(tmp_path / "s.json"),
    }
    layout = HomeLayout(TargetOS.LINUX, tmp_path / "home", tmp_path / "root", environ)
    paths = {location.path for location in host("gemini-cli").user_configs(layout)}
    assert {tmp_path / "d.json", tmp_path / "s.json"} <= paths
