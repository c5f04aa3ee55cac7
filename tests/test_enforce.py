"""``mcpward enforce``: the managed files of each client, made from a real SQLite registry with
approved, rejected, revoked and probation entries, checked against the formats the clients
document (JSON Schemas written here from their documentation, TOML parsed, the profile read
back with plistlib, the PowerShell script's literals decoded), and ``scan`` finding drift."""

from __future__ import annotations

import base64
import json
import plistlib
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from approval_kit import tool_pins
from mcpward.enforce import (
    Decision,
    GatewayRoute,
    Platform,
    Policy,
    compile_policy,
    drift,
    managed_files,
    mdm_bundle,
    write_tree,
)
from mcpward.registry import DataScope, Entry, EntryRequest, Identity, Registry, VetOutcome
from powershell_literals import ps_literals

REGISTRY_URL = "https://registry.example.internal"

# -- the clients' documented formats, as JSON Schemas written from their documentation --------

_COMMAND = {"type": "array", "minItems": 1, "items": {"type": "string"}}
#: Claude Code: one key per entry (serverName, serverCommand or serverUrl); an allowlist's
#: serverName is letters, digits, '-' and '_'.
_CLAUDE_MATCH = {
    "type": "object",
    "minProperties": 1,
    "maxProperties": 1,
    "properties": {
        "serverName": {"type": "string", "pattern": "^[a-zA-Z0-9_-]+$"},
        "serverCommand": _COMMAND,
        "serverUrl": {"type": "string"},
    },
    "additionalProperties": False,
}
CLAUDE_SETTINGS = {
    "type": "object",
    "properties": {
        "allowManagedMcpServersOnly": {"type": "boolean"},
        "allowedMcpServers": {"type": "array", "items": _CLAUDE_MATCH},
        "deniedMcpServers": {"type": "array", "items": _CLAUDE_MATCH},
        "permissions": {
            "type": "object",
            "properties": {"deny": {"type": "array", "items": {"type": "string", "pattern": "^mcp__"}}},
        },
    },
    "additionalProperties": False,
}
#: managed-mcp.json: the format of a project's .mcp.json.
CLAUDE_SERVERS = {
    "type": "object",
    "required": ["mcpServers"],
    "additionalProperties": False,
    "properties": {
        "mcpServers": {
            "type": "object",
            "additionalProperties": {
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["type", "command"],
                        "properties": {
                            "type": {"const": "stdio"},
                            "command": {"type": "string"},
                            "args": {"type": "array", "items": {"type": "string"}},
                        },
                        "additionalProperties": False,
                    },
                    {
                        "type": "object",
                        "required": ["type", "url"],
                        "properties": {
                            "type": {"enum": ["http", "sse"]},
                            "url": {"type": "string"},
                            "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                        },
                        "additionalProperties": False,
                    },
                ]
            },
        }
    },
}
GEMINI_SETTINGS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "mcpServers": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "command": {"type": "string"},
                    "args": {"type": "array", "items": {"type": "string"}},
                    "httpUrl": {"type": "string"},
                    "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                    "includeTools": {"type": "array", "items": {"type": "string"}},
                },
                "additionalProperties": False,
                "oneOf": [{"required": ["command"]}, {"required": ["httpUrl"]}],
            },
        },
        "mcp": {
            "type": "object",
            "properties": {
                "allowed": {"type": "array", "items": {"type": "string"}},
                "excluded": {"type": "array", "items": {"type": "string"}},
            },
            "additionalProperties": False,
        },
    },
}
#: VS Code's policy catalog (policyData.jsonc): ChatMCP is chat.mcp.access.
VSCODE_POLICY = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "ChatMCP": {"enum": ["none", "registry", "all"]},
        "McpGalleryServiceUrl": {"type": "string"},
    },
}


def _request(name: str, identity: Identity, **changes: Any) -> EntryRequest:
    return EntryRequest(
        name=f"io.github.acme/{name}",
        identity=identity,
        owner="team-platform",
        scope=DataScope(reads=("project files",)),
        vet=VetOutcome(verdict="pass"),
        **changes,
    )


