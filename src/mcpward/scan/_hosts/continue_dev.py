"""Continue: ``~/.continue/config.yaml`` (``mcpServers`` is a list), the older
``config.json`` (``experimental.modelContextProtocolServers``), and block files in
``.continue/mcpServers/`` (YAML, or JSON in the Claude Desktop shape), user-wide and per project."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mcpward._documents import Document, DocumentFormat
from mcpward.scan._hosts._common import (
    McpServersHost,
    bounded_glob,
    build_server,
    user,
)
from mcpward.scan.interface import ConfigLocation, EntryError, HomeLayout, Parsed


class Continue(McpServersHost):
    id = "continue"
    project_files = (
        (".continue/mcpServers/*.yaml", DocumentFormat.YAML),
        (".continue/mcpServers/*.yml", DocumentFormat.YAML),
        (".continue/mcpServers/*.json", DocumentFormat.JSON),
    )

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        base = layout.home / ".continue"
        yield user(base / "config.yaml", DocumentFormat.YAML)
        yield user(base / "config.json", DocumentFormat.JSON)
        for pattern, fmt in (
            ("*.yaml", DocumentFormat.YAML),
            ("*.yml", DocumentFormat.YAML),
            ("*.json", DocumentFormat.JSON),
        ):
            for block in bounded_glob(base / "mcpServers", pattern, max_depth=0):
                yield user(block, fmt)

    def parse(self, location: ConfigLocation, document: Document) -> Iterator[Parsed]:
        data = document.data
        if data is None:
            return  # an empty YAML file
        if not isinstance(data, Mapping):
            yield EntryError("(file)", f"expected a mapping, found {type(data).__name__}")
            return
        servers = data.get("mcpServers")
        if isinstance(servers, Mapping):  # a JSON block in the Claude Desktop shape
            yield from self.parse_servers(location, document, servers)
        elif servers is not None:
            yield from self._parse_list(location, document, servers)
        experimental = data.get("experimental")
        if isinstance(experimental, Mapping):
            legacy = experimental.get("modelContextProtocolServers")
            if legacy is not None:
                yield from self._parse_list(location, document, legacy, legacy_shape=True)

    def _parse_list(
        self, location: ConfigLocation, document: Document, servers: Any, *, legacy_shape: bool = False
    ) -> Iterator[Parsed]:
        if not isinstance(servers, list):
            yield EntryError("mcpServers", f"expected a list, found {type(servers).__name__}")
            return
        for index, entry in enumerate(servers):
            if not isinstance(entry, Mapping):
                yield EntryError(f"#{index}", f"expected a mapping, found {type(entry).__name__}")
                continue
            if legacy_shape:
                transport = entry.get("transport")
                entry = transport if isinstance(transport, Mapping) else {}
            name = str(entry.get("name") or f"server-{index + 1}")
            fields: dict[str, Any] = {
                k: entry[k] for k in ("command", "args", "env", "url", "type") if k in entry
            }
            options = entry.get("requestOptions")
            if isinstance(options, Mapping) and "headers" in options:
                fields["headers"] = options["headers"]
            yield build_server(self.id, location, document, name, fields)
