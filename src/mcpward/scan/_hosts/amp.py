"""Amp (Sourcegraph's coding agent): ``amp.mcpServers`` in ``~/.config/amp/settings.json`` (or
``.jsonc``; the same folder under ``%USERPROFILE%`` on Windows), a workspace's
``.amp/settings.json``, and the admin-deployed ``managed-settings.json`` in
``/etc/ampcode``, ``/Library/Application Support/ampcode`` or ``%ProgramData%\\ampcode``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from mcpward._documents import Document, DocumentFormat
from mcpward.scan._hosts._common import McpServersHost, managed, user
from mcpward.scan.interface import ConfigLocation, EntryError, HomeLayout, Parsed, TargetOS

_KEY = "amp.mcpServers"


class Amp(McpServersHost):
    id = "amp"
    project_files = (
        (".amp/settings.json", DocumentFormat.JSONC),
        (".amp/settings.jsonc", DocumentFormat.JSONC),
    )

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        # Amp reads ~/.config/amp on every OS (not %APPDATA%), so XDG-style paths everywhere.
        base = layout.home / ".config" / "amp"
        yield user(base / "settings.json", DocumentFormat.JSONC)
        yield user(base / "settings.jsonc", DocumentFormat.JSONC)
        if layout.os is TargetOS.MACOS:
            system: Path | None = layout.system_path("Library", "Application Support", "ampcode")
        elif layout.os is TargetOS.WINDOWS:
            system = layout.system_path("ProgramData", "ampcode")
        else:
            system = layout.system_path("etc", "ampcode")
        if system is not None:
            yield from managed(system / "managed-settings.json", DocumentFormat.JSONC)

    def parse(self, location: ConfigLocation, document: Document) -> Iterator[Parsed]:
        data = document.data
        if not isinstance(data, Mapping):
            yield EntryError("(file)", f"expected a JSON object, found {type(data).__name__}")
            return
        nested = data.get("amp")
        servers = data.get(_KEY)
        if servers is None and isinstance(nested, Mapping):
            servers = nested.get("mcpServers")
        yield from self.parse_servers(location, document, servers)
