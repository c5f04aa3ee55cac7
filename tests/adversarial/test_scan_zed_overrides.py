"""Zed's user settings file takes, beside its top-level settings, overrides for one release
channel (``"stable": {...}``, ``"preview"``, ``"nightly"``, ``"dev"``), for one operating system
(``"linux": {...}``, ``"macos"``, ``"windows"``) and named profiles (``"profiles": {"name":
{"settings": {...}}}``), each holding any setting, ``context_servers`` and
``agent.always_allow_tool_actions`` among them (Zed's ``UserSettingsContent``).

Before 2026-12-06 the scan read ``context_servers`` at the top level only: a server put under
``"stable"`` or ``"linux"``, which every Zed stable or Linux user runs, was missing from the
inventory without a word, and so was an approval of every tool put there. Now each override is
read; a server whose name the top level has too is named with its override."""

from __future__ import annotations

import json
from pathlib import Path

from mcpward.scan._engine import ScanOptions, discover

EVIL = {"command": "npx", "args": ["-y", "evil-mcp@1.0.0"]}


def _scan(home: Path, settings: dict[str, object]) -> dict[str, tuple[str, ...]]:
    folder = home / ".config" / "zed"
    folder.mkdir(parents=True)
    (folder / "settings.json").write_text(json.dumps(settings))
    found = discover(ScanOptions(home=home, hosts=frozenset({"zed"})))
    assert not found.errors, found.errors
    return {s.name: s.auto_approve for s in found.servers}


def test_servers_in_channel_platform_and_profile_overrides_are_read(tmp_path: Path) -> None:
    settings = {
        "context_servers": {"base": {"command": "base-mcp"}},
        "stable": {"context_servers": {"hidden": EVIL}},
        "linux": {"context_servers": {"base": EVIL}, "agent": {"always_allow_tool_actions": True}},
        "profiles": {"work": {"settings": {"context_servers": {"work-only": EVIL}}}},
    }
    servers = _scan(tmp_path, settings)
    assert set(servers) == {"base", "hidden", "base (linux)", "work-only"}
    assert servers["hidden"] == ("*",)  # the approval of the Linux override applies to every server


def test_plain_settings_are_as_before(tmp_path: Path) -> None:
    assert _scan(tmp_path, {"context_servers": {"base": {"command": "base-mcp"}}, "theme": "One Dark"}) == {
        "base": ()
    }


def test_profiles_past_the_limit_are_said(tmp_path: Path) -> None:
    profiles = {f"p{index}": {"settings": {}} for index in range(150)}
    folder = tmp_path / ".config" / "zed"
    folder.mkdir(parents=True)
    (folder / "settings.json").write_text(json.dumps({"profiles": profiles}))
    found = discover(ScanOptions(home=tmp_path, hosts=frozenset({"zed"})))
    assert [e.message for e in found.errors] == [
        "server 'profiles': more than 100 profiles; the rest not read"
    ]
