"""Flowise: Custom MCP tools in chatflows and agentflows, from exported flow JSON and from
Flowise's SQLite database (``~/.flowise/database.sqlite``, table ``chat_flow``, column
``flowData``), read-only.

A Custom MCP node (``customMCP``) holds its server as ``mcpServerConfig``: JSON5 text (or an
object) in the Claude Desktop shape, ``command``/``args``/``env`` for stdio, ``url``/``headers``
for a remote server. Agentflow v2 keeps the same object under ``agentSelectedToolConfig``; any
mapping holding ``mcpServerConfig`` is read. Flowise's built-in MCP tool nodes (category
``Tools (MCP)``: ``githubMCP``, ``slackMCP``, ``postgreSQLMCP``, ...) start servers Flowise
chooses; they are recorded by name, with no launch line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcpward._documents import Document, DocumentError, DocumentFormat, parse_text
from mcpward.model import Ecosystem, Transport
from mcpward.scan._hosts._common import build_server, claude_style_fields
from mcpward.scan._platforms._common import (
    MAX_FLOW_BYTES,
    FlowSource,
    Found,
    Platform,
    named_flows,
    parse_json_value,
    text,
    walk_mappings,
)
from mcpward.scan.interface import DiscoveredServer, EntryError, HomeLayout

if TYPE_CHECKING:
    import sqlite3


class Flowise(Platform):
    id = "flowise"
    packages = ((Ecosystem.NPM, "flowise"),)

    def data_files(self, layout: HomeLayout) -> Iterable[Path]:
        folder = layout.environ.get("DATABASE_PATH")
        return [(Path(folder) if folder else layout.home / ".flowise") / "database.sqlite"]

    def recognises_export(self, data: Any) -> bool:
        if not isinstance(data, Mapping) or not isinstance(data.get("nodes"), list):
            return False
        return "edges" in data and "connections" not in data

    def from_export(self, data: Any, source: FlowSource) -> Iterator[Found]:
        yield from self._flow(data, source)

    def database_tables(self) -> tuple[str, ...]:
        return ("chat_flow",)

    def from_database(self, connection: sqlite3.Connection, source: FlowSource) -> Iterator[Found]:
        for data, flow in named_flows(connection, source, "chat_flow", "flowData"):
            yield from self._flow(data, flow)

    def _flow(self, data: Any, source: FlowSource) -> Iterator[Found]:
        count = 0
        for mapping in walk_mappings(data):
            if "mcpServerConfig" not in mapping:
                built_in = _built_in(mapping, source)
                if built_in is not None:
                    yield built_in
                continue
            count += 1
            config = _server_config(mapping["mcpServerConfig"])
            name = f"{source.flow} / Custom MCP {count}"
            if not isinstance(config, Mapping):
                yield source.path, f"{name}: mcpServerConfig is not a JSON object"
                continue
            found = _server(name, config, source)
            if isinstance(found, EntryError):
                yield source.path, str(found)
            else:
                yield found


def _server_config(value: Any) -> Any:
    """A Custom MCP node's ``mcpServerConfig`` as Flowise reads it: an object, or text that
    ``JSON5.parse`` takes (unquoted keys, single quotes, trailing commas, comments); None when
    Flowise could not read it either."""
    config = parse_json_value(value)
    if config is None and isinstance(value, str) and len(value) <= MAX_FLOW_BYTES:
        try:
            config = parse_text(value, DocumentFormat.JSONC)  # JSON5, as pyjson5 reads it
        except DocumentError:
            return None
    return config


def _built_in(node: Mapping[str, Any], source: FlowSource) -> DiscoveredServer | None:
    """A node of Flowise's own MCP tools (not Custom MCP, which is read from its config)."""
    name = node.get("name")
    if node.get("category") != "Tools (MCP)" or not isinstance(name, str) or name == "customMCP":
        return None
    label = text(node.get("label"), 200) or name
    return DiscoveredServer(
        host="flowise",
        location=source.location(),
        name=f"{source.flow} / {label} ({name[:100]})",
        transport=Transport.STDIO,
        project=source.project,
    )


def _server(name: str, config: Mapping[str, Any], source: FlowSource) -> DiscoveredServer | EntryError:
    document = Document(path=source.path, text="", data=config)
    server = build_server("flowise", source.location(), document, name, claude_style_fields(config))
    if isinstance(server, DiscoveredServer):
        server.project = source.project
    return server
