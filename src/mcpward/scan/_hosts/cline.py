"""Cline: ``cline_mcp_settings.json`` in the extension's globalStorage of VS Code, Cursor,
Windsurf and the rest of the family, and in the Cline CLI's data folder."""

from __future__ import annotations

from collections.abc import Iterator

from mcpward._documents import DocumentFormat
from mcpward.scan._hosts._common import McpServersHost, editor_user_dirs, user
from mcpward.scan.interface import ConfigLocation, HomeLayout

EXTENSION_ID = "saoudrizwan.claude-dev"


class Cline(McpServersHost):
    id = "cline"

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        for user_dir in editor_user_dirs(layout):
            yield user(
                user_dir / "globalStorage" / EXTENSION_ID / "settings" / "cline_mcp_settings.json",
                DocumentFormat.JSONC,
            )
        yield user(
            layout.home / ".cline" / "data" / "settings" / "cline_mcp_settings.json",
            DocumentFormat.JSONC,
        )