def _npm(name: str, version: str) -> Identity:
    return Identity(kind="package", ecosystem="npm", name=f"@acme/{name}", version=version)


@pytest.fixture(scope="module")
def registry_entries(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Entry], date, dict[str, int]]:
    """A registry with an approved package on probation (its read-only tools as inspect
    suggests them), an approved remote server and an approved PyPI package whose write was
    granted, a rejected package, a revoked package, a revoked endpoint that was approved again,
    and a request still waiting."""
    url = f"sqlite:///{tmp_path_factory.mktemp('registry') / 'registry.db'}"
    registry = Registry.open(url)
    ids: dict[str, int] = {}
    try:

        def approved(key: str, request: EntryRequest) -> int:
            entry = registry.request(request, "alice")
            registry.approve(entry.id, "bob", "reviewed")
            ids[key] = entry.id
            return entry.id

        approved(
            "files", _request("files", _npm("files", "1.2.3"), pins=tool_pins("read_file", "write_file"))
        )
        for key, identity in (
            ("search", Identity(kind="remote", url="https://mcp.example.com/mcp")),
            ("notes", Identity(kind="package", ecosystem="pypi", name="acme-notes", version="2.0.0")),
        ):
            registry.grant_write(approved(key, _request(key, identity)), "carol", "a quiet week")
        rejected = registry.request(_request("shady", _npm("shady", "0.1.0")), "alice")
        registry.reject(rejected.id, "bob", "exfiltrates")
        ids["shady"] = rejected.id
        registry.revoke(approved("mailer", _request("mailer", _npm("mailer", "3.0.0"))), "bob", "compromised")
        old = approved(
            "search-old", _request("search-old", Identity(kind="remote", url="https://mcp.example.com/mcp"))
        )
        registry.revoke(old, "bob", "moved to the new entry")
        ids["waiting"] = registry.request(_request("waiting", _npm("waiting", "1.0.0")), "alice").id
        return registry.entries(), registry.now().date(), ids
    finally:
        registry.database.dispose()


@pytest.fixture(scope="module")
def policy(registry_entries: tuple[list[Entry], date, dict[str, int]]) -> Policy:
    entries, today, _ids = registry_entries
    gateway = GatewayRoute(("mcpward",), "/etc/mcpward/gateway.toml")
    return compile_policy(entries, today, registry_url=REGISTRY_URL, gateway=gateway)


def _by_path(policy: Policy, platform: Platform = Platform.LINUX) -> dict[str, bytes]:
    return {file.path: file.content for file in managed_files(policy, platform)}


def test_the_policy_allows_approvals_denies_rejections_and_revocations(policy: Policy) -> None:
    decisions = {server.key: server.decision for server in policy.servers}
    assert decisions == {
        "io-github-acme-files": Decision.PROBATION,
        "io-github-acme-search": Decision.ALLOW,
        "io-github-acme-notes": Decision.ALLOW,
        "io-github-acme-shady": Decision.DENY,
        "io-github-acme-mailer": Decision.DENY,
    }  # the waiting request is neither; the revoked endpoint is approved again under another entry
    files = next(s for s in policy.servers if s.key == "io-github-acme-files")
    assert files.direct_command == ("npx", "-y", "@acme/files@1.2.3")
    assert files.command[:6] == (
        "mcpward",
        "gateway",
        "run",
        "--config",
        "/etc/mcpward/gateway.toml",
        "--server",
    )
    assert files.command[-4:] == ("--", *files.direct_command) and files.write_tools == ("write_file",)
    assert Policy.from_json(policy.to_json()) == policy


