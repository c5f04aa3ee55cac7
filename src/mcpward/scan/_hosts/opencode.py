"""opencode: the ``mcp`` key of ``opencode.json``/``opencode.jsonc`` in ``~/.config/opencode``,
``~/.opencode``, ``$OPENCODE_CONFIG_DIR``, the file ``$OPENCODE_CONFIG``, and in a project's root
and its ``.opencode`` folders. The command is a list; ``type`` is ``local`` or ``remote``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mcpward._documents import Document, DocumentFormat
from mcpward.scan._hosts._common import McpServersHost, build_server, user
from mcpward.scan.interface import ConfigLocation, DiscoveredServer, EntryError, HomeLayout, LaunchKeys


class OpenCode(McpServersHost):
    id = "opencode"
    servers_key = "mcp"
    launch_keys = LaunchKeys(args=None, env="environment")
    project_files = (
        ("opencode.json", DocumentFormat.JSONC),
        ("opencode.jsonc", DocumentFormat.JSONC),
    )

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        base = layout.xdg_config_dir / "opencode"
        for name in ("opencode.json", "opencode.jsonc", "config.json"):
            yield user(base / name, DocumentFormat.JSONC)
        # The home's .opencode folder and $OPENCODE_CONFIG_DIR, read as a project's .opencode
        # is, and the file $OPENCODE_CONFIG names.
        folders = [layout.home / ".opencode"]
        if layout.environ.get("OPENCODE_CONFIG_DIR"):
            folders.append(Path(layout.environ["OPENCODE_CONFIG_DIR"]))
        for folder in folders:
            for name in ("opencode.json", "opencode.jsonc"):
                yield user(folder / name, DocumentFormat.JSONC)
        if layout.environ.get("OPENCODE_CONFIG"):
            yield user(Path(layout.environ["OPENCODE_CONFIG"]), DocumentFormat.JSONC)

    def build(
        self, location: ConfigLocation, document: Document, name: str, entry: Mapping[str, Any]
    ) -> DiscoveredServer | EntryError:
        fields: dict[str, Any] = {k: entry[k] for k in ("url", "headers", "type") if k in entry}
        command = entry.get("command")
        if isinstance(command, list) and command:
            fields["command"], fields["args"] = command[0], command[1:]
        elif command is not None:
            fields["command"] = command
        if "environment" in entry:
            fields["env"] = entry["environment"]
        if entry.get("enabled") is False:
            fields["disabled"] = True
        return build_server(self.id, location, document, name, fields)
