"""Cursor: ``~/.cursor/mcp.json`` and a project's ``.cursor/mcp.json``."""

from __future__ import annotations

from collections.abc import Iterator

from mcpward._documents import DocumentFormat
from mcpward.scan._hosts._common import McpServersHost, user
from mcpward.scan.interface import ConfigLocation, HomeLayout


class Cursor(McpServersHost):
    id = "cursor"
    env_file_key = "envFile"
    project_files = ((".cursor/mcp.json", DocumentFormat.JSONC),)

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        yield user(layout.home / ".cursor" / "mcp.json", DocumentFormat.JSONC)
