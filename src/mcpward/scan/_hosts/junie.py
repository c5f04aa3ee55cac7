"""JetBrains Junie: ``mcpServers`` in ``~/.junie/mcp/mcp.json`` (the same path under the home on
every OS) and a project's ``.junie/mcp/mcp.json`` (junie.jetbrains.com, "MCP configuration");
skills in ``~/.junie/skills`` and a project's ``.junie/skills``.
JetBrains AI Assistant keeps its MCP servers in the IDE's settings, not in a file of this shape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePath

from mcpward._documents import Document, DocumentFormat
from mcpward.model import Scope
from mcpward.scan._hosts._common import McpServersHost, user
from mcpward.scan._hosts._skills import SKILL, parse_skill, skill_locations
from mcpward.scan.interface import ConfigLocation, HomeLayout, Parsed


class Junie(McpServersHost):
    id = "junie"
    project_files = (
        (".junie/mcp/mcp.json", DocumentFormat.JSON),
        (".junie/skills/*/SKILL.md", DocumentFormat.TEXT),
    )

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        yield user(layout.home / ".junie" / "mcp" / "mcp.json")
        yield from skill_locations(layout.home / ".junie" / "skills")

    def project_configs(self, project: Path, relative: PurePath) -> Iterator[ConfigLocation]:
        for location in super().project_configs(project, relative):
            variant = SKILL if location.path.name == "SKILL.md" else ""
            yield ConfigLocation(
                location.path, Scope.PROJECT, location.format, project=project, variant=variant
            )

    def parse(self, location: ConfigLocation, document: Document) -> Iterator[Parsed]:
        if location.variant == SKILL:
            yield from parse_skill(self.id, location, document)
        else:
            yield from super().parse(location, document)
