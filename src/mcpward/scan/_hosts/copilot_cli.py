"""GitHub Copilot CLI: ``mcp-config.json`` in ``$COPILOT_HOME`` or ``~/.copilot`` (types local,
stdio, http, sse), and a repository's ``.github/mcp.json`` and ``.mcp.json``, each holding
``mcpServers`` or the bare map of servers. A ``.mcp.json`` with ``mcpServers`` is Claude Code's
shape and is recorded once, by that adapter; its bare map only Copilot CLI reads."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from mcpward._documents import Document, DocumentFormat
from mcpward.scan._hosts._common import McpServersHost, looks_like_server_map, user
from mcpward.scan.interface import ConfigLocation, EntryError, HomeLayout, Parsed


class CopilotCli(McpServersHost):
    id = "copilot-cli"
    project_files = (
        (".github/mcp.json", DocumentFormat.JSONC),
        (".mcp.json", DocumentFormat.JSON),  # as Claude Code reads it: one error for both
    )

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        copilot_home = layout.environ.get("COPILOT_HOME")
        if copilot_home:
            yield user(Path(copilot_home) / "mcp-config.json", DocumentFormat.JSONC)
        base = layout.environ.get("XDG_CONFIG_HOME")
        folder = Path(base) / ".copilot" if base else layout.home / ".copilot"
        yield user(folder / "mcp-config.json", DocumentFormat.JSONC)

    def parse(self, location: ConfigLocation, document: Document) -> Iterator[Parsed]:
        data = document.data
        if not isinstance(data, Mapping):
            yield EntryError("(file)", f"expected a JSON object, found {type(data).__name__}")
            return
        if "mcpServers" in data:
            if location.path.name != ".mcp.json":
                yield from self.parse_servers(location, document, data["mcpServers"])
        elif looks_like_server_map(data):
            yield from self.parse_servers(location, document, data)
