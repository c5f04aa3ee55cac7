"""JetBrains Junie: ``mcpServers`` in ``~/.junie/mcp/mcp.json`` (the same path under the home on
every OS) and a project's ``.junie/mcp/mcp.json`` (junie.jetbrains.com, "MCP configuration").
JetBrains AI Assistant keeps its MCP servers in the IDE's settings, not in a file of this shape."""

from __future__ import annotations

from collections.abc import Iterator

from mcpward._documents import DocumentFormat
from mcpward.scan._hosts._common import McpServersHost, user
from mcpward.scan.interface import ConfigLocation, HomeLayout


class Junie(McpServersHost):
    id = "junie"
    project_files = ((".junie/mcp/mcp.json", DocumentFormat.JSON),)

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        yield user(layout.home / ".junie" / "mcp" / "mcp.json")
