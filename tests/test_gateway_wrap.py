"""``mcpward wrap`` and ``unwrap`` on real-looking client configs: servers routed through the
gateway, still working, and the files restored byte for byte."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import anyio

from fake_home import npx, write, write_json

SERVER = Path(__file__).parent / "servers" / "mcp_test_server.py"


def build(home: Path) -> tuple[Path, Path]:
    claude = write(
        home / ".config" / "Claude" / "claude_desktop_config.json",
        f"""
        {{
            "mcpServers": {{
                "weather": {{"command": "{sys.executable}", "args": ["{SERVER}", "stdio"], "env": {{"UNITS": "metric"}}}},
                "remote": {{"url": "https://mcp.example.com/mcp"}}
            }},
            "globalShortcut": "Ctrl+Space"
        }}
        """,
    )
    cursor = write_json(
        home / ".cursor" / "mcp.json",
        {"mcpServers": {"memory": npx("@modelcontextprotocol/server-memory@2026.8.31")}},
    )
    return claude, cursor


def test_wrap_routes_stdio_servers_through_the_gateway_and_unwrap_restores_exactly(
    cli: Any, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    claude, cursor = build(home)
    before = {claude: claude.read_bytes(), cursor: cursor.read_bytes()}
    dry = cli("wrap", "--home", str(home), "--dry-run")
    assert "would wrap weather" in dry.stdout and claude.read_bytes() == before[claude]
    result = cli("wrap", "--home", str(home))
    assert result.exit_code == 0, result.stderr
    assert "wrapped weather" in result.stdout and "wrapped memory" in result.stdout
    assert "skipped remote" in result.stdout and "gateway serve" in result.stdout
    entry = json.loads(claude.read_text())["mcpServers"]["weather"]
    assert entry["command"] == sys.executable
    assert entry["args"][:7] == ["-E", "-P", "-m", "mcpward", "gateway", "run", "--server"]
    assert entry["args"][entry["args"].index("--") + 1 :] == [sys.executable, str(SERVER), "stdio"]
    assert entry["env"] == {"UNITS": "metric"}
    assert json.loads(claude.read_text())["globalShortcut"] == "Ctrl+Space"
    again = cli("wrap", "--home", str(home))
    assert "already wrapped" in again.stdout and "nothing to wrap" in again.stdout

    names = anyio.run(_tools_through, entry)
    assert names == ["get_weather"]

    restored = cli("unwrap")
    assert restored.exit_code == 0 and restored.stdout.count("restored") == 2
    assert {path: path.read_bytes() for path in before} == before
    assert "nothing to restore" in cli("unwrap").stdout


def test_unwrap_keeps_edits_made_after_wrapping_unless_forced(cli: Any, tmp_path: Path) -> None:
    home = tmp_path / "home"
    claude, _ = build(home)
    original = claude.read_text()
    cli("wrap", "--home", str(home), "--host", "claude-desktop")
    claude.write_text(claude.read_text().replace("Ctrl+Space", "Alt+Space"))
    done = cli("unwrap")
    # Only the wrapped entry is put back, in place: the edit stays, and so does the layout.
    assert done.exit_code == 0 and f"restored {claude}" in done.stdout, done.stderr
    assert claude.read_text() == original.replace("Ctrl+Space", "Alt+Space")
    assert "nothing to restore" in cli("unwrap").stdout

    cli("wrap", "--home", str(home), "--host", "claude-desktop")
    claude.write_text(claude.read_text().replace("Alt+Space", "Ctrl+Space"))
    assert cli("unwrap", "--force").exit_code == 0  # the original whole, the edit dropped
    assert claude.read_text() == original.replace("Ctrl+Space", "Alt+Space")


def test_unwrap_home_restores_only_that_homes_configs(cli: Any, tmp_path: Path) -> None:
    first, second = tmp_path / "alice", tmp_path / "bob"
    (alice, _), (bob, _) = build(first), build(second)
    originals = {alice: alice.read_bytes(), bob: bob.read_bytes()}
    for home in (first, second):
        assert cli("wrap", "--home", str(home), "--host", "claude-desktop").exit_code == 0
    done = cli("unwrap", "--home", str(first))
    assert done.exit_code == 0 and str(alice) in done.stdout and str(bob) not in done.stdout
    assert alice.read_bytes() == originals[alice] and bob.read_bytes() != originals[bob]
    assert cli("unwrap", "--home", str(tmp_path / "nobody")).exit_code == 2
    assert cli("unwrap").exit_code == 0 and bob.read_bytes() == originals[bob]


def test_wrapping_a_commented_vscode_settings_file_keeps_its_comments(cli: Any, tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = write(
        home / ".config" / "Code" / "User" / "settings.json",
        f"""
        // my editor settings
        {{
            "editor.fontSize": 14, /* large */
            "mcp": {{
                "servers": {{
                    // the weather server, for the demo
                    "weather": {{"command": "{sys.executable}", "args": ["{SERVER}", "stdio"],}},
                }},
            }},
        }}
        """,
    )
    original = settings.read_bytes()
    assert cli("wrap", "--home", str(home), "--host", "vscode").exit_code == 0
    wrapped = settings.read_text()
    for kept in ("// my editor settings", "/* large */", "// the weather server, for the demo"):
        assert kept in wrapped
    assert '"gateway", "run", "--server", "weather", "--"' in wrapped
    assert cli("unwrap", "--home", str(home)).exit_code == 0 and settings.read_bytes() == original


async def _tools_through(entry: dict[str, Any]) -> list[str]:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client

    params = StdioServerParameters(
        command=entry["command"], args=entry["args"], env=dict(os.environ) | entry["env"]
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        return [tool.name for tool in (await session.list_tools()).tools]


def test_wrap_moves_literal_secrets_out_of_the_config(cli: Any, tmp_path: Path) -> None:
    import hashlib
    import subprocess

    token = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"
    script = (
        "import hashlib, json, os, sys\n"
        "m = json.loads(sys.stdin.readline())\n"
        "digest = hashlib.sha256(os.environ.get('GITHUB_TOKEN', '').encode()).hexdigest()\n"
        "print(json.dumps({'jsonrpc': '2.0', 'id': m['id'], 'result': {'digest': digest}}), flush=True)\n"
    )
    home = tmp_path / "home"
    config = write_json(home / ".cursor" / "mcp.json", {"mcpServers": {"github": {
        "command": sys.executable, "args": ["-c", script],
        "env": {"GITHUB_TOKEN": token, "GITHUB_ORG": "acme"}}}})  # fmt: skip
    original = config.read_bytes()
    secrets = tmp_path / "secrets.env"
    result = cli("wrap", "--home", str(home), "--move-secrets", str(secrets))
    assert "moved the literal secret GITHUB_TOKEN of github" in result.stdout, result.stdout
    assert token not in config.read_text() and token not in result.stdout
    assert (secrets.stat().st_mode & 0o777) == 0o600 and f"github.GITHUB_TOKEN={token}" in secrets.read_text()
    entry = json.loads(config.read_text())["mcpServers"]["github"]
    assert entry["env"] == {"GITHUB_ORG": "acme"}
    process = subprocess.run(
        [entry["command"], *entry["args"]],
        input=b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}\n',
        capture_output=True, timeout=60, env={**os.environ, **entry["env"]}, check=False,
    )  # fmt: skip
    answer = json.loads(process.stdout.splitlines()[0])
    assert answer["result"]["digest"] == hashlib.sha256(token.encode()).hexdigest()
    assert cli("unwrap").exit_code == 0 and config.read_bytes() == original


def test_a_commented_file_that_would_be_rewritten_whole_is_refused_not_stripped(
    cli: Any, tmp_path: Path
) -> None:
    # Moving a secret edits the entry's env as well, which only a whole rewrite does: in a file
    # with comments that would drop them, so the file is left as it was and said so.
    home = tmp_path / "home"
    token = "ghp_" + "Q1w2E3r4T5y6U7i8O9p0A1s2D3f4G5h6J7k8"
    settings = write(
        home / ".config" / "Code" / "User" / "settings.json",
        f"""
        // team settings: keep this comment
        {{
            "mcp": {{"servers": {{
                "github": {{"command": "{sys.executable}", "args": ["{SERVER}", "stdio"],
                            "env": {{"GITHUB_TOKEN": "{token}"}}}},
            }}}},
        }}
        """,
    )
    original = settings.read_bytes()
    secrets = tmp_path / "secrets.env"
    result = cli("wrap", "--home", str(home), "--host", "vscode", "--move-secrets", str(secrets))
    assert settings.read_bytes() == original
    assert not secrets.exists()  # the secret was not copied out either
    assert "comments that rewriting it whole would drop" in result.stdout, result.stdout
    assert token not in result.stdout


def test_an_opencode_entry_is_wrapped_in_its_own_shape_and_still_serves(cli: Any, tmp_path: Path) -> None:
    """opencode writes a launch line as one ``command`` list and its environment under
    ``environment``: the host says so, and wrap writes the gateway in that shape (a generic
    ``command``/``args`` pair would not match the entry at all, or break it)."""
    home = tmp_path / "home"
    config = write(
        home / ".config" / "opencode" / "opencode.jsonc",
        f"""
        // opencode settings
        {{
            "$schema": "https://opencode.ai/config.json",
            "mcp": {{
                "weather": {{
                    "type": "local",
                    "command": ["{sys.executable}", "{SERVER}", "stdio"], // the demo server
                    "environment": {{"UNITS": "metric"}},
                }},
            }},
        }}
        """,
    )
    original = config.read_bytes()
    result = cli("wrap", "--home", str(home), "--host", "opencode")
    assert result.exit_code == 0 and "weather" in result.stdout, result.stdout
    wrapped = config.read_text()
    assert "// opencode settings" in wrapped and "// the demo server" in wrapped
    from mcpward._documents import DocumentFormat, parse_text

    entry = parse_text(wrapped, DocumentFormat.JSONC)["mcp"]["weather"]
    assert set(entry) == {"type", "command", "environment"}  # no "args" key added
    command = entry["command"]
    assert command[command.index("--server") + 1] == "weather"
    assert command[command.index("--") + 1 :] == [sys.executable, str(SERVER), "stdio"]
    tools = anyio.run(
        _tools_through, {"command": command[0], "args": command[1:], "env": entry["environment"]}
    )
    assert tools  # the server answers through the gateway
    assert cli("unwrap", "--home", str(home)).exit_code == 0 and config.read_bytes() == original


def test_every_hosts_stdio_entries_are_found_in_their_own_shape(tmp_path: Path) -> None:
    """The contract of a host's ``launch_keys``: in the fake home, which holds every host's
    config shapes, wrap finds each stdio entry of a JSON/JSONC config by them (a new host
    whose entries wrap cannot find fails here)."""
    from fake_home import build_home
    from mcpward.gateway import wrap
    from mcpward.scan import ScanOptions, TargetOS

    home, root = tmp_path / "home", tmp_path / "root"
    build_home(home, root, TargetOS.LINUX)
    outcome = wrap(
        ScanOptions(home=home, target_os=TargetOS.LINUX, root=root), tmp_path / "backups", dry_run=True
    )
    # Two deprecated shapes are not rewritten (listed as not found, the file left alone): Zed's
    # launch line as a nested {"path", "args"} object, and Continue's unnamed entries under
    # experimental.modelContextProtocolServers.
    not_found = {(Path(file).parent.name, name) for file, name, why in outcome.skipped if "not found" in why}
    assert not_found == {("zed", "legacy"), (".continue", "server-1")}, not_found
    assert {why for _, _, why in outcome.skipped if "not found" not in why} <= {
        "remote server: front it with `gateway serve`",
        "already wrapped",
        "toml configs are not rewritten yet",
        "yaml configs are not rewritten yet",
    }, outcome.skipped
    wrapped_hosts = {Path(file).name for file, _ in outcome.wrapped}
    assert "opencode.json" in wrapped_hosts or "opencode.jsonc" in wrapped_hosts, outcome.wrapped


def test_a_config_that_is_a_symbolic_link_is_skipped_and_stays_a_link(tmp_path: Path) -> None:
    # wrap replaced the link (a config kept in a dotfiles repository) with a file, and unwrap
    # restored a file: the config no longer followed the repository.
    import subprocess

    home = tmp_path / "home"
    kept = write_json(
        tmp_path / "dotfiles" / "cursor-mcp.json", {"mcpServers": {"notes": npx("notes-mcp@1.0.0")}}
    )
    link = home / ".cursor" / "mcp.json"
    link.parent.mkdir(parents=True)
    link.symlink_to(kept)
    before = kept.read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "mcpward", "wrap", "--home", str(home)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"skipped notes in {link}: a symbolic link (to {kept}): rewriting it would replace the link" in (
        result.stdout
    )
    assert link.is_symlink() and kept.read_bytes() == before
