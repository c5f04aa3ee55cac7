"""Zed: ``context_servers`` in ``settings.json`` (user and ``.zed/settings.json``), JSONC.
Custom servers give a command (as a string, or the older ``{path, args, env}`` object) or a
URL; servers provided by Zed extensions give only settings and are listed without a launch
line. ``agent.always_allow_tool_actions`` lets every tool run without asking."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mcpward._documents import Document, DocumentFormat
from mcpward.model import Transport
from mcpward.scan._hosts._common import McpServersHost, build_server, iter_server_map, user
from mcpward.scan.interface import (
    ConfigLocation,
    DiscoveredServer,
    EntryError,
    HomeLayout,
    Parsed,
    TargetOS,
    ToolApproval,
)


class Zed(McpServersHost):
    id = "zed"
    project_files = ((".zed/settings.json", DocumentFormat.JSONC),)

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        if layout.os is TargetOS.WINDOWS:
            yield user(layout.config_dir / "Zed" / "settings.json", DocumentFormat.JSONC)
        else:
            yield user(layout.xdg_config_dir / "zed" / "settings.json", DocumentFormat.JSONC)

    def parse(self, location: ConfigLocation, document: Document) -> Iterator[Parsed]:
        data = document.data
        if not isinstance(data, Mapping):
            yield EntryError("(file)", f"expected a JSON object, found {type(data).__name__}")
            return
        for item in iter_server_map(data.get("context_servers"), "context_servers"):
            if isinstance(item, EntryError):
                yield item
                continue
            name, entry = item
            yield self._entry(location, document, name, entry)
        agent = data.get("agent")
        if isinstance(agent, Mapping) and agent.get("always_allow_tool_actions") is True:
            yield ToolApproval(self.id, location, None, ("*",), "agent.always_allow_tool_actions: true")

    def _entry(
        self, location: ConfigLocation, document: Document, name: str, entry: Mapping[str, Any]
    ) -> DiscoveredServer | EntryError:
        command = entry.get("command")
        fields: dict[str, Any] = {k: entry[k] for k in ("args", "env", "url", "headers") if k in entry}
        if isinstance(command, Mapping):  # {"path": ..., "args": [...], "env": {...}}
            fields["command"] = command.get("path")
            fields.update({k: command[k] for k in ("args", "env") if k in command})
        elif command is not None:
            fields["command"] = command
        if "command" not in fields and "url" not in fields:
            # Provided by a Zed extension: the extension decides the launch line.
            return DiscoveredServer(
                host=self.id,
                location=location,
                name=name,
                transport=None,
                disabled=entry.get("enabled") is False,
                project=location.project,
                line=document.line_of(name),
            )
        if entry.get("enabled") is False:
            fields["disabled"] = True
        return build_server(self.id, location, document, name, fields, url_transport=Transport.HTTP)