def test_claude_code_gets_the_fixed_set_exact_allow_and_deny_lists_and_probation_rules(
    policy: Policy,
) -> None:
    files = _by_path(policy)
    servers = json.loads(files["/etc/claude-code/managed-mcp.json"])
    settings = json.loads(files["/etc/claude-code/managed-settings.json"])
    jsonschema.validate(servers, CLAUDE_SERVERS)
    jsonschema.validate(settings, CLAUDE_SETTINGS)
    assert sorted(servers["mcpServers"]) == [
        "io-github-acme-files",
        "io-github-acme-notes",
        "io-github-acme-search",
    ]
    assert servers["mcpServers"]["io-github-acme-search"] == {
        "type": "http",
        "url": "https://mcp.example.com/mcp",
    }
    assert settings["allowManagedMcpServersOnly"] is True
    # Matched by what runs, never by a name a user chooses.
    assert all(
        "serverName" not in item for item in settings["allowedMcpServers"] + settings["deniedMcpServers"]
    )
    notes = next(s for s in policy.servers if s.key == "io-github-acme-notes")
    assert {"serverCommand": list(notes.command)} in settings["allowedMcpServers"]
    assert notes.command[-2:] == ("uvx", "acme-notes==2.0.0")
    assert settings["deniedMcpServers"] == [
        {"serverCommand": ["npx", "-y", "@acme/mailer@3.0.0"]},
        {"serverCommand": ["npx", "-y", "@acme/shady@0.1.0"]},
    ]
    assert settings["permissions"] == {"deny": ["mcp__io-github-acme-files__write_file"]}
    paths = set(_by_path(policy, Platform.WINDOWS))
    assert "C:/Program Files/ClaudeCode/managed-mcp.json" in paths


def test_vscode_is_restricted_to_our_registry_and_needs_its_url(policy: Policy) -> None:
    document = json.loads(_by_path(policy)["/etc/vscode/policy.json"])
    jsonschema.validate(document, VSCODE_POLICY)
    assert document == {"ChatMCP": "registry", "McpGalleryServiceUrl": REGISTRY_URL}
    without_url = policy.model_copy(update={"registry_url": None})
    assert not [file for file in managed_files(without_url, Platform.LINUX) if "vscode" in file.path]


def test_gemini_cli_lists_the_approved_servers_and_only_read_only_tools_on_probation(policy: Policy) -> None:
    settings = json.loads(_by_path(policy)["/etc/gemini-cli/settings.json"])
    jsonschema.validate(settings, GEMINI_SETTINGS)
    assert settings["mcpServers"]["io-github-acme-files"]["includeTools"] == ["read_file"]
    assert settings["mcpServers"]["io-github-acme-search"] == {"httpUrl": "https://mcp.example.com/mcp"}
    assert settings["mcp"] == {
        "allowed": ["io-github-acme-files", "io-github-acme-notes", "io-github-acme-search"],
        "excluded": ["io-github-acme-mailer", "io-github-acme-shady"],
    }
    # On probation with nothing confirmed read-only: left out, not listed with every tool.
    nothing = policy.model_copy(
        update={"servers": tuple(s.model_copy(update={"read_only_tools": ()}) for s in policy.servers)}
    )
    assert (
        "io-github-acme-files"
        not in json.loads(_by_path(nothing)["/etc/gemini-cli/settings.json"])["mcpServers"]
    )


def test_codex_requirements_name_each_server_with_its_exact_launch_line(policy: Policy) -> None:
    document = tomllib.loads(_by_path(policy)["/etc/codex/requirements.toml"].decode())
    servers = document["mcp_servers"]
    assert sorted(servers) == ["io-github-acme-files", "io-github-acme-notes", "io-github-acme-search"]
    assert servers["io-github-acme-search"] == {"identity": {"url": "https://mcp.example.com/mcp"}}
    command = servers["io-github-acme-notes"]["identity"]["command"]
    assert command["executable"] == "mcpward"
    assert all(arg["match"] == "exact" for arg in command["args"])
    assert [arg["value"] for arg in command["args"]][-2:] == ["uvx", "acme-notes==2.0.0"]
    files = servers["io-github-acme-files"]["identity"]["command"]
    assert [arg["value"] for arg in files["args"]][-3:] == ["npx", "-y", "@acme/files@1.2.3"]
    assert "/etc/codex/requirements.toml" not in _by_path(policy, Platform.WINDOWS)


