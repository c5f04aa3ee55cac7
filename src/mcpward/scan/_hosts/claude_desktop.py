"""Claude Desktop: ``claude_desktop_config.json`` in the app's config folder."""

from __future__ import annotations

from collections.abc import Iterator

from mcpward.scan._hosts._common import McpServersHost, user
from mcpward.scan.interface import ConfigLocation, HomeLayout, TargetOS


class ClaudeDesktop(McpServersHost):
    id = "claude-desktop"

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        yield user(layout.config_dir / "Claude" / "claude_desktop_config.json")
        if layout.os is TargetOS.WINDOWS:
            # The Microsoft Store (MSIX) build keeps its AppData in a virtualised folder.
            yield user(
                layout.local_app_data
                / "Packages"
                / "Claude_pzs8sxrjxfjjc"
                / "LocalCache"
                / "Roaming"
                / "Claude"
                / "claude_desktop_config.json"
            )
