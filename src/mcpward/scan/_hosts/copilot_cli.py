"""GitHub Copilot CLI: ``~/.copilot/mcp-config.json`` (types local, stdio, http, sse)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from mcpward._documents import DocumentFormat
from mcpward.scan._hosts._common import McpServersHost, user
from mcpward.scan.interface import ConfigLocation, HomeLayout


class CopilotCli(McpServersHost):
    id = "copilot-cli"

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        base = layout.environ.get("XDG_CONFIG_HOME")
        folder = Path(base) / ".copilot" if base else layout.home / ".copilot"
        yield user(folder / "mcp-config.json", DocumentFormat.JSONC)
