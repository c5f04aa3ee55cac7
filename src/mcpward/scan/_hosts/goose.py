"""Goose: ``extensions`` in ``config.yaml`` (``~/.config/goose`` on Linux and macOS,
``%APPDATA%\\Block\\goose\\config`` on Windows). ``GOOSE_MODE: auto`` runs every tool
without asking. Built-in extensions are part of Goose itself and are not listed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mcpward._documents import Document, DocumentFormat
from mcpward.scan._hosts._common import McpServersHost, build_server, user
from mcpward.scan.interface import (
    ConfigLocation,
    DiscoveredServer,
    EntryError,
    HomeLayout,
    LaunchKeys,
    Parsed,
    TargetOS,
    ToolApproval,
)

_NOT_SERVERS = {"builtin", "platform", "frontend", "inline_python"}


class Goose(McpServersHost):
    id = "goose"
    servers_key = "extensions"
    launch_keys = LaunchKeys(command="cmd", env="envs")

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        if layout.os is TargetOS.WINDOWS:
            yield user(layout.config_dir / "Block" / "goose" / "config" / "config.yaml", DocumentFormat.YAML)
        else:
            yield user(layout.xdg_config_dir / "goose" / "config.yaml", DocumentFormat.YAML)

    def parse(self, location: ConfigLocation, document: Document) -> Iterator[Parsed]:
        if document.data is None:
            return
        for item in super().parse(location, document):
            if isinstance(item, DiscoveredServer) and item.transport is None:
                continue  # built-in extension
            yield item
        data = document.data
        if isinstance(data, Mapping) and str(data.get("GOOSE_MODE", "")).lower() == "auto":
            yield ToolApproval(self.id, location, None, ("*",), "GOOSE_MODE: auto")

    def build(
        self, location: ConfigLocation, document: Document, name: str, entry: Mapping[str, Any]
    ) -> DiscoveredServer | EntryError:
        kind = str(entry.get("type", "")).lower()
        if kind in _NOT_SERVERS:
            return DiscoveredServer(host=self.id, location=location, name=name, transport=None)
        fields: dict[str, Any] = {"type": kind or None}
        if "cmd" in entry:
            fields["command"] = entry["cmd"]
        for source, target in (("args", "args"), ("envs", "env"), ("uri", "url"), ("headers", "headers")):
            if source in entry:
                fields[target] = entry[source]
        if entry.get("enabled") is False:
            fields["disabled"] = True
        return build_server(self.id, location, document, str(entry.get("name") or name), fields)
