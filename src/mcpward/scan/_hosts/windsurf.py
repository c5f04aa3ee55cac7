"""Windsurf: ``~/.codeium/windsurf/mcp_config.json``; remote servers use ``serverUrl``."""

from __future__ import annotations

from collections.abc import Iterator

from mcpward._documents import DocumentFormat
from mcpward.scan._hosts._common import McpServersHost, user
from mcpward.scan.interface import ConfigLocation, HomeLayout


class Windsurf(McpServersHost):
    id = "windsurf"

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        for edition in ("windsurf", "windsurf-next"):
            yield user(layout.home / ".codeium" / edition / "mcp_config.json", DocumentFormat.JSONC)
