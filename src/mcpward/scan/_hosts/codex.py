"""OpenAI Codex CLI: ``[mcp_servers.NAME]`` tables in ``~/.codex/config.toml`` (or
``$CODEX_HOME``), a project's ``.codex/config.toml``, the system layer ``/etc/codex/config.toml``
and the managed config."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mcpward._documents import Document, DocumentFormat
from mcpward.scan._hosts._common import McpServersHost, build_server, managed, user
from mcpward.scan.interface import ConfigLocation, DiscoveredServer, EntryError, HomeLayout, TargetOS


class Codex(McpServersHost):
    id = "codex"
    servers_key = "mcp_servers"
    project_files = ((".codex/config.toml", DocumentFormat.TOML),)

    def user_configs(self, layout: HomeLayout) -> Iterator[ConfigLocation]:
        codex_home = layout.environ.get("CODEX_HOME")
        base = Path(codex_home) if codex_home else layout.home / ".codex"
        yield user(base / "config.toml", DocumentFormat.TOML)
        if layout.os is not TargetOS.WINDOWS:
            # The system layer (a machine-wide default under the user's) and the managed one.
            for name in ("config.toml", "managed_config.toml"):
                yield from managed(layout.system_path("etc", "codex", name), DocumentFormat.TOML)

    def build(
        self, location: ConfigLocation, document: Document, name: str, entry: Mapping[str, Any]
    ) -> DiscoveredServer | EntryError:
        fields: dict[str, Any] = {k: entry[k] for k in ("command", "args", "env", "url") if k in entry}
        headers: dict[str, Any] = {}
        if isinstance(entry.get("http_headers"), Mapping):
            headers.update(entry["http_headers"])
        if isinstance(entry.get("env_http_headers"), Mapping):
            # Values name environment variables: record them as references, not literals.
            headers.update({k: f"${{{v}}}" for k, v in entry["env_http_headers"].items()})
        if isinstance(entry.get("bearer_token_env_var"), str):
            headers["Authorization"] = f"Bearer ${{{entry['bearer_token_env_var']}}}"
        if headers:
            fields["headers"] = headers
        if entry.get("enabled") is False:
            fields["disabled"] = True
        return build_server(self.id, location, document, name, fields)
