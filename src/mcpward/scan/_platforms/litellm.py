"""LiteLLM proxy: the ``mcp_servers`` of its ``config.yaml`` (``transport`` stdio, sse or http;
``command``/``args``/``env`` or ``url``; ``auth_type`` for the credential the proxy sends,
kept in the proxy's environment or database). The proxy has no default config path (it is
started with ``--config``), so configs are found under ``--path``: ``config.yaml``,
``proxy_config.yaml`` and ``litellm*.yaml`` that hold ``mcp_servers``. The proxy's own version
comes from a ``pipx``/``uv tool`` install or from a project that depends on ``litellm``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from mcpward._documents import DocumentError, DocumentFormat, load_document
from mcpward.model import Ecosystem, Transport
from mcpward.scan._hosts._common import build_server, iter_server_map
from mcpward.scan._platforms._common import FlowSource, Found, Platform, text
from mcpward.scan.interface import EntryError

_NO_AUTH = ("", "none")


class LiteLlm(Platform):
    id = "litellm"
    packages = ((Ecosystem.PYPI, "litellm"),)

    def from_text_file(self, path: Path, source: FlowSource) -> Iterator[Found]:
        try:
            document = load_document(source.path, DocumentFormat.YAML)
        except DocumentError as exc:
            yield source.path, str(exc)
            return
        data = document.data
        if not isinstance(data, Mapping) or "mcp_servers" not in data:
            return
        location = source.location(DocumentFormat.YAML)
        for item in iter_server_map(data.get("mcp_servers"), "mcp_servers"):
            if isinstance(item, EntryError):
                yield source.path, str(item)
                continue
            name, entry = item
            fields = {k: entry[k] for k in ("command", "args", "env", "url") if k in entry}
            headers = entry.get("static_headers") or entry.get("extra_headers")
            if isinstance(headers, Mapping):
                fields["headers"] = dict(headers)
            transport = text(entry.get("transport"), 40)
            if transport:
                fields["type"] = transport
            found = build_server("litellm", location, document, name, fields, url_transport=Transport.SSE)
            if isinstance(found, EntryError):
                yield source.path, str(found)
                continue
            auth = str(entry.get("auth_type") or "none")
            if auth not in _NO_AUTH:
                found.auth_via = f"litellm auth_type {auth[:40]}"
            found.disabled = entry.get("disabled") is True
            yield found
