"""Every host application, on every OS layout, is inventoried completely from a fake home."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from conftest import scan_home, servers_by_name
from fake_home import build_home, config_dir, write_json
from mcpward.model import Ecosystem, Scope, Transport
from mcpward.scan import TargetOS, host_ids

ALL_HOSTS = {
    "claude-desktop",
    "claude-code",
    "cursor",
    "windsurf",
    "vscode",
    "cline",
    "roo-code",
    "continue",
    "zed",
    "gemini-cli",
    "codex",
    "copilot-cli",
    "kiro",
    "amazon-q",
    "opencode",
    "goose",
    "lm-studio",
    "amp",
    "antigravity",
    "junie",
}


def test_every_required_host_has_a_module() -> None:
    assert set(host_ids()) == ALL_HOSTS


@pytest.mark.parametrize("target", list(TargetOS))
def test_fake_home_is_inventoried_completely(tmp_path: Path, target: TargetOS) -> None:
    home, root = tmp_path / "home", tmp_path / "root"
    expected = build_home(home, root, target)
    report = scan_home(home, target, root)

    found: dict[str, set[str]] = defaultdict(set)
    for server in report.servers:
        found[server.host].add(server.name)
    assert dict(found) == expected
    assert report.errors == ()
    assert not [f for f in report.findings if f.category == "parse-error"]


def test_another_os_layout_finds_nothing(tmp_path: Path) -> None:
    # A macOS home scanned with Linux conventions has its Claude Desktop config elsewhere.
    home = tmp_path / "home"
    build_home(home, tmp_path / "root", TargetOS.MACOS)
    linux = {s.host for s in scan_home(home, TargetOS.LINUX).servers}
    assert "claude-desktop" not in linux and "vscode" not in linux
    assert "cursor" in linux  # ~/.cursor is the same on every OS


def test_records_hold_transport_package_scope_and_names_only(tmp_path: Path) -> None:
    home, root = tmp_path / "home", tmp_path / "root"
    build_home(home, root, TargetOS.LINUX)
    report = scan_home(home, TargetOS.LINUX, root)
    by = {(s.host, s.name): s for s in report.servers}

    fs = by[("claude-desktop", "filesystem")]
    assert fs.transport is Transport.STDIO and fs.scope is Scope.USER
    assert fs.package is not None and fs.package.ecosystem is Ecosystem.NPM
    assert (fs.package.name, fs.package.version, fs.package.pinned) == (
        "@modelcontextprotocol/server-filesystem",
        "2025.8.21",
        True,
    )
    assert fs.line == 3

    docs = by[("claude-code", "company-docs")]
    assert docs.scope is Scope.MANAGED and docs.transport is Transport.HTTP
    assert docs.header_names == ("Authorization",)

    shop = by[("claude-code", "postgres")]
    assert shop.project == str(home / "src" / "shop") and shop.scope is Scope.USER

    assert by[("claude-code", "linear")].transport is Transport.SSE
    assert by[("windsurf", "notion")].url == "https://mcp.notion.com/mcp"
    notion = by[("windsurf", "notion")].package
    assert notion is not None and (notion.ecosystem, notion.name) == (
        Ecosystem.URL,
        "https://mcp.notion.com/mcp",
    )
    assert by[("gemini-cli", "stripe")].transport is Transport.HTTP  # httpUrl
    assert by[("gemini-cli", "events")].transport is Transport.SSE  # url
    assert by[("codex", "figma")].header_names == ("Authorization",)
    assert by[("opencode", "local-db")].command == "npx"
    assert by[("opencode", "remote-kb")].transport is Transport.HTTP
    assert by[("goose", "weather")].disabled is True
    assert by[("zed", "mcp-server-github")].transport is None  # provided by a Zed extension
    assert by[("zed", "legacy")].package is not None
    time = by[("windsurf", "time")].package
    assert time is not None and (time.ecosystem, time.name, time.version) == (
        Ecosystem.PYPI,
        "mcp-server-time",
        "2025.8.4",
    )
    terraform = by[("amazon-q", "terraform")].package
    assert terraform is not None and terraform.ecosystem is Ecosystem.OCI and terraform.pinned
    assert by[("cursor", "context7")].owner  # the account owning the file


def test_the_fake_home_raises_only_its_one_real_risk(tmp_path: Path) -> None:
    """Realistic, carefully written configs: pinned, no literal secrets, https. Only the one
    real risk in it (Gemini's ``trust: true``) may be reported above low, or the tool cries wolf
    on a well-run machine."""
    home, root = tmp_path / "home", tmp_path / "root"
    build_home(home, root, TargetOS.LINUX)
    report = scan_home(home, TargetOS.LINUX, root)
    loud = [(f.host, f.server, f.rule) for f in report.findings if f.severity.rank > 1]
    assert loud == [("gemini-cli", "python-tools", "auto-approve-all")]


def test_vscode_profiles_and_insiders_user_mcp_json(tmp_path: Path) -> None:
    home = tmp_path / "home"
    user = config_dir(home, TargetOS.LINUX) / "Code" / "User"
    write_json(
        user / "profiles" / "a1b2" / "mcp.json",
        {"servers": {"profiled": {"command": "uvx", "args": ["mcp-server-time==1.0.0"]}}},
    )
    write_json(
        config_dir(home, TargetOS.LINUX) / "Code - Insiders" / "User" / "mcp.json",
        {"servers": {"insider": {"url": "https://x.example.com/mcp"}}},
    )
    names = set(servers_by_name(scan_home(home)))
    assert names == {"profiled", "insider"}


def test_live_machine_honours_xdg_and_codex_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mcpward.scan import ScanOptions, run_scan

    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "codex"))
    (tmp_path / "h").mkdir()
    write_json(
        tmp_path / "xdg" / "Claude" / "claude_desktop_config.json",
        {"mcpServers": {"a": {"command": "node", "args": ["/opt/a.js"]}}},
    )
    (tmp_path / "codex").mkdir()
    (tmp_path / "codex" / "config.toml").write_text(
        '[mcp_servers.b]\ncommand = "node"\nargs = ["/opt/b.js"]\n'
    )
    report = run_scan(ScanOptions(target_os=TargetOS.LINUX, root=tmp_path / "noroot"))
    assert {(s.host, s.name) for s in report.servers} == {("claude-desktop", "a"), ("codex", "b")}
