"""Kiro: ``~/.kiro/settings/mcp.json`` and a workspace's ``.kiro/settings/mcp.json``."""

from __future__ import annotations

from collections.abc import Iterator

from mcpward._documents import DocumentFormat
from mcpward.scan._hosts._common import McpServersHost, user
from mcpward.scan.interface import ConfigLocation, HomeLayout


class Kiro(McpServersHost):
    id = "kiro"
    project_files = ((".kiro/settings/mcp.json", DocumentFormat.JSONC),)

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        yield user(layout.home / ".kiro" / "settings" / "mcp.json", DocumentFormat.JSONC)
