"""Hostile and broken configs: a clear error or parse-error finding with the path, never a
crash, and the rest of the scan completes. Nothing in an error quotes the file."""

from __future__ import annotations

import codecs
import json
import os
import time
from pathlib import Path

import pytest

from conftest import scan_home
from fake_home import write, write_json
from mcpward.model import Category, to_jsonable

SECRET = "ghp_" + "Zq8Lm2Vb9RtN4pZs1TyW8cUf3HjD6gAe0K5o"
GOOD = {
    "mcpServers": {
        "memory": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory@2025.8.4"]}
    }
}


def home_with_one_good_config(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    write_json(home / ".cursor" / "mcp.json", GOOD)
    return home


def error_for(report, path: Path) -> str:  # type: ignore[no-untyped-def]
    messages = [e.message for e in report.errors if e.path == str(path)]
    assert messages, f"no error for {path}: {report.errors}"
    assert any(f.category is Category.PARSE_ERROR and f.config_path == str(path) for f in report.findings)
    return messages[0]


@pytest.mark.parametrize(
    "relative,content,expected",
    [
        (
            ".config/Claude/claude_desktop_config.json",
            '{"mcpServers": {"x": {"command": "npx",, }}}',
            "JSON syntax error at line 1",
        ),
        (
            ".codeium/windsurf/mcp_config.json",
            '{"mcpServers": {\n  "x": {"command": "npx" /* unclosed',
            "JSON syntax error at line 2",
        ),
        (".codex/config.toml", '[mcp_servers.x]\ncommand = "npx\nargs = [', "TOML syntax error at line 2"),
        (
            ".continue/config.yaml",
            "mcpServers:\n  - name: x\n    command: [npx\n  args: 1\n",
            "YAML syntax error at line",
        ),
        (
            ".config/goose/config.yaml",
            "extensions: !!python/object/apply:os.system ['id']\n",
            "YAML syntax error",
        ),
    ],
)
def test_malformed_files_are_reported_and_the_scan_goes_on(
    tmp_path: Path, relative: str, content: str, expected: str
) -> None:
    home = home_with_one_good_config(tmp_path)
    broken = write(home / relative, content)
    report = scan_home(home)
    assert error_for(report, broken).startswith(expected)
    # A JSONC config is read around its error as VS Code reads it: its server is listed too.
    salvaged = ["x"] if relative.endswith("mcp_config.json") else []
    assert sorted(s.name for s in report.servers) == ["memory", *salvaged]


def test_errors_never_quote_the_secret_near_the_fault(tmp_path: Path) -> None:
    home = home_with_one_good_config(tmp_path)
    write(
        home / ".config" / "Claude" / "claude_desktop_config.json",
        '{"mcpServers": {"x": {"env": {"T": "' + SECRET + '" x}}}}',
    )
    write(home / ".continue" / "config.yaml", f"mcpServers:\n  - name: x\n    env: {{T: {SECRET}\n  bad: [\n")
    write(home / ".codex" / "config.toml", f'[mcp_servers.x]\nenv = {{ T = "{SECRET}" \n')
    write(
        home / ".gemini" / "settings.json", '{"mcpServers": {"x": {"command": 1, "args": "' + SECRET + '"}}}'
    )
    report = scan_home(home)
    assert len(report.errors) == 4
    assert SECRET not in json.dumps(to_jsonable(report))


def test_wrong_types_reject_only_the_bad_entry(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write_json(
        home / ".cursor" / "mcp.json",
        {
            "mcpServers": {
                "ok": {"command": "uvx", "args": ["mcp-server-time==2025.8.4"]},
                "string-entry": "npx -y foo",
                "args-string": {"command": "npx", "args": "-y foo"},
                "env-list": {"command": "npx", "args": [], "env": ["A=1"]},
                "number-command": {"command": 7},
                "nothing": {"description": "no command, no url"},
                "bad-type": {"type": "carrier-pigeon", "command": "npx"},
                "http-no-url": {"type": "http"},
                "numbers-ok": {"command": "node", "args": ["server.js", "--port", 8080, True]},
            }
        },
    )
    write_json(home / ".kiro" / "settings" / "mcp.json", {"mcpServers": ["not", "a", "map"]})
    write_json(home / ".lmstudio" / "mcp.json", [1, 2, 3])
    report = scan_home(home)
    assert sorted(s.name for s in report.servers) == ["numbers-ok", "ok"]
    numbers = next(s for s in report.servers if s.name == "numbers-ok")
    assert numbers.args == ("server.js", "--port", "8080", "true")
    messages = " | ".join(e.message for e in report.errors)
    for name in (
        "string-entry",
        "args-string",
        "env-list",
        "number-command",
        "nothing",
        "bad-type",
        "http-no-url",
    ):
        assert f"server {name!r}" in messages
    assert "expected a mapping of servers, found list" in messages
    assert "expected a JSON object, found list" in messages


def test_binary_oversized_undecodable_and_special_files(tmp_path: Path) -> None:
    home = home_with_one_good_config(tmp_path)
    binary = home / ".config" / "Claude" / "claude_desktop_config.json"
    binary.parent.mkdir(parents=True)
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00" + os.urandom(2048))
    huge = home / ".codeium" / "windsurf" / "mcp_config.json"
    huge.parent.mkdir(parents=True)
    with huge.open("wb") as handle:
        handle.truncate(40 * 1024 * 1024)  # sparse: costs no disk, must not be read
    latin1 = home / ".kiro" / "settings" / "mcp.json"
    latin1.parent.mkdir(parents=True)
    latin1.write_bytes('{"mcpServers": {"caf\xe9": {"command": "npx"}}}'.encode("latin-1"))
    directory = home / ".lmstudio" / "mcp.json"
    directory.mkdir(parents=True)
    fifo = home / ".copilot" / "mcp-config.json"
    fifo.parent.mkdir(parents=True)
    os.mkfifo(fifo)
    loop = home / ".aws" / "amazonq" / "mcp.json"
    loop.parent.mkdir(parents=True)
    loop.symlink_to(loop)
    started = time.monotonic()
    report = scan_home(home)
    assert time.monotonic() - started < 30  # a FIFO must not block the scan
    assert "binary" in error_for(report, binary)
    assert "too large" in error_for(report, huge)
    assert "not valid utf-8-sig text" in error_for(report, latin1)
    assert error_for(report, directory) == "not a regular file"
    assert error_for(report, fifo) == "not a regular file"
    assert "cannot read" in error_for(report, loop)
    # Its client (Node) reads the Latin-1 file with the byte replaced, and starts the server.
    assert [s.name for s in report.servers] == ["memory", "caf\ufffd"]


def test_permission_denied_is_an_error_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = home_with_one_good_config(tmp_path)
    locked = write_json(home / ".gemini" / "settings.json", GOOD)
    real_open = os.open

    def guarded_open(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    # As root (CI) no file is unreadable, so the refusal is simulated at the system call.
    monkeypatch.setattr(os, "open", guarded_open)
    report = scan_home(home)
    assert error_for(report, locked) == "cannot read: Permission denied"
    assert [s.host for s in report.servers] == ["cursor"]


def test_utf16_with_bom_and_utf8_bom_are_read(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = home / ".config" / "Claude" / "claude_desktop_config.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(codecs.BOM_UTF16_LE + json.dumps(GOOD).encode("utf-16-le"))
    cursor = home / ".cursor" / "mcp.json"
    cursor.parent.mkdir(parents=True)
    cursor.write_bytes(codecs.BOM_UTF8 + json.dumps(GOOD).encode())
    report = scan_home(home)
    assert sorted(s.host for s in report.servers) == ["claude-desktop", "cursor"]
    assert report.errors == ()


def test_deep_nesting_and_alias_bombs_are_bounded(tmp_path: Path) -> None:
    home = home_with_one_good_config(tmp_path)
    deep = write(home / ".config" / "Claude" / "claude_desktop_config.json", "[" * 200_000 + "]" * 200_000)
    bomb_lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 20):
        bomb_lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]")
    bomb_lines.append("mcpServers: *t")
    write(home / ".continue" / "config.yaml", "\n".join(bomb_lines) + "\n")
    write(home / ".config" / "goose" / "config.yaml", "extensions: &e\n  loop: *e\n")
    started = time.monotonic()
    report = scan_home(home)
    assert time.monotonic() - started < 30
    assert "nested too deeply" in error_for(report, deep)
    assert any(e.path.endswith("config.yaml") and "continue" in e.path for e in report.errors)
    assert [s.name for s in report.servers if s.host == "cursor"] == ["memory"]


def test_huge_number_of_servers_is_capped(tmp_path: Path) -> None:
    home = tmp_path / "home"
    servers = {f"s{i}": {"command": "node", "args": [f"/opt/{i}.js"]} for i in range(10_050)}
    write_json(home / ".cursor" / "mcp.json", {"mcpServers": servers})
    report = scan_home(home)
    assert len(report.servers) == 10_000
    assert any("more than 10000 servers" in e.message for e in report.errors)


@pytest.mark.parametrize("command", [["sandbox", "run"], ["gateway", "run", "--server", "x"]])
def test_an_audit_log_that_cannot_be_opened_is_a_clear_error(tmp_path: Path, command: list[str]) -> None:
    """A log under a regular file (not a folder): one line naming the log, exit 2, no traceback."""
    import subprocess
    import sys

    (tmp_path / "file").write_text("", encoding="utf-8")
    profile = tmp_path / "profile.toml"
    profile.write_text("", encoding="utf-8")
    extra = ["--profile", str(profile)] if command[0] == "sandbox" else []
    done = subprocess.run(
        [sys.executable, "-m", "mcpward", *command, *extra, "--audit-log", str(tmp_path / "file" / "audit.jsonl"),
         "--", sys.executable, "-c", "pass"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "cannot open the audit log" in done.stderr and "Traceback" not in done.stderr
