"""Claude Code: ``managed-mcp.json`` (the only servers it loads, exclusive of users' own) and
the MCP lists of its managed settings (``allowedMcpServers`` with
``allowManagedMcpServersOnly``, ``deniedMcpServers``), as files, as the
``com.anthropic.claudecode`` managed preferences on macOS and as the ``Settings`` value of
``HKLM\\SOFTWARE\\Policies\\ClaudeCode`` on Windows.

Servers are matched by what they run (``serverCommand``, exact) or where they are
(``serverUrl``), never by name: a name is the label a user chose. A server on probation gets
permission deny rules (``mcp__<server>__<tool>``) for each known tool not confirmed read-only.
"""

from __future__ import annotations

import json
import re
from typing import Any

from mcpward.enforce.interface import (
    ClientPolicy,
    Control,
    Decision,
    ManagedFile,
    Platform,
    Policy,
    PolicyServer,
    ProfilePayload,
    RegistryValue,
)

_FOLDERS = {
    Platform.LINUX: "/etc/claude-code",
    Platform.MACOS: "/Library/Application Support/ClaudeCode",
    Platform.WINDOWS: "C:/Program Files/ClaudeCode",
}


def _server(server: PolicyServer) -> dict[str, Any]:
    if server.url and server.wrapped:
        # gateway serve wants its client token: each user's own, from their environment.
        token = {"Authorization": "Bearer ${MCPWARD_GATEWAY_TOKEN}"}
        return {"type": "http", "url": server.url, "headers": token}
    if server.url:
        return {"type": "http", "url": server.url}
    return {"type": "stdio", "command": server.command[0], "args": list(server.command[1:])}


def _match(server: PolicyServer, *, direct: bool) -> dict[str, Any] | None:
    if server.url:
        url = server.direct_url if direct and server.direct_url else server.url
        # A '*' in a serverUrl is a wildcard: such a URL would allow more than itself.
        return None if "*" in url else {"serverUrl": url}
    command = server.direct_command if direct else server.command
    return {"serverCommand": list(command)}


def _claude_tool_name(tool: str) -> str:
    """``tool`` as Claude Code names it, and so matches its permission rules: every character
    outside ``[A-Za-z0-9_-]`` made ``_`` (its ``normalizeNameForMCP``; the Anthropic API takes no
    other tool name). A rule naming ``files.delete`` as the server does matched no tool: the
    tool, ``files_delete`` there, could be called on probation. Two tools that read alike are
    both denied (Claude Code cannot tell them apart either). Its expression has no ``u`` flag,
    so it replaces UTF-16 code units: a character past U+FFFF (an emoji) is ``__`` there, and a
    rule with one ``_`` for it matched no tool."""
    return re.sub(r"[^A-Za-z0-9_-]", lambda found: "_" if ord(found[0]) <= 0xFFFF else "__", tool)


def managed_servers(policy: Policy) -> dict[str, Any]:
    """``managed-mcp.json``: the allowed servers, and no others."""
    return {"mcpServers": {server.key: _server(server) for server in policy.allowed}}


def managed_settings(policy: Policy) -> dict[str, Any]:
    """The MCP part of the managed settings."""
    allowed = [m for s in policy.allowed if (m := _match(s, direct=False)) is not None]
    denied = [m for s in policy.denied if (m := _match(s, direct=True)) is not None]
    settings: dict[str, Any] = {
        "allowManagedMcpServersOnly": True,
        "allowedMcpServers": allowed,
        "deniedMcpServers": denied,
    }
    rules: list[str] = []
    for server in policy.allowed:
        if server.decision is Decision.PROBATION and not (server.read_only_tools and server.tools):
            # Nothing confirmed read-only, or no tool known to deny one by one: every tool of
            # the server (``mcp__KEY``), as the gateway refuses every call and Gemini CLI's
            # settings leave it out. Before, no rule at all: every tool could be called.
            rules.append(f"mcp__{server.key}")
        else:
            rules += [f"mcp__{server.key}__{_claude_tool_name(tool)}" for tool in server.write_tools]
    if rules:
        settings["permissions"] = {"deny": rules}
    return settings


def _json(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()


class ClaudeCode(ClientPolicy):
    id = "claude-code"
    title = "Claude Code"
    control = Control(
        allow="managed-mcp.json: exactly the approved servers (users cannot add others); "
        "allowedMcpServers by exact command or URL, managed-only",
        deny="deniedMcpServers by exact command or URL (rejected, revoked)",
        read_only="permissions.deny rules for the known tools not confirmed read-only (the whole "
        "server while none is confirmed or no tool is known)",
        limits="a user cannot override; the managed files are readable by every user (no "
        "secrets in them); per-tool rules only for tools the registry knows from pins",
    )

    def files(self, policy: Policy, platform: Platform) -> list[ManagedFile]:
        folder = _FOLDERS[platform]
        return [
            ManagedFile(self.id, f"{folder}/managed-mcp.json", _json(managed_servers(policy))),
            ManagedFile(
                self.id, f"{folder}/managed-settings.json", _json(managed_settings(policy)), carried=True
            ),
        ]

    def registry_values(self, policy: Policy) -> list[RegistryValue]:
        settings = json.dumps(managed_settings(policy), ensure_ascii=False, separators=(",", ":"))
        return [RegistryValue(self.id, r"SOFTWARE\Policies\ClaudeCode", "Settings", settings)]

    def profile_payloads(self, policy: Policy) -> list[ProfilePayload]:
        return [ProfilePayload(self.id, "com.anthropic.claudecode", managed_settings(policy))]
