"""LangFlow: MCP components in flows, from exported flow JSON and from LangFlow's SQLite
database (``langflow.db`` in its cache folder, table ``flow``, column ``data``), read-only.

Components: ``MCPTools`` (LangFlow 1.4 and later; ``mcp_server`` holds ``{"name", "config"}``
with ``command``/``args``/``env`` or ``url``/``headers``), and the earlier ``MCPStdio``
(``command``, one line) and ``MCPSse`` (``url``). A component's values are in
``data.node.template.<field>.value``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcpward._documents import Document
from mcpward.dlp import shell_words
from mcpward.model import Ecosystem, Transport
from mcpward.scan._hosts._common import build_server, claude_style_fields
from mcpward.scan._platforms._common import (
    FlowSource,
    Found,
    Platform,
    named_flows,
    parse_json_value,
    text,
)
from mcpward.scan.interface import DiscoveredServer, EntryError, HomeLayout, TargetOS

if TYPE_CHECKING:
    import sqlite3

_COMPONENTS = frozenset({"MCPTools", "MCPStdio", "MCPSse"})


class LangFlow(Platform):
    id = "langflow"
    packages = ((Ecosystem.PYPI, "langflow"),)

    def data_files(self, layout: HomeLayout) -> Iterable[Path]:
        configured = layout.environ.get("LANGFLOW_CONFIG_DIR")
        if configured:
            return [Path(configured) / "langflow.db"]
        if layout.os is TargetOS.MACOS:
            return [layout.home / "Library" / "Caches" / "langflow" / "langflow.db"]
        if layout.os is TargetOS.WINDOWS:
            return [layout.local_app_data / "langflow" / "langflow" / "Cache" / "langflow.db"]
        cache = layout.environ.get("XDG_CACHE_HOME")
        return [(Path(cache) if cache else layout.home / ".cache") / "langflow" / "langflow.db"]

    def recognises_export(self, data: Any) -> bool:
        inner = data.get("data") if isinstance(data, Mapping) else None
        return isinstance(inner, Mapping) and isinstance(inner.get("nodes"), list)

    def from_export(self, data: Any, source: FlowSource) -> Iterator[Found]:
        if isinstance(data, Mapping):
            name = text(data.get("name"), 200) or source.flow
            yield from self._flow(data.get("data"), replace(source, flow=name))

    def database_tables(self) -> tuple[str, ...]:
        return ("flow",)

    def from_database(self, connection: sqlite3.Connection, source: FlowSource) -> Iterator[Found]:
        for data, flow in named_flows(connection, source, "flow", "data"):
            yield from self._flow(data, flow)

    def _flow(self, data: Any, source: FlowSource) -> Iterator[Found]:
        nodes = data.get("nodes") if isinstance(data, Mapping) else None
        if not isinstance(nodes, list):
            return
        for node in nodes:
            inner = node.get("data") if isinstance(node, Mapping) else None
            if not isinstance(inner, Mapping) or inner.get("type") not in _COMPONENTS:
                continue
            component = inner.get("node")
            template = component.get("template") if isinstance(component, Mapping) else None
            if not isinstance(template, Mapping):
                continue
            label = f"{source.flow} / {text(inner.get('id'), 200) or inner['type']}"
            found = _component(str(inner["type"]), label, template, source)
            if found is None:
                continue
            yield (source.path, str(found)) if isinstance(found, EntryError) else found


def _value(template: Mapping[str, Any], field: str) -> Any:
    entry = template.get(field)
    return entry.get("value") if isinstance(entry, Mapping) else None


def _component(
    kind: str, label: str, template: Mapping[str, Any], source: FlowSource
) -> DiscoveredServer | EntryError | None:
    if kind == "MCPStdio":
        line = text(_value(template, "command"))
        if line is None:
            return None
        argv = shell_words(line)
        fields: dict[str, Any] = {"command": argv[0], "args": argv[1:]} if argv else {"command": line}
    elif kind == "MCPSse":
        url = text(_value(template, "url"))
        if url is None:
            return None
        fields = {"url": url, "type": "sse"}
    else:
        server = parse_json_value(_value(template, "mcp_server"))
        if not isinstance(server, Mapping):
            return None
        config = server.get("config")
        if not isinstance(config, Mapping):
            return None
        label = f"{source.flow} / {text(server.get('name'), 200) or 'MCP Tools'}"
        fields = claude_style_fields(config)
    document = Document(path=source.path, text="", data=fields)
    found = build_server("langflow", source.location(), document, label, fields, url_transport=Transport.SSE)
    if isinstance(found, DiscoveredServer):
        found.project = source.project
    return found
