"""Visual Studio Code (stable and Insiders): the user ``mcp.json`` (and per-profile copies, and
the remote user's in ``~/.vscode-server/data/User``), the ``mcp.servers`` key of
``settings.json``, and a workspace's ``.vscode/mcp.json``. All are JSONC.
``chat.tools.autoApprove`` in settings lets every tool run without asking.

Extensions that contribute ``mcpServerDefinitionProviders`` (``package.json``) register servers
from code at run time; each provider is recorded with the extension as its owner, with no
launch (what it starts is known only when it runs)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mcpward._documents import Document, DocumentError, DocumentFormat, read_text
from mcpward.model import Scope
from mcpward.scan._hosts._common import McpServersHost, bounded_glob, editor_user_dirs, user
from mcpward.scan.interface import (
    ConfigLocation,
    DiscoveredServer,
    EntryError,
    HomeLayout,
    Parsed,
    ToolApproval,
)

_SETTINGS = "settings"
_EXTENSION = "extension"
_PROVIDERS = "mcpServerDefinitionProviders"
#: The extension folders of VS Code, Insiders, VSCodium, Cursor and Windsurf, in the home.
_EXTENSION_DIRS = (".vscode", ".vscode-insiders", ".vscode-oss", ".cursor", ".windsurf")
MAX_EXTENSIONS = 2_000
#: The VS Code Server's folders (stable, Insiders) in the home of a machine reached over Remote.
_SERVER_DIRS = (".vscode-server", ".vscode-server-insiders")
_AUTO_APPROVE_KEYS = ("chat.tools.autoApprove", "chat.tools.global.autoApprove")


class VsCode(McpServersHost):
    id = "vscode"
    servers_key = "servers"
    env_file_key = "envFile"
    project_files = (
        (".vscode/mcp.json", DocumentFormat.JSONC),
        (".vscode/settings.json", DocumentFormat.JSONC),
    )

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        for user_dir in editor_user_dirs(layout, ("Code", "Code - Insiders")):
            yield user(user_dir / "mcp.json", DocumentFormat.JSONC)
            yield user(user_dir / "settings.json", DocumentFormat.JSONC, variant=_SETTINGS)
            for profile_file in bounded_glob(user_dir / "profiles", "mcp.json", max_depth=1):
                yield user(profile_file, DocumentFormat.JSONC)
        for server_folder in _SERVER_DIRS:
            # A machine reached over Remote (SSH, WSL, tunnels): "MCP: Open Remote User Configuration".
            yield user(layout.home / server_folder / "data" / "User" / "mcp.json", DocumentFormat.JSONC)
        for folder in _EXTENSION_DIRS:
            for manifest in bounded_glob(
                layout.home / folder / "extensions", "package.json", 1, MAX_EXTENSIONS
            ):
                try:
                    contributes = _PROVIDERS in read_text(manifest, max_bytes=4 * 1024 * 1024)
                except DocumentError:
                    contributes = True  # reported when it is read
                if contributes:
                    yield user(manifest, DocumentFormat.JSON, variant=_EXTENSION)

    def project_configs(self, project: Path, relative: Any) -> Iterator[ConfigLocation]:
        for location in super().project_configs(project, relative):
            variant = _SETTINGS if location.path.name == "settings.json" else ""
            yield ConfigLocation(
                location.path, Scope.PROJECT, location.format, project=project, variant=variant
            )

    def parse(self, location: ConfigLocation, document: Document) -> Iterator[Parsed]:
        data = document.data
        if not isinstance(data, Mapping):
            yield EntryError("(file)", f"expected a JSON object, found {type(data).__name__}")
            return
        if location.variant == _EXTENSION:
            yield from _providers(self.id, location, document, data)
            return
        if location.variant != _SETTINGS:
            yield from self.parse_servers(location, document, data.get("servers"))
            return
        mcp = data.get("mcp")
        servers = mcp.get("servers") if isinstance(mcp, Mapping) else data.get("mcp.servers")
        yield from self.parse_servers(location, document, servers)
        for key in _AUTO_APPROVE_KEYS:
            if data.get(key) is True:
                yield ToolApproval(self.id, location, None, ("*",), f"{key}: true in settings.json")


def _providers(
    host: str, location: ConfigLocation, document: Document, data: Mapping[str, Any]
) -> Iterator[Parsed]:
    contributes = data.get("contributes")
    providers = contributes.get(_PROVIDERS) if isinstance(contributes, Mapping) else None
    if not isinstance(providers, list):
        return
    extension = (
        f"{data.get('publisher', '')}.{data.get('name', '')}".strip(".")[:200] or location.path.parent.name
    )
    for provider in providers[:100]:
        if not isinstance(provider, Mapping):
            continue
        label = provider.get("label") or provider.get("id")
        if not isinstance(label, str) or not label:
            continue
        yield DiscoveredServer(
            host=host,
            location=location,
            name=f"{label[:200]} (provider)",
            transport=None,
            plugin=extension,
            line=document.line_of(_PROVIDERS),
        )
