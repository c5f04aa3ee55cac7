"""Google Antigravity: ``mcpServers`` in ``~/.gemini/antigravity/mcp_config.json`` (the IDE's
agent, documented at antigravity.google/docs/mcp; ``serverUrl`` for remote servers), and
``~/.gemini/config/mcp_config.json`` (the ``agy`` CLI's global customisation folder), and the
skills in ``~/.gemini/config/skills``. The same paths under the home on every OS."""

from __future__ import annotations

from collections.abc import Iterator

from mcpward._documents import Document
from mcpward.scan._hosts._common import McpServersHost, user
from mcpward.scan._hosts._skills import SKILL, parse_skill, skill_locations
from mcpward.scan.interface import ConfigLocation, HomeLayout, Parsed


class Antigravity(McpServersHost):
    id = "antigravity"

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        yield user(layout.home / ".gemini" / "antigravity" / "mcp_config.json")
        yield user(layout.home / ".gemini" / "config" / "mcp_config.json")
        yield from skill_locations(layout.home / ".gemini" / "config" / "skills")

    def parse(self, location: ConfigLocation, document: Document) -> Iterator[Parsed]:
        if location.variant == SKILL:
            yield from parse_skill(self.id, location, document)
        else:
            yield from super().parse(location, document)
