"""Visual Studio Code (stable and Insiders): the user ``mcp.json`` (and per-profile copies, and
the remote user's in ``~/.vscode-server/data/User``), the ``mcp.servers`` key of
``settings.json``, a workspace's ``.vscode/mcp.json``, a multi-root workspace file's
``settings.mcp`` (``*.code-workspace``, and the untitled ones VS Code keeps in
``<user data>/Workspaces``) and a dev container's ``customizations.vscode.mcp`` and
``customizations.vscode.settings`` (``devcontainer.json``). All are JSONC.
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
_WORKSPACE_FILE = "workspace-file"
_DEV_CONTAINER = "dev-container"
_WORKSPACE_FILE_SUFFIX = ".code-workspace"
#: Untitled multi-root workspaces are kept as ``<user data>/Workspaces/<id>/workspace.code-workspace``.
MAX_UNTITLED_WORKSPACES = 500
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
        ("*" + _WORKSPACE_FILE_SUFFIX, DocumentFormat.JSONC),
        # The places the Dev Containers extension looks for a container's definition.
        (".devcontainer/devcontainer.json", DocumentFormat.JSONC),
        (".devcontainer/*/devcontainer.json", DocumentFormat.JSONC),
        (".devcontainer.json", DocumentFormat.JSONC),
    )

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        for user_dir in editor_user_dirs(layout, ("Code", "Code - Insiders")):
            yield user(user_dir / "mcp.json", DocumentFormat.JSONC)
            yield user(user_dir / "settings.json", DocumentFormat.JSONC, variant=_SETTINGS)
            for profile_file in bounded_glob(user_dir / "profiles", "mcp.json", max_depth=1):
                yield user(profile_file, DocumentFormat.JSONC)
            untitled = bounded_glob(
                user_dir.parent / "Workspaces", "*" + _WORKSPACE_FILE_SUFFIX, 1, MAX_UNTITLED_WORKSPACES
            )
            for workspace_file in untitled:
                yield user(workspace_file, DocumentFormat.JSONC, variant=_WORKSPACE_FILE)
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
            name = location.path.name
            variant = _SETTINGS if name == "settings.json" else ""
            if name.endswith(_WORKSPACE_FILE_SUFFIX):
                variant = _WORKSPACE_FILE
            elif name in ("devcontainer.json", ".devcontainer.json"):
                variant = _DEV_CONTAINER
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
        if location.variant == _WORKSPACE_FILE:
            # VS Code reads ``settings.mcp``; a top-level ``mcp`` (as ``launch`` and ``tasks``
            # are kept there) is read too, so that no spelling hides a server.
            yield from self._settings(location, document, data.get("settings"), "the workspace file")
            yield from self._mcp_section(location, document, data.get("mcp"))
            return
        if location.variant == _DEV_CONTAINER:
            customizations = data.get("customizations")
            vscode = customizations.get("vscode") if isinstance(customizations, Mapping) else None
            if not isinstance(vscode, Mapping):
                return  # a container's other tools' customizations: nothing of VS Code's
            yield from self._mcp_section(location, document, vscode.get("mcp"))
            yield from self._settings(location, document, vscode.get("settings"), "devcontainer.json")
            return
        if location.variant != _SETTINGS:
            yield from self.parse_servers(location, document, data.get("servers"))
            return
        yield from self._settings(location, document, data, "settings.json")

    def _settings(
        self, location: ConfigLocation, document: Document, settings: Any, where: str
    ) -> Iterator[Parsed]:
        """The servers and auto-approvals of a settings object: ``"mcp": {"servers": ...}``
        and its dotted spelling ``"mcp.servers"``, which VS Code reads as the same setting
        (both are read: a map in one spelling beside the other was missing before)."""
        if not isinstance(settings, Mapping):
            return
        yield from self._mcp_section(location, document, settings.get("mcp"))
        if "mcp.servers" in settings:
            yield from self.parse_servers(location, document, settings.get("mcp.servers"))
        for key in _AUTO_APPROVE_KEYS:
            if settings.get(key) is True:
                yield ToolApproval(self.id, location, None, ("*",), f"{key}: true in {where}")

    def _mcp_section(self, location: ConfigLocation, document: Document, section: Any) -> Iterator[Parsed]:
        """The servers of an ``mcp`` object (``{"servers": ..., "inputs": ...}``)."""
        if section is None:
            return
        if not isinstance(section, Mapping):
            yield EntryError("mcp", f"expected an object, found {type(section).__name__}")
            return
        yield from self.parse_servers(location, document, section.get("servers"))


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
