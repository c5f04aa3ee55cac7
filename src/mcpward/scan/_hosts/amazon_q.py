"""Amazon Q Developer: ``~/.aws/amazonq/mcp.json``, agent files in ``~/.aws/amazonq/agents/``
(the IDE plugin's) and ``cli-agents/`` (the CLI's), whose ``allowedTools`` run without asking,
and a workspace's ``.amazonq/mcp.json``, ``agents/`` and ``cli-agents/``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mcpward._documents import Document, DocumentFormat
from mcpward.scan._hosts._common import MAX_APPROVALS_PER_FILE, McpServersHost, bounded_glob, user
from mcpward.scan.interface import ConfigLocation, EntryError, HomeLayout, Parsed, ToolApproval


class AmazonQ(McpServersHost):
    id = "amazon-q"
    project_files = (
        (".amazonq/mcp.json", DocumentFormat.JSON),
        (".amazonq/agents/*.json", DocumentFormat.JSON),
        (".amazonq/cli-agents/*.json", DocumentFormat.JSON),
    )

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        base = layout.home / ".aws" / "amazonq"
        yield user(base / "mcp.json")
        for folder in ("agents", "cli-agents"):  # the IDE plugin's, the CLI's
            for agent in bounded_glob(base / folder, "*.json", max_depth=0):
                yield user(agent)

    def parse(self, location: ConfigLocation, document: Document) -> Iterator[Parsed]:
        yield from super().parse(location, document)
        data = document.data
        if isinstance(data, Mapping):
            yield from _allowed_tools(self.id, location, data.get("allowedTools"))


def _allowed_tools(host: str, location: ConfigLocation, allowed: Any) -> Iterator[Parsed]:
    """Agent ``allowedTools``: ``@server`` (every tool) or ``@server/tool``."""
    if not isinstance(allowed, list):
        return
    count = 0
    for item in allowed:
        if not isinstance(item, str) or not item.startswith("@"):
            continue
        server, _, tool = item[1:].partition("/")
        if server:
            count += 1
            if count > MAX_APPROVALS_PER_FILE:
                yield EntryError(
                    "allowedTools", f"more than {MAX_APPROVALS_PER_FILE} MCP rules; the rest skipped"
                )
                return
            yield ToolApproval(
                host,
                location,
                server,
                (tool or "*",),
                f"allowedTools {item!r} in {Path(location.path).name}",
            )
