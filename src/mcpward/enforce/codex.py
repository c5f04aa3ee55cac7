"""Codex: ``requirements.toml``, the admin-enforced requirements users cannot override, with an
``mcp_servers`` allowlist: a server is enabled only when its name and its identity (the exact
executable and arguments, or the URL) match an entry. ``/etc/codex/requirements.toml`` on
Linux and macOS; on macOS also the ``requirements_toml_base64`` managed preference of
``com.openai.codex``. Anything not listed is disabled, so there is no deny list to write.
"""

from __future__ import annotations

import base64
import json

from mcpward.enforce.interface import (
    ClientPolicy,
    Control,
    Decision,
    ManagedFile,
    Platform,
    Policy,
    ProfilePayload,
)


def _string(value: str) -> str:
    # JSON's escapes (\" \\ \n \uXXXX) are TOML basic-string escapes; control characters
    # never reach here (the policy refuses them).
    return json.dumps(value, ensure_ascii=False)


def requirements(policy: Policy) -> str:
    lines = [
        "# Written by `mcpward enforce` from the approved registry: only these MCP servers are",
        "# enabled, each under this name and with this exact launch line or URL.",
        "[mcp_servers]",
    ]
    for server in policy.allowed:
        if server.decision is Decision.PROBATION and not server.wrapped:
            # Codex enables a server whole (its tools are the user's setting): a server whose
            # writers no one granted yet is left out, unless the gateway allows its readers only.
            continue
        lines.append("")
        if server.url:
            lines += [f"[mcp_servers.{server.key}.identity]", f"url = {_string(server.url)}"]
            continue
        matchers = ", ".join(f'{{ match = "exact", value = {_string(arg)} }}' for arg in server.command[1:])
        lines += [
            f"[mcp_servers.{server.key}.identity.command]",
            f"executable = {_string(server.command[0])}",
            f"args = [{matchers}]",
        ]
    return "\n".join(lines) + "\n"


class Codex(ClientPolicy):
    id = "codex"
    title = "Codex"
    control = Control(
        allow="requirements.toml mcp_servers: name and exact executable/arguments or URL",
        deny="everything not allowed is disabled (no separate deny list)",
        read_only="no (enabled_tools is a user setting, not a requirement): a server on probation "
        "is left out unless the gateway runs it (--wrap)",
        limits="users must name a server as the policy does; no documented Windows location",
    )

    def files(self, policy: Policy, platform: Platform) -> list[ManagedFile]:
        if platform is Platform.WINDOWS:
            return []
        content = requirements(policy).encode()
        return [ManagedFile(self.id, "/etc/codex/requirements.toml", content, "toml", carried=True)]

    def profile_payloads(self, policy: Policy) -> list[ProfilePayload]:
        encoded = base64.b64encode(requirements(policy).encode()).decode()
        return [ProfilePayload(self.id, "com.openai.codex", {"requirements_toml_base64": encoded})]
