"""A launch line that names what it runs through a variable's default (``"command":
"${RUNNER:-npx}"``, ``"args": ["-y", "${PKG:-evil-mcp}"]``): Claude Code expands
``${VAR:-default}`` in a ``.mcp.json``'s command and arguments, so where the variable is unset
(everywhere, for a variable nobody sets) the default is what starts.

Before 2026-12-06 the launch was judged as written: ``${RUNNER:-npx}`` was no runner, so the
server had no package and no unpinned-package finding, and ``${PKG:-evil-mcp}`` was the package's
name, so the advisories, the impersonation check and the registry looked for a package that does
not exist. Now the launch is resolved with each default in place of its variable; the record's
arguments stay as written."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mcpward.scan._engine import ScanOptions, discover, run_scan


def _scan(tmp_path: Path, servers: dict[str, object]) -> tuple[dict[str, object], set[tuple[str, str]]]:
    (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": servers}))
    report = run_scan(ScanOptions(paths=(tmp_path,), include_user_configs=False, workers=1))
    packages = {s.name: s.package for s in report.servers}
    rules = {(f.server or "", f.rule) for f in report.findings}
    return packages, rules


@pytest.mark.parametrize(
    ("command", "args", "name", "version"),
    [
        ("${RUNNER:-npx}", ["-y", "evil-mcp"], "evil-mcp", None),
        ("npx", ["-y", "${PKG:-evil-mcp}"], "evil-mcp", None),
        ("npx", ["-y", "evil-mcp@${VERSION:-1.2.3}"], "evil-mcp", "1.2.3"),
        ("${A:-${B:-npx}}", ["-y", "${C-evil-mcp}"], "evil-mcp", None),
    ],
    ids=["runner", "package", "version", "nested"],
)
def test_a_launch_is_judged_with_its_defaults(
    tmp_path: Path, command: str, args: list[str], name: str, version: str | None
) -> None:
    packages, rules = _scan(tmp_path, {"x": {"command": command, "args": args}})
    package = packages["x"]
    assert package is not None and (package.name, package.version) == (name, version)
    assert (("x", "npm-unpinned") in rules) == (version is None)


def test_the_record_keeps_the_launch_as_written(tmp_path: Path) -> None:
    (tmp_path / ".mcp.json").write_text(
        json.dumps({"mcpServers": {"x": {"command": "npx", "args": ["-y", "${PKG:-evil-mcp}"]}}})
    )
    report = run_scan(ScanOptions(paths=(tmp_path,), include_user_configs=False, workers=1))
    assert report.servers[0].args == ("-y", "${PKG:-evil-mcp}")


def test_variables_without_defaults_stay_as_written(tmp_path: Path) -> None:
    servers = {
        "a": {"command": "node", "args": ["${workspaceFolder}/server.js"]},
        "b": {"command": "npx", "args": ["-y", "${PKG}"]},
        "c": {"command": "npx", "args": ["-y", "notes-mcp@1.0.0", "--token", "${input:token}"]},
    }
    packages, _ = _scan(tmp_path, servers)
    assert packages["b"] is not None and packages["b"].name == "${PKG}"
    assert packages["c"] is not None and (packages["c"].name, packages["c"].version) == ("notes-mcp", "1.0.0")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_running_server_is_matched_with_its_config_by_its_defaults(tmp_path: Path) -> None:
    args = ["-c", "import time; time.sleep(60)", "--notes-dir", str(tmp_path)]
    server = {"command": "${RUNNER:-mcp-server-notes}", "args": args}
    (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": {"notes": server}}))
    started = subprocess.Popen(["mcp-server-notes", *args], executable=sys.executable)
    try:
        time.sleep(0.3)
        found = discover(
            ScanOptions(paths=(tmp_path,), include_user_configs=False, workers=1, processes=True)
        )
    finally:
        started.kill()
        started.wait(timeout=10)
    (running,) = [s for s in found.servers if s.process is not None and s.process.pid == started.pid]
    assert running.process is not None and running.process.configured_as


def test_a_remote_server_is_judged_by_its_url_default(tmp_path: Path) -> None:
    servers = {"remote": {"type": "http", "url": "${MCP_URL:-http://mcp.example.com/mcp}"}}
    (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": servers}))
    report = run_scan(ScanOptions(paths=(tmp_path,), include_user_configs=False, workers=1))
    assert any(f.category.value == "insecure-transport" and f.server == "remote" for f in report.findings)
    (server,) = report.servers
    assert server.package is not None and server.package.name == "http://mcp.example.com/mcp"
    assert server.url == "${MCP_URL:-http://mcp.example.com/mcp}"
