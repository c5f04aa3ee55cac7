"""Claude Code: ``~/.claude.json`` (user and per-project servers), a project's ``.mcp.json``,
the managed ``managed-mcp.json``, plugins (``.mcp.json`` and the ``mcpServers`` of
``.claude-plugin/plugin.json``, inline or a file in the plugin), skills (``SKILL.md`` in
``~/.claude/skills``, a project's ``.claude/skills`` and plugins), and ``permissions.allow``
entries in settings files that let MCP tools run without asking."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mcpward._documents import Document, DocumentError, DocumentFormat, load_document
from mcpward.model import Scope
from mcpward.scan._hosts._common import (
    MAX_APPROVALS_PER_FILE,
    McpServersHost,
    bounded_glob,
    looks_like_server_map,
    managed,
    user,
)
from mcpward.scan._hosts._skills import parse_skill, plugin_of
from mcpward.scan.interface import (
    ConfigLocation,
    EntryError,
    HomeLayout,
    Parsed,
    TargetOS,
    ToolApproval,
)

_SETTINGS = "settings"
_USER_STATE = "user-state"
_PLUGIN = "plugin"
_PLUGIN_MANIFEST = "plugin-manifest"
_SKILL = "skill"


class ClaudeCode(McpServersHost):
    id = "claude-code"
    project_files = (
        (".mcp.json", DocumentFormat.JSON),
        (".claude/settings.json", DocumentFormat.JSON),
        (".claude/settings.local.json", DocumentFormat.JSON),
        (".claude/skills/*/SKILL.md", DocumentFormat.TEXT),
        (".claude-plugin/plugin.json", DocumentFormat.JSON),
    )

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        config_dir = layout.environ.get("CLAUDE_CONFIG_DIR")
        yield user(layout.home / ".claude.json", variant=_USER_STATE)
        if config_dir:
            yield user(Path(config_dir) / ".claude.json", variant=_USER_STATE)
        claude_dir = Path(config_dir) if config_dir else layout.home / ".claude"
        yield user(claude_dir / "settings.json", variant=_SETTINGS)
        # The installed plugins (the cache) first, then all: a marketplace's clone beside them
        # may hold any number of files, and a listing stops at its limit.
        for plugins, extra_depth in ((claude_dir / "plugins" / "cache", 0), (claude_dir / "plugins", 1)):
            for plugin_file in bounded_glob(plugins, ".mcp.json", max_depth=5 + extra_depth):
                yield user(plugin_file, variant=_PLUGIN)
            for manifest in bounded_glob(plugins, "plugin.json", max_depth=6 + extra_depth):
                if manifest.parent.name == ".claude-plugin":
                    yield user(manifest, variant=_PLUGIN_MANIFEST)
            for skill in bounded_glob(plugins, "SKILL.md", max_depth=7 + extra_depth):
                if skill.parent.parent.name == "skills":
                    yield user(skill, DocumentFormat.TEXT, variant=_SKILL)
        for skill in bounded_glob(claude_dir / "skills", "SKILL.md", max_depth=1):
            yield user(skill, DocumentFormat.TEXT, variant=_SKILL)
        system = _managed_dir(layout)
        if system is not None:
            yield from managed(system / "managed-mcp.json")
            yield from managed(system / "managed-settings.json", variant=_SETTINGS)

    def project_configs(self, project: Path, relative: Any) -> Iterator[ConfigLocation]:
        for location in super().project_configs(project, relative):
            if location.path.name == "SKILL.md":
                variant = _SKILL
            elif location.path.parent.name == ".claude-plugin":
                variant = _PLUGIN_MANIFEST
            else:
                variant = _SETTINGS if location.path.parent.name == ".claude" else ""
            yield ConfigLocation(
                location.path, Scope.PROJECT, location.format, project=project, variant=variant
            )

    def parse(self, location: ConfigLocation, document: Document) -> Iterator[Parsed]:
        if location.variant == _SKILL:
            yield from parse_skill(self.id, location, document)
            return
        data = document.data
        if not isinstance(data, Mapping):
            yield EntryError("(file)", f"expected a JSON object, found {type(data).__name__}")
            return
        if location.variant == _SETTINGS:
            yield from _approvals(self.id, location, data)
            return
        servers = data.get("mcpServers")
        if location.variant == _PLUGIN and servers is None and looks_like_server_map(data):
            servers = data  # plugins may put the server map at the top level
        if location.variant == _PLUGIN_MANIFEST and isinstance(servers, str):
            yield from self._plugin_server_file(location, servers)
            return
        plugin = plugin_of(location.path) if location.variant in (_PLUGIN, _PLUGIN_MANIFEST) else None
        for item in self.parse_servers(location, document, servers):
            if plugin is not None and not isinstance(item, EntryError):
                item.plugin = plugin
            yield item
        if location.variant == _USER_STATE:
            yield from self._project_entries(location, document, data.get("projects"))

    def _project_entries(
        self, location: ConfigLocation, document: Document, projects: Any
    ) -> Iterator[Parsed]:
        if not isinstance(projects, Mapping):
            return
        for project_path, state in projects.items():
            if not isinstance(state, Mapping) or not state.get("mcpServers"):
                continue
            scoped = ConfigLocation(
                location.path,
                Scope.USER,
                location.format,
                project=Path(str(project_path)),
                variant=location.variant,
            )
            yield from self.parse_servers(scoped, document, state.get("mcpServers"))

    def _plugin_server_file(self, location: ConfigLocation, relative: str) -> Iterator[Parsed]:
        """``"mcpServers": "./mcp.json"``: a file in the plugin, never one outside it."""
        root = location.path.parent.parent
        target = root / relative.replace("${CLAUDE_PLUGIN_ROOT}", ".")
        try:
            inside = Path(os.path.realpath(target)).is_relative_to(os.path.realpath(root))
        except (OSError, ValueError):
            inside = False
        if not inside:
            yield EntryError("mcpServers", "the plugin's server file is outside the plugin; not read")
            return
        try:
            document = load_document(target, DocumentFormat.JSON)
        except DocumentError as exc:
            yield EntryError("mcpServers", str(exc))
            return
        data = document.data
        servers = data.get("mcpServers", data) if isinstance(data, Mapping) else None
        plugin = plugin_of(location.path)
        file_location = ConfigLocation(target, location.scope, DocumentFormat.JSON, project=location.project)
        for item in self.parse_servers(file_location, document, servers):
            if not isinstance(item, EntryError):
                item.plugin = plugin
            yield item


def _managed_dir(layout: HomeLayout) -> Path | None:
    if layout.os is TargetOS.MACOS:
        return layout.system_path("Library", "Application Support", "ClaudeCode")
    if layout.os is TargetOS.WINDOWS:
        return layout.system_path("ProgramData", "ClaudeCode")
    return layout.system_path("etc", "claude-code")


def _approvals(host: str, location: ConfigLocation, data: Mapping[str, Any]) -> Iterator[Parsed]:
    """``permissions.allow`` entries ``mcp__server`` (every tool) and ``mcp__server__tool``."""
    permissions = data.get("permissions")
    allow = permissions.get("allow") if isinstance(permissions, Mapping) else None
    if not isinstance(allow, list):
        return
    count = 0
    for rule in allow:
        if not isinstance(rule, str) or not rule.startswith("mcp__"):
            continue
        server, _, tool = rule[len("mcp__") :].partition("__")
        if not server:
            continue
        count += 1
        if count > MAX_APPROVALS_PER_FILE:
            yield EntryError(
                "permissions.allow", f"more than {MAX_APPROVALS_PER_FILE} MCP rules; the rest skipped"
            )
            return
        yield ToolApproval(
            host,
            location,
            server if server != "*" else None,
            (tool if tool and tool != "*" else "*",),
            f"permissions.allow {rule!r} in {location.path.name}",
        )
