"""VS Code and VS Code Insiders: the ``ChatMCP`` policy (``chat.mcp.access``) set to
``registry`` and ``McpGalleryServiceUrl`` (``chat.mcp.gallery.serviceUrl``) set to our
registry, whose ``/v0.1`` read API lists the approved servers only. On Linux the policy file
``/etc/vscode/policy.json``; on Windows ``HKLM\\Software\\Policies\\Microsoft\\<product>``; on
macOS the managed preferences of the app's bundle id.

VS Code cannot be told of single servers: it allows what the registry lists, so a denial or a
probation is enforced by the registry's list and the gateway, not by these values.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from mcpward.enforce.interface import (
    ClientPolicy,
    Control,
    ManagedFile,
    Platform,
    Policy,
    ProfilePayload,
    RegistryValue,
)

_CONTROL = Control(
    allow="only servers installed from our registry (ChatMCP=registry, McpGalleryServiceUrl)",
    deny="by absence from the registry's /v0.1 list (no per-server deny list)",
    read_only="no (per-tool controls are not a policy)",
    limits="matches a server by its registry name/id; needs --registry-url",
)


def policy_values(policy: Policy) -> dict[str, Any]:
    if policy.registry_url is None:
        return {}
    return {"ChatMCP": "registry", "McpGalleryServiceUrl": policy.registry_url}


class VSCode(ClientPolicy):
    id = "vscode"
    title = "VS Code"
    control = _CONTROL
    bundle_id: ClassVar[str] = "com.microsoft.VSCode"
    registry_key: ClassVar[str] = r"Software\Policies\Microsoft\VSCode"

    def files(self, policy: Policy, platform: Platform) -> list[ManagedFile]:
        values = policy_values(policy)
        if platform is not Platform.LINUX or not values:
            return []
        content = (json.dumps(values, indent=2, ensure_ascii=False) + "\n").encode()
        return [ManagedFile(self.id, "/etc/vscode/policy.json", content)]

    def registry_values(self, policy: Policy) -> list[RegistryValue]:
        return [
            RegistryValue(self.id, self.registry_key, name, value)
            for name, value in policy_values(policy).items()
        ]

    def profile_payloads(self, policy: Policy) -> list[ProfilePayload]:
        values = policy_values(policy)
        return [ProfilePayload(self.id, self.bundle_id, values)] if values else []


class VSCodeInsiders(VSCode):
    id = "vscode-insiders"
    title = "VS Code Insiders"
    bundle_id = "com.microsoft.VSCodeInsiders"
    registry_key = r"Software\Policies\Microsoft\VSCodeInsiders"

    def files(self, policy: Policy, platform: Platform) -> list[ManagedFile]:
        return []  # on Linux, Insiders reads the same /etc/vscode/policy.json as VS Code
