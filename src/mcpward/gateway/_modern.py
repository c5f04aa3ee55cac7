"""MCP 2026-07-28 over ``gateway serve``: requests that carry their protocol version in
``_meta`` instead of a session, checked and answered beside the session-based revisions.

What the gateway does for such a request, in this order, before any check of the body:

- the version: one it does not serve is refused (``-32022``, the versions it serves);
- the mirrored headers (``MCP-Protocol-Version``, ``Mcp-Method``, ``Mcp-Name`` and the
  ``Mcp-Param-*`` of a tool's ``x-mcp-header`` parameters) must be present where the
  specification requires them and equal the body's values, decoded from the Base64 sentinel
  form: a load balancer routing on a header while the gateway judges the body is the bypass
  this closes (``-32020``, HTTP 400);
- the request then goes to the calling client's own upstream session, which the gateway opened
  with the handshake of the latest session-based revision (so every server works behind it,
  whatever revision it speaks) and which passes the same interceptors as any session: pins,
  policy, DLP, the result check, the audit log. Request ids are the gateway's own upstream (a
  stateless client may reuse one id for every request) and the client's on the way back.

``server/discover`` is answered by the gateway from that session's handshake: the server's
capabilities and identity, the versions the gateway serves. Tools whose ``x-mcp-header``
markings break the specification's rules are left out of ``tools/list`` (as a conforming client
must) and their calls refused. List results carry ``ttlMs: 0`` and ``cacheScope: "private"``:
a client must not cache a tool list across the pin checks of the next one.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from mcpward._regex import compiled

MODERN_VERSIONS = ("2026-07-28",)
#: The session-based revisions the gateway also serves (a request without per-request metadata).
HANDSHAKE_VERSIONS = ("2025-11-25", "2025-06-18", "2025-03-26")
#: What the gateway asks its upstream session for.
UPSTREAM_VERSION = HANDSHAKE_VERSIONS[0]
HEADER_MISMATCH = -32020
UNSUPPORTED_PROTOCOL_VERSION = -32022
METHOD_NOT_FOUND = -32601

META_VERSION = "io.modelcontextprotocol/protocolVersion"
META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo"
META_CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"
META_SERVER_INFO = "io.modelcontextprotocol/serverInfo"
META_SUBSCRIPTION = "io.modelcontextprotocol/subscriptionId"
#: The list-change notifications a ``subscriptions/listen`` filter can ask for, by its field.
LIST_CHANGED = {
    "notifications/tools/list_changed": "toolsListChanged",
    "notifications/prompts/list_changed": "promptsListChanged",
    "notifications/resources/list_changed": "resourcesListChanged",
}

#: Methods whose ``params.name`` (or ``params.uri``) the ``Mcp-Name`` header mirrors.
_NAMED = {
    "tools/call": "name",
    "prompts/get": "name",
    "resources/read": "uri",
    # The tasks extension: the task's id, so that a balancer routes its requests to its replica.
    "tasks/get": "taskId",
    "tasks/update": "taskId",
    "tasks/cancel": "taskId",
}
#: Results a client may cache (``CacheableResult``).
_CACHEABLE = {"tools/list", "prompts/list", "resources/list", "resources/read", "resources/templates/list"}
#: Session-era methods this revision removed.
_REMOVED = {"initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe"}
# RFC 9110: a header name is 1*tchar; a value is visible ASCII, space and tab.
_TOKEN = compiled(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VALUE = compiled(r"[\t\x20-\x7e]*")
_SENTINEL = compiled(r"=\?base64\?([A-Za-z0-9+/=]*)\?=")
_SAFE_INTEGER = 2**53 - 1
# A number as JSON writes it: float() also takes "5_0", "+50", " 50" and "inf", which a router
# comparing the header's text reads otherwise.
_JSON_NUMBER = compiled(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


class HeaderMismatch(Exception):
    """The request's headers and body disagree (or a required header is missing or malformed)."""


def requested_version(headers: Mapping[str, str], message: Any) -> str | None:
    """The revision a request with per-request metadata asks for (None for a session-era
    request): the version in the body's ``_meta``, else a modern ``MCP-Protocol-Version``."""
    if isinstance(message, dict):
        params = message.get("params")
        meta = params.get("_meta") if isinstance(params, dict) else None
        if isinstance(meta, dict) and META_VERSION in meta:
            return str(meta[META_VERSION])
    header = headers.get("mcp-protocol-version")
    return header if header is not None and header not in HANDSHAKE_VERSIONS and header >= "2026" else None