def test_the_mdm_payloads_carry_the_same_policy(policy: Policy, tmp_path: Path) -> None:
    mdm_bundle(policy, tmp_path / "a")
    mdm_bundle(policy, tmp_path / "b")
    raw = (tmp_path / "a" / "macos" / "mcpward.mobileconfig").read_bytes()
    assert raw == (tmp_path / "b" / "macos" / "mcpward.mobileconfig").read_bytes()  # stable UUIDs
    profile = plistlib.loads(raw)
    assert profile["PayloadType"] == "Configuration" and profile["PayloadScope"] == "System"
    payloads = {payload["PayloadType"]: payload for payload in profile["PayloadContent"]}
    assert set(payloads) == {
        "com.anthropic.claudecode",
        "com.microsoft.VSCode",
        "com.microsoft.VSCodeInsiders",
        "com.openai.codex",
    }
    assert all(
        p["PayloadVersion"] == 1 and p["PayloadUUID"] and p["PayloadIdentifier"] for p in payloads.values()
    )
    linux = _by_path(policy)
    claude = {k: v for k, v in payloads["com.anthropic.claudecode"].items() if not k.startswith("Payload")}
    assert claude == json.loads(linux["/etc/claude-code/managed-settings.json"])
    codex = base64.b64decode(payloads["com.openai.codex"]["requirements_toml_base64"])
    assert codex == linux["/etc/codex/requirements.toml"]
    assert payloads["com.microsoft.VSCode"]["ChatMCP"] == "registry"
    # The files no preference carries are installed as files.
    installed = sorted(
        p.relative_to(tmp_path / "a" / "macos" / "files").as_posix()
        for p in (tmp_path / "a" / "macos" / "files").rglob("*.json")
    )
    assert installed == [
        "Library/Application Support/ClaudeCode/managed-mcp.json",
        "Library/Application Support/GeminiCli/settings.json",
    ]
    script = (tmp_path / "a" / "windows" / "mcpward-enforce.ps1").read_text()
    literals = ps_literals(script)
    at = literals.index("HKLM:\\SOFTWARE\\Policies\\ClaudeCode")
    assert literals[at + 1] == "Settings"
    assert json.loads(literals[at + 2]) == claude
    at = literals.index("C:\\Program Files\\ClaudeCode\\managed-mcp.json")
    assert json.loads(literals[at + 1]) == json.loads(linux["/etc/claude-code/managed-mcp.json"])
    at = literals.index("HKLM:\\Software\\Policies\\Microsoft\\VSCode")
    assert literals[at + 1 : at + 3] == ["ChatMCP", "registry"]
    assert (tmp_path / "a" / "linux" / "files" / "etc" / "claude-code" / "managed-mcp.json").is_file()


def test_scan_finds_drift_from_what_enforce_writes(policy: Policy, tmp_path: Path, cli: Any) -> None:
    root = tmp_path / "root"
    write_tree(managed_files(policy, Platform.LINUX), root)
    assert drift(policy, Platform.LINUX, root) == []
    # Re-indented by a deployment tool: the same document, not drift.
    settings = root / "etc" / "gemini-cli" / "settings.json"
    settings.write_text(json.dumps(json.loads(settings.read_text())))
    assert drift(policy, Platform.LINUX, root) == []
    servers = root / "etc" / "claude-code" / "managed-mcp.json"
    document = json.loads(servers.read_text())
    document["mcpServers"]["extra"] = {"type": "stdio", "command": "node", "args": ["/tmp/x.js"]}
    servers.write_text(json.dumps(document))
    (root / "etc" / "codex" / "requirements.toml").unlink()
    found = {f.config_path: f.message for f in drift(policy, Platform.LINUX, root)}
    assert found == {
        str(servers): "the managed file /etc/claude-code/managed-mcp.json differs from what enforce "
        "writes (mcpServers.extra added)",
        str(
            root / "etc" / "codex" / "requirements.toml"
        ): "the managed file /etc/codex/requirements.toml is missing",
    }
    exported = tmp_path / "policy.json"
    exported.write_text(policy.to_json())
    home = tmp_path / "home"
    home.mkdir()
    result = cli(
        "scan",
        "--home",
        str(home),
        "--os",
        "linux",
        "--root",
        str(root),
        "--enforcement",
        str(exported),
        "-f",
        "json",
    )
    findings = json.loads(result.stdout)["findings"]
    rules = [(f["rule"], f["host"]) for f in findings if f["rule"] == "enforcement-drift"]
    assert sorted(rules) == [("enforcement-drift", "claude-code"), ("enforcement-drift", "codex")]


