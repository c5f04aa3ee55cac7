"""Attacks on ``mcpward enforce`` and its drift check: registry values written to break out of
the TOML, PowerShell and JSON the clients read (a package name or URL with quotes, PowerShell's
typographic quotes and subexpressions), a URL that would widen Claude Code's allowlist, a hostile
policy file, and a machine whose managed file is a FIFO, a device or a huge file."""

from __future__ import annotations

import json
import os
import threading
import tomllib
from pathlib import Path
from typing import Any

import pytest

from mcpward.enforce import (
    Decision,
    Platform,
    Policy,
    PolicyServer,
    compile_policy,
    drift,
    managed_files,
    powershell,
)
from mcpward.registry import DataScope, EntryRequest, Identity, Registry, VetOutcome
from powershell_literals import ps_literals

#: Each closes the string it sits in, in one of the formats written, then starts something else.
HOSTILE = "@acme/x\"]\n[evil]'; Remove-Item C:\\ -Recurse; '\u2019$(Invoke-Expression calc)\u2018\\\"`"
HOSTILE_NAME = HOSTILE.replace("\n", "")  # an identity refuses control characters
HOSTILE_URL = "https://mcp.example.com/a'b\u2019c\u201a$(calc)\"d"


@pytest.fixture(scope="module")
def hostile_policy(tmp_path_factory: pytest.TempPathFactory) -> Policy:
    registry = Registry.open(f"sqlite:///{tmp_path_factory.mktemp('reg') / 'r.db'}")
    try:
        for name, identity in (
            ("remote", Identity(kind="remote", url=HOSTILE_URL)),
            ("wild", Identity(kind="remote", url="https://*.example.com/mcp")),
        ):
            request = EntryRequest(
                name=f"io.github.acme/{name}",
                identity=identity,
                owner="team",
                scope=DataScope(),
                vet=VetOutcome(verdict="pass"),
            )
            entry = registry.request(request, "alice")
            registry.approve(entry.id, "bob", "reviewed", override=True)
        compiled = compile_policy(
            registry.entries(), registry.now().date(), registry_url="https://r.example.internal"
        )
    finally:
        registry.database.dispose()
    # enforce refuses such a package from a registry (test_enforce_package_specs.py); a policy
    # file (``--policy``) may still hold its launch line, which must stay inside its strings.
    hostile = ("npx", "-y", f"{HOSTILE_NAME}@1.0.0")
    package = PolicyServer(
        name="io.github.acme/pkg", key="io-github-acme-pkg", decision=Decision.ALLOW, command=hostile
    )
    # Approved now, on probation (Tier-0 until write is granted): granted here, so that every
    # format (Codex's too, which leaves probation out) writes their hostile values.
    granted = tuple(server.model_copy(update={"decision": Decision.ALLOW}) for server in compiled.servers)
    return Policy(registry_url=compiled.registry_url, servers=(package, *granted))


def test_hostile_values_stay_inside_their_strings_in_every_format(hostile_policy: Policy) -> None:
    command = next(s for s in hostile_policy.servers if s.key == "io-github-acme-pkg").command
    assert command == ("npx", "-y", f"{HOSTILE_NAME}@1.0.0")
    files = {f.path: f.content for f in managed_files(hostile_policy, Platform.LINUX)}
    codex = tomllib.loads(files["/etc/codex/requirements.toml"].decode())
    assert set(codex["mcp_servers"]) == {"io-github-acme-pkg", "io-github-acme-remote", "io-github-acme-wild"}
    assert codex["mcp_servers"]["io-github-acme-pkg"]["identity"]["command"]["args"][1]["value"] == command[2]
    assert codex["mcp_servers"]["io-github-acme-remote"]["identity"]["url"] == HOSTILE_URL
    claude = json.loads(files["/etc/claude-code/managed-mcp.json"])
    assert claude["mcpServers"]["io-github-acme-pkg"]["args"] == list(command[1:])
    windows = managed_files(hostile_policy, Platform.WINDOWS)
    script = powershell([], windows).decode()
    literals = ps_literals(script)
    # Every file's content comes back whole from its one literal: nothing was run in between.
    for file in windows:
        path = file.path.replace("/", "\\")
        assert literals[literals.index(path) + 1] == file.content.decode()
    code = "".join(line for line in script.splitlines() if line.startswith("Write-McpwardFile"))
    assert code.count("Write-McpwardFile") == len(windows)


