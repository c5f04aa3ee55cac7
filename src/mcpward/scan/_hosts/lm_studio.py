"""LM Studio: ``~/.lmstudio/mcp.json`` on every OS, in the Cursor shape."""

from __future__ import annotations

from collections.abc import Iterator

from mcpward._documents import DocumentFormat
from mcpward.scan._hosts._common import McpServersHost, user
from mcpward.scan.interface import ConfigLocation, HomeLayout


class LmStudio(McpServersHost):
    id = "lm-studio"

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        yield user(layout.home / ".lmstudio" / "mcp.json", DocumentFormat.JSONC)
