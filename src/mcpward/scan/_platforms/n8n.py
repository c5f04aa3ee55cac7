"""n8n: workflows with MCP Client Tool nodes (servers n8n's agents call) and MCP Server Trigger
nodes (workflows n8n serves as MCP servers), from exported workflow JSON and from n8n's SQLite
database (``~/.n8n/database.sqlite``, table ``workflow_entity``), read-only.

Node types as n8n's source names them: ``@n8n/n8n-nodes-langchain.mcpClientTool`` (parameters
``sseEndpoint`` in version 1, ``endpointUrl`` and ``serverTransport`` later, ``authentication``),
``@n8n/n8n-nodes-langchain.mcpClient`` and ``@n8n/n8n-nodes-langchain.mcpTrigger``
(``path``, ``authentication``, ``none`` by default); and the client nodes of the community package
``n8n-nodes-mcp`` (``n8n-nodes-mcp.mcpClient``, ``.mcpClientTool``), whose server is in a credential.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcpward.model import Ecosystem, Transport
from mcpward.scan._platforms._common import (
    MAX_NODES,
    FlowSource,
    Found,
    Platform,
    parse_json_value,
    select_rows,
    text,
)
from mcpward.scan.interface import DiscoveredServer, HomeLayout

if TYPE_CHECKING:
    import sqlite3

_CLIENT_TYPES = frozenset({"@n8n/n8n-nodes-langchain.mcpClientTool", "@n8n/n8n-nodes-langchain.mcpClient"})
_TRIGGER_TYPE = "@n8n/n8n-nodes-langchain.mcpTrigger"
#: The community package ``n8n-nodes-mcp``, whose client nodes start a stdio server (or reach a
#: URL) named in an encrypted credential, not in the workflow.
_COMMUNITY_PACKAGE = "n8n-nodes-mcp"
_COMMUNITY_TYPES = frozenset({f"{_COMMUNITY_PACKAGE}.mcpClient", f"{_COMMUNITY_PACKAGE}.mcpClientTool"})
_NO_AUTH = ("", "none")


class N8n(Platform):
    id = "n8n"
    packages = ((Ecosystem.NPM, "n8n"),)

    def data_files(self, layout: HomeLayout) -> Iterable[Path]:
        folder = layout.environ.get("N8N_USER_FOLDER")
        base = Path(folder) if folder else layout.home
        return [base / ".n8n" / "database.sqlite"]

    def recognises_export(self, data: Any) -> bool:
        workflows = data if isinstance(data, list) else [data]
        return any(
            isinstance(w, Mapping) and isinstance(w.get("nodes"), list) and "connections" in w
            for w in workflows[:MAX_NODES]
        )

    def from_export(self, data: Any, source: FlowSource) -> Iterator[Found]:
        workflows = data if isinstance(data, list) else [data]
        for workflow in workflows[:MAX_NODES]:
            if isinstance(workflow, Mapping):
                name = text(workflow.get("name"), 200) or source.flow
                flow = replace(source, flow=name, inactive=workflow.get("active") is False)
                yield from self._nodes(workflow.get("nodes"), flow)

    def database_tables(self) -> tuple[str, ...]:
        return ("workflow_entity",)

    def from_database(self, connection: sqlite3.Connection, source: FlowSource) -> Iterator[Found]:
        for name, active, nodes in select_rows(
            connection, "workflow_entity", ("name", "active", "nodes"), "nodes"
        ):
            flow = replace(source, flow=text(name, 200) or "(unnamed)", inactive=active in (0, False))
            yield from self._nodes(parse_json_value(nodes), flow)

    def _nodes(self, nodes: Any, flow: FlowSource) -> Iterator[Found]:
        if not isinstance(nodes, list):
            return
        for node in nodes[:MAX_NODES]:
            if not isinstance(node, Mapping) or node.get("disabled") is True:
                continue
            kind = node.get("type")
            parameters = node.get("parameters")
            parameters = parameters if isinstance(parameters, Mapping) else {}
            label = f"{flow.flow} / {text(node.get('name'), 200) or kind}"
            if kind in _CLIENT_TYPES:
                yield from _client(label, parameters, node.get("credentials"), flow)
            elif kind == _TRIGGER_TYPE:
                yield _trigger(label, parameters, flow)
            elif kind in _COMMUNITY_TYPES:
                yield _community_client(label, node.get("credentials"), flow)


def _client(label: str, parameters: Mapping[str, Any], credentials: Any, flow: FlowSource) -> Iterator[Found]:
    url = (
        text(parameters.get("endpointUrl"))
        or text(parameters.get("sseEndpoint"))
        or text(parameters.get("serverUrl"))
    )
    if url is None:
        yield flow.path, f"{label}: MCP client node without an endpoint URL"
        return
    # serverTransport is absent in version 1 (SSE only) and in exports that kept the default.
    transport = Transport.HTTP if parameters.get("serverTransport") == "httpStreamable" else Transport.SSE
    authentication = str(parameters.get("authentication") or "none")
    kinds = sorted(credentials) if isinstance(credentials, Mapping) else []
    auth = None if authentication in _NO_AUTH else f"n8n credential {', '.join(kinds) or authentication}"
    yield DiscoveredServer(
        host="n8n",
        location=flow.location(),
        name=label,
        transport=transport,
        url=url,
        project=flow.project,
        auth_via=auth,
    )


def _community_client(label: str, credentials: Any, flow: FlowSource) -> DiscoveredServer:
    """A client node of ``n8n-nodes-mcp``: what it starts or reaches is in its credential, kept
    encrypted by n8n, so the record has no launch; the credential's kind is named."""
    kinds = sorted(str(kind)[:60] for kind in credentials)[:5] if isinstance(credentials, Mapping) else []
    return DiscoveredServer(
        host="n8n",
        location=flow.location(),
        name=label,
        transport=None,
        project=flow.project,
        disabled=flow.inactive,
        auth_via=f"n8n credential {', '.join(kinds)}" if kinds else None,
        plugin=_COMMUNITY_PACKAGE,
    )


def _trigger(label: str, parameters: Mapping[str, Any], flow: FlowSource) -> DiscoveredServer:
    path = text(parameters.get("path"), 300) or "(generated)"
    authentication = str(parameters.get("authentication") or "none")
    return DiscoveredServer(
        host="n8n",
        location=flow.location(),
        name=label,
        transport=Transport.HTTP,
        # Where n8n serves it, relative to the instance's own address (which the flow does not say).
        url=f"/mcp/{path}",
        project=flow.project,
        disabled=flow.inactive,
        served=True,
        auth_via=None if authentication in _NO_AUTH else f"n8n {authentication}",
    )