def decoded(value: str, what: str) -> str:
    """A mirrored header's value, decoded from ``=?base64?...?=`` when so written."""
    if not _VALUE.fullmatch(value):
        raise HeaderMismatch(f"the {what} header holds characters a header may not")
    sentinel = _SENTINEL.fullmatch(value)
    if sentinel is None:
        return value
    try:
        return base64.b64decode(sentinel.group(1), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise HeaderMismatch(f"the {what} header is not valid Base64 of UTF-8 text") from None


def repeated_header(names: Iterable[str]) -> str | None:
    """The first protocol header (``MCP-Protocol-Version``, ``Mcp-*``) sent more than once: a
    router may read the last line, or all of them joined, where the gateway reads the first."""
    seen: set[str] = set()
    for name in names:
        lowered = name.lower()
        if lowered.startswith("mcp-") or lowered == "mcp-protocol-version":
            if lowered in seen:
                return name
            seen.add(lowered)
    return None


def check_headers(headers: Mapping[str, str], message: dict[str, Any], version: str) -> None:
    """The standard headers against the body (``headers`` with lower-case names, each once:
    see :func:`repeated_header`)."""
    if headers.get("mcp-protocol-version") != version:
        raise HeaderMismatch(
            f"MCP-Protocol-Version {headers.get('mcp-protocol-version')!r} is not the body's {version!r}"
        )
    method = message.get("method")
    if "id" not in message:
        return  # a notification: this revision defines no header for them
    if headers.get("mcp-method") != method:
        raise HeaderMismatch(f"Mcp-Method {headers.get('mcp-method')!r} is not the body's method {method!r}")
    field_name = _NAMED.get(str(method))
    if field_name is None:
        return
    params = message.get("params")
    value = params.get(field_name) if isinstance(params, dict) else None
    header = headers.get("mcp-name")
    if header is None:
        raise HeaderMismatch(f"Mcp-Name is missing for {method}")
    if decoded(header, "Mcp-Name") != value:
        raise HeaderMismatch(f"Mcp-Name does not match the body's params.{field_name}")


def header_markings(schema: Any) -> dict[str, tuple[str, ...]]:
    """The tool's ``x-mcp-header`` parameters: header name (lower case) -> property path.
    ValueError, with the reason, for markings the specification makes the tool invalid for."""
    found: dict[str, tuple[str, ...]] = {}

    def visit(node: Any, path: tuple[str, ...], reachable: bool, depth: int) -> None:
        if depth > 32:
            raise ValueError("its input schema nests too deeply")
        if isinstance(node, dict):
            if "x-mcp-header" in node:
                name = node["x-mcp-header"]
                if not reachable or not path:
                    raise ValueError("x-mcp-header on a property not reached through properties alone")
                if not isinstance(name, str) or not _TOKEN.fullmatch(name):
                    raise ValueError(f"x-mcp-header {name!r} is not a header name")
                if name.lower() in found:
                    raise ValueError(f"x-mcp-header {name!r} is used twice")
                if node.get("type") not in ("string", "integer", "boolean"):
                    raise ValueError(f"x-mcp-header {name!r} is on a {node.get('type')!r} parameter")
                found[name.lower()] = path
            for key, child in node.items():
                if key == "properties" and isinstance(child, dict):
                    for prop, sub in child.items():
                        visit(sub, (*path, str(prop)), reachable, depth + 1)
                elif key != "x-mcp-header":
                    visit(child, path, False, depth + 1)
        elif isinstance(node, list):
            for child in node:
                visit(child, path, False, depth + 1)

    visit(schema, (), True, 0)
    return found


def check_parameters(
    headers: Mapping[str, str], arguments: Any, markings: dict[str, tuple[str, ...]]
) -> None:
    """Each marked parameter present in the arguments has its ``Mcp-Param-*`` header, equal to
    it; a marked header without its value in the body is a mismatch too."""
    for name, path in markings.items():
        value: Any = arguments
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        header = headers.get(f"mcp-param-{name}")
        if value is None:
            if header is not None:
                raise HeaderMismatch(f"Mcp-Param-{name} is sent but the body has no value for it")
            continue
        if header is None:
            raise HeaderMismatch(f"Mcp-Param-{name} is missing")
        text = decoded(header, f"Mcp-Param-{name}")
        if isinstance(value, bool):
            same = text == ("true" if value else "false")
        elif isinstance(value, int):
            same = (
                _JSON_NUMBER.fullmatch(text) is not None
                and abs(value) <= _SAFE_INTEGER
                and float(text) == value
            )
        else:
            same = text == value
        if not same:
            raise HeaderMismatch(f"Mcp-Param-{name} does not match the body's value")


def error_body(request_id: Any, code: int, message: str, data: Any = None) -> bytes:
    failure: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        failure["data"] = data
    return orjson.dumps({"jsonrpc": "2.0", "id": request_id, "error": failure})


@dataclass(slots=True)
class UpstreamView:
    """What the gateway learnt of a server in its upstream session's handshake and tool list."""

    initialize: dict[str, Any] = field(default_factory=dict)
    #: The server said its tools changed since they were last listed.
    stale: bool = False
    #: Per tool: its x-mcp-header markings, or why the tool is invalid.
    markings: dict[str, dict[str, tuple[str, ...]] | str] = field(default_factory=dict)
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def discover(self, extensions: dict[str, Any] | None = None) -> dict[str, Any]:
        """``server/discover``'s result, from the upstream's handshake, with the extensions the
        gateway itself offers."""
        capabilities = dict(self.initialize.get("capabilities") or {})
        if extensions:
            capabilities["extensions"] = extensions
        result: dict[str, Any] = {
            "resultType": "complete",
            "supportedVersions": [*MODERN_VERSIONS, *HANDSHAKE_VERSIONS],
            "capabilities": capabilities,
            "ttlMs": 0,
            "cacheScope": "private",
        }
        if isinstance(self.initialize.get("serverInfo"), dict):
            result["_meta"] = {META_SERVER_INFO: self.initialize["serverInfo"]}
        if isinstance(self.initialize.get("instructions"), str):
            result["instructions"] = self.initialize["instructions"]
        return result

    def learn_tools(self, result: Any) -> None:
        """Record each listed tool's markings; drop the tools whose markings are invalid."""
        if not isinstance(result, dict) or not isinstance(result.get("tools"), list):
            return
        kept = []
        for tool in result["tools"]:
            if not isinstance(tool, dict) or not isinstance(tool.get("name"), str):
                continue
            try:
                self.markings[tool["name"]] = header_markings(tool.get("inputSchema"))
            except ValueError as exc:
                self.markings[tool["name"]] = str(exc)
                continue
            kept.append(tool)
        result["tools"] = kept


def modern_result(method: str, result: dict[str, Any], view: UpstreamView) -> dict[str, Any]:
    """A session-era result as this revision shapes it."""
    result.setdefault("resultType", "complete")
    if method in _CACHEABLE:
        result["ttlMs"], result["cacheScope"] = 0, "private"
    if isinstance(view.initialize.get("serverInfo"), dict):
        given = result.get("_meta")
        meta: dict[str, Any] = given if isinstance(given, dict) else {}
        result["_meta"] = {**meta, META_SERVER_INFO: view.initialize["serverInfo"]}
    return result


def for_upstream(message: dict[str, Any], upstream_id: str) -> dict[str, Any]:
    """The request as its handshake-era upstream session takes it: the gateway's id, and the
    per-request protocol keys taken out of ``_meta`` (a session-era server refuses them; the
    session's handshake said all they say). Other ``_meta`` keys (a progress token, trace
    context) stay."""
    forwarded = {**message, "id": upstream_id}
    params = message.get("params")
    if isinstance(params, dict) and isinstance(params.get("_meta"), dict):
        meta = {k: v for k, v in params["_meta"].items() if not k.startswith(_PROTOCOL_META)}
        forwarded["params"] = (
            {**params, "_meta": meta} if meta else {k: v for k, v in params.items() if k != "_meta"}
        )
    return forwarded


#: The reserved prefix of the per-request protocol keys of ``_meta``.
_PROTOCOL_META = "io.modelcontextprotocol/"


def removed(method: str) -> bool:
    return method in _REMOVED