def test_a_wildcard_url_never_widens_claude_codes_allowlist(hostile_policy: Policy) -> None:
    files = {f.path: f.content for f in managed_files(hostile_policy, Platform.LINUX)}
    settings = json.loads(files["/etc/claude-code/managed-settings.json"])
    assert {"serverUrl": "https://*.example.com/mcp"} not in settings["allowedMcpServers"]
    assert all("*" not in item.get("serverUrl", "") for item in settings["allowedMcpServers"])


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"command": ["npx", "-y", "x@1\n[mcp_servers.evil]"]}, "control characters"),
        ({"key": "../../etc/passwd"}, "servers.0.key"),
        ({"url": "file:///etc/shadow", "command": []}, "http(s)"),
    ],
)
def test_a_hostile_policy_file_is_refused_with_one_line(
    tmp_path: Path, cli: Any, change: dict[str, Any], said: str
) -> None:
    server = PolicyServer(name="a/b", key="a-b", decision=Decision.ALLOW, command=("npx", "-y", "a@1"))
    document = {"format": 1, "servers": [{**server.model_dump(mode="json"), **change}]}
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(document))
    for args in (
        ("enforce", "--root", str(tmp_path / "out"), "--policy", str(policy)),
        ("scan", "--home", str(tmp_path), "--root", str(tmp_path), "--enforcement", str(policy)),
    ):
        result = cli(*args)
        assert result.exit_code == 2, result.stderr
        assert said in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_drift_does_not_hang_on_a_fifo_or_read_a_device_or_a_huge_file(tmp_path: Path) -> None:
    policy = Policy(servers=(PolicyServer(name="a/b", key="a-b", decision=Decision.ALLOW, command=("x",)),))
    root = tmp_path / "root"
    (root / "etc" / "claude-code").mkdir(parents=True)
    (root / "etc" / "gemini-cli").mkdir(parents=True)
    fifo = root / "etc" / "claude-code" / "managed-mcp.json"
    os.mkfifo(fifo)
    (root / "etc" / "claude-code" / "managed-settings.json").symlink_to("/dev/zero")
    with (root / "etc" / "gemini-cli" / "settings.json").open("wb") as huge:
        huge.truncate(64 * 1024 * 1024)  # sparse: no disk used
    found: list[Any] = []
    worker = threading.Thread(target=lambda: found.extend(drift(policy, Platform.LINUX, root)), daemon=True)
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # release the blocked open() so the thread ends, then fail
        with open(fifo, "wb"):
            pass
        worker.join(timeout=5)
        pytest.fail("drift blocked on a FIFO at a managed path")
    messages = {Path(f.config_path).name: f.message for f in found}
    assert "not a regular file" in messages["managed-mcp.json"]
    assert "not a regular file" in messages["managed-settings.json"]
    assert "larger than any file enforce writes" in messages["settings.json"]


def test_a_huge_policy_file_is_refused_without_being_read_whole(tmp_path: Path, cli: Any) -> None:
    policy = tmp_path / "policy.json"
    with policy.open("wb") as huge:
        huge.truncate(1024 * 1024 * 1024)  # sparse: 1 GiB of nothing, on no disk
    result = cli("scan", "--home", str(tmp_path), "--root", str(tmp_path), "--enforcement", str(policy))
    assert result.exit_code == 2 and "larger than 32 MiB" in result.stderr
