"""Roo Code: ``mcp_settings.json`` in the extension's globalStorage of the VS Code family, and a
project's ``.roo/mcp.json``. ``alwaysAllow`` lists tools that run without asking."""

from __future__ import annotations

from collections.abc import Iterator

from mcpward._documents import DocumentFormat
from mcpward.scan._hosts._common import McpServersHost, editor_user_dirs, user
from mcpward.scan.interface import ConfigLocation, HomeLayout

EXTENSION_ID = "rooveterinaryinc.roo-cline"


class RooCode(McpServersHost):
    id = "roo-code"
    project_files = ((".roo/mcp.json", DocumentFormat.JSONC),)

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        for user_dir in editor_user_dirs(layout):
            yield user(
                user_dir / "globalStorage" / EXTENSION_ID / "settings" / "mcp_settings.json",
                DocumentFormat.JSONC,
            )
