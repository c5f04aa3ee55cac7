"""Gemini CLI: ``mcpServers`` in ``~/.gemini/settings.json``, a project's
``.gemini/settings.json``, the system defaults and system settings files (where
``GEMINI_CLI_SYSTEM_DEFAULTS_PATH`` and ``GEMINI_CLI_SYSTEM_SETTINGS_PATH`` put them), and
extensions' ``gemini-extension.json``. ``url`` is SSE, ``httpUrl`` streamable HTTP, ``trust`` skips
every confirmation."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mcpward._documents import Document, DocumentFormat
from mcpward.model import Transport
from mcpward.scan._hosts._common import (
    McpServersHost,
    bounded_glob,
    build_server,
    claude_style_fields,
    managed,
    user,
)
from mcpward.scan._hosts._skills import plugin_of
from mcpward.scan.interface import ConfigLocation, DiscoveredServer, EntryError, HomeLayout, TargetOS


class GeminiCli(McpServersHost):
    id = "gemini-cli"
    project_files = ((".gemini/settings.json", DocumentFormat.JSONC),)

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        base = layout.home / ".gemini"
        yield user(base / "settings.json", DocumentFormat.JSONC)
        for manifest in bounded_glob(base / "extensions", "gemini-extension.json", max_depth=1):
            yield user(manifest, DocumentFormat.JSONC)
        if layout.os is TargetOS.MACOS:
            system = layout.system_path("Library", "Application Support", "GeminiCli")
        elif layout.os is TargetOS.WINDOWS:
            system = layout.system_path("ProgramData", "gemini-cli")
        else:
            system = layout.system_path("etc", "gemini-cli")
        # The system defaults (merged under the user's) and the system settings (over all);
        # the environment may move either.
        for name, variable in (
            ("system-defaults.json", "GEMINI_CLI_SYSTEM_DEFAULTS_PATH"),
            ("settings.json", "GEMINI_CLI_SYSTEM_SETTINGS_PATH"),
        ):
            moved = layout.environ.get(variable)
            path = Path(moved) if moved else (system / name if system is not None else None)
            yield from managed(path, DocumentFormat.JSONC)

    def build(
        self, location: ConfigLocation, document: Document, name: str, entry: Mapping[str, Any]
    ) -> DiscoveredServer | EntryError:
        fields = claude_style_fields(entry)
        if "httpUrl" in entry:
            fields["url"] = entry["httpUrl"]
            fields.setdefault("type", "http")
        elif "url" in entry:
            fields.setdefault("type", "sse")
        server = build_server(self.id, location, document, name, fields, url_transport=Transport.SSE)
        if isinstance(server, DiscoveredServer) and location.path.name == "gemini-extension.json":
            server.plugin = plugin_of(location.path)
        return server