def test_enforce_writes_every_client_from_the_registry_and_scan_agrees(tmp_path: Path, cli: Any) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(url)
    try:
        entry = registry.request(_request("files", _npm("files", "1.2.3")), "alice")
        registry.approve(entry.id, "bob", "reviewed")
    finally:
        registry.database.dispose()
    root, exported = tmp_path / "root", tmp_path / "policy.json"
    result = cli(
        "enforce",
        "--root",
        str(root),
        "--registry",
        url,
        "--registry-url",
        REGISTRY_URL,
        "--export-policy",
        str(exported),
    )
    assert result.exit_code == 0, result.stderr
    written = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert written == [
        "etc/claude-code/managed-mcp.json",
        "etc/claude-code/managed-settings.json",
        "etc/codex/requirements.toml",
        "etc/gemini-cli/settings.json",
        "etc/vscode/policy.json",
    ]
    assert "1 allowed, 0 denied" in result.stderr
    assert drift(Policy.from_json(exported.read_text()), Platform.LINUX, root) == []
    mdm = cli("enforce", "--root", str(tmp_path / "mdm"), "--policy", str(exported), "--format", "mdm")
    assert mdm.exit_code == 0 and (tmp_path / "mdm" / "windows" / "mcpward-enforce.ps1").is_file()
    bad = cli("enforce", "--root", str(tmp_path / "x"), "--policy", str(exported), "--client", "notepad")
    assert bad.exit_code == 2 and "unknown client notepad" in bad.stderr
    # A mistyped --registry opens a new, empty database: its files would turn MCP off everywhere.
    typo = f"sqlite:///{tmp_path / 'regsitry.db'}"
    empty = cli("enforce", "--root", str(tmp_path / "y"), "--registry", typo)
    assert empty.exit_code == 2 and "has no entry" in empty.stderr and not (tmp_path / "y").exists()
    assert cli("enforce", "--root", str(tmp_path / "y"), "--registry", typo, "--allow-empty").exit_code == 0
    assert json.loads((tmp_path / "y/etc/claude-code/managed-mcp.json").read_text()) == {"mcpServers": {}}


def test_remote_servers_can_be_reached_through_gateway_serve(
    registry_entries: tuple[list[Entry], date, dict[str, int]],
) -> None:
    entries, today, _ids = registry_entries
    routed = compile_policy(
        entries, today, gateway=GatewayRoute(serve_url="https://gateway.example.internal/")
    )
    search = next(s for s in routed.servers if s.key == "io-github-acme-search")
    assert search.url == "https://gateway.example.internal/servers/io-github-acme-search/mcp"
    assert search.direct_url == "https://mcp.example.com/mcp" and search.wrapped
    files = _by_path(routed)
    servers = json.loads(files["/etc/claude-code/managed-mcp.json"])
    jsonschema.validate(servers, CLAUDE_SERVERS)
    entry = servers["mcpServers"]["io-github-acme-search"]
    assert entry["headers"] == {"Authorization": "Bearer ${MCPWARD_GATEWAY_TOKEN}"}  # each user's token
    settings = json.loads(files["/etc/claude-code/managed-settings.json"])
    assert {"serverUrl": search.url} in settings["allowedMcpServers"]
    assert {"serverUrl": "https://mcp.example.com/mcp"} not in settings["allowedMcpServers"]  # not around it
    gemini = json.loads(files["/etc/gemini-cli/settings.json"])
    jsonschema.validate(gemini, GEMINI_SETTINGS)
    assert gemini["mcpServers"]["io-github-acme-search"]["headers"] == {
        "Authorization": "Bearer $MCPWARD_GATEWAY_TOKEN"
    }
