"""Gemini CLI: the system settings file, which overrides the user's and the project's: the
approved servers in ``mcpServers`` (with ``includeTools`` on probation, and ``excludeTools``
for the names a reader's ``name(...)`` would enable too), ``mcp.allowed`` (the
only server names it connects to) and ``mcp.excluded`` (refused names).

Gemini CLI matches by name only and merges ``mcpServers`` from every settings file; a user
who can write a project's settings can define a server under an allowed name. Its
documentation says as much: these settings guard against mistakes, not against the user.
"""

from __future__ import annotations

import json
from typing import Any

from mcpward.enforce.interface import ClientPolicy, Control, Decision, ManagedFile, Platform, Policy

_PATHS = {
    Platform.LINUX: "/etc/gemini-cli/settings.json",
    Platform.MACOS: "/Library/Application Support/GeminiCli/settings.json",
    Platform.WINDOWS: "C:/ProgramData/gemini-cli/settings.json",
}


def _call_prefixes(read_only: tuple[str, ...]) -> list[str]:
    """The tool names Gemini CLI enables beside ``read_only`` and that are not in it: an
    ``includeTools`` entry enables a tool it equals or that it begins with followed by ``(`` (the
    ``tool(args)`` form), so ``files(read)`` enabled ``files`` too, a writer, or one the server
    added after its approval. ``excludeTools`` takes precedence, by exact name."""
    prefixes = {tool[:at] for tool in read_only for at, char in enumerate(tool) if char == "("}
    return sorted(prefixes - set(read_only))


def system_settings(policy: Policy) -> dict[str, Any]:
    servers: dict[str, Any] = {}
    for server in policy.allowed:
        if server.decision is Decision.PROBATION and not server.read_only_tools:
            continue  # nothing it may use yet: left out rather than listed with every tool
        entry: dict[str, Any] = (
            {"httpUrl": server.url}
            if server.url
            else {"command": server.command[0], "args": list(server.command[1:])}
        )
        if server.url and server.wrapped:  # gateway serve's client token, from the user's environment
            entry["headers"] = {"Authorization": "Bearer $MCPWARD_GATEWAY_TOKEN"}
        if server.decision is Decision.PROBATION:
            entry["includeTools"] = list(server.read_only_tools)
            if excluded_tools := _call_prefixes(server.read_only_tools):
                entry["excludeTools"] = excluded_tools
        servers[server.key] = entry
    allowed = sorted(servers)
    excluded = sorted({server.key for server in policy.denied} - set(allowed))
    return {"mcpServers": servers, "mcp": {"allowed": allowed, "excluded": excluded}}


class GeminiCli(ClientPolicy):
    id = "gemini-cli"
    title = "Gemini CLI"
    control = Control(
        allow="system settings: mcpServers (the approved servers) and mcp.allowed (their names)",
        deny="mcp.excluded, by name",
        read_only="includeTools: the confirmed read-only tools",
        limits="by name only; mcpServers merge with the user's and project's files",
    )

    def files(self, policy: Policy, platform: Platform) -> list[ManagedFile]:
        content = (json.dumps(system_settings(policy), indent=2, ensure_ascii=False) + "\n").encode()
        return [ManagedFile(self.id, _PATHS[platform], content)]
