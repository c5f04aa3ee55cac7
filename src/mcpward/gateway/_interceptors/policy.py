"""Per-tool allow and deny lists, a read-only mode, and constraints on argument values (the
domains a recipient or URL may have, the path prefixes a file tool may touch)."""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from mcpward.gateway.interface import Exchange, Interceptor, PipelineContext, Refusal, Session

if TYPE_CHECKING:
    from mcpward.gateway._config import GatewayConfig


class ArgumentConstraint(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: A tool name or glob (``send_*``), bare or as ``server.tool``.
    tool: str
    #: A top-level argument name, or ``*`` for every string argument of the tool.
    argument: str
    #: Each value's domain (an email's, a URL's host, or a bare host) must be one of these or
    #: under one of them.
    domains: tuple[str, ...] = ()
    #: Each value must be an absolute path under one of these.
    path_prefixes: tuple[str, ...] = ()


class ToolPolicyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    #: Globs of tools that may be called (empty: all that are not denied).
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    #: Only tools whose annotations say ``readOnlyHint: true`` may be called.
    read_only: bool = False
    constraints: tuple[ArgumentConstraint, ...] = ()


class Policy(Interceptor):
    name = "policy"

    def __init__(self, config: ToolPolicyConfig) -> None:
        self.config = config

    @classmethod
    def from_config(cls, config: GatewayConfig, context: PipelineContext) -> Policy | None:
        return cls(config.policy) if config.policy.enabled else None

    def response(self, session: Session, exchange: Exchange) -> None:
        """``tools/list`` shows only the tools this policy lets the client call: a denied tool
        that is listed invites the model to call it, and each call is then refused."""
        if exchange.method != "tools/list" or exchange.response is None:
            return
        result = exchange.response.get("result")
        if not isinstance(result, dict) or not isinstance(result.get("tools"), list):
            return
        callable_tools = [
            tool
            for tool in result["tools"]
            if isinstance(tool, dict)
            and isinstance(tool.get("name"), str)
            and self._refusal(session, tool["name"], tool) is None
        ]
        if len(callable_tools) != len(result["tools"]):
            hidden = sorted(str(tool.get("name")) for tool in result["tools"] if tool not in callable_tools)
            result["tools"] = callable_tools
            exchange.response_changed = True
            exchange.note("alert", f"policy hides {len(hidden)} tool(s): {', '.join(hidden)}")
            for name in hidden:
                session.visible_tools.pop(name, None)

    def _refusal(self, session: Session, tool: str, listed: Any) -> str | None:
        """Why the policy refuses ``tool`` whatever its arguments, or None."""
        names = (tool, f"{session.server}.{tool}")
        config = self.config
        if any(fnmatch.fnmatchcase(name, pattern) for name in names for pattern in config.deny):
            return f"tool {tool!r} is denied by the gateway policy"
        if config.allow and not any(fnmatch.fnmatchcase(n, p) for n in names for p in config.allow):
            return f"tool {tool!r} is not in the gateway policy's allow list"
        if config.read_only:
            annotations = (listed or {}).get("annotations") or {}
            if not (isinstance(annotations, dict) and annotations.get("readOnlyHint") is True):
                return f"read-only mode: tool {tool!r} is not annotated read-only"
        return None

    def request(self, session: Session, exchange: Exchange) -> None:
        tool = exchange.tool
        if tool is None:
            return
        names = (tool, f"{session.server}.{tool}")
        config = self.config
        refusal = self._refusal(session, tool, session.visible_tools.get(tool))
        if refusal is not None:
            raise Refusal(refusal)
        if config.read_only:
            scope = (session.entry or {}).get("scope") or {}
            if scope.get("writes") or scope.get("shell") or scope.get("production_write"):
                # The server's own annotation is a claim; the reviewed data scope says it writes.
                raise Refusal(f"read-only mode: the registry's data scope of {session.server} says it writes")
        arguments = exchange.params.get("arguments")
        arguments = arguments if isinstance(arguments, dict) else {}
        for constraint in config.constraints:
            if not any(fnmatch.fnmatchcase(name, constraint.tool) for name in names):
                continue
            for argument, value in _values(arguments, constraint.argument):
                _check(tool, argument, value, constraint)


def _values(arguments: dict[str, Any], name: str) -> Iterator[tuple[str, str]]:
    chosen = arguments.items() if name == "*" else [(name, arguments.get(name))]
    for key, value in chosen:
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                yield from ((key, part.strip()) for part in re.split(r"[,;]", item) if part.strip())


def _check(tool: str, argument: str, value: str, constraint: ArgumentConstraint) -> None:
    if constraint.domains:
        domain = _domain(value)
        allowed = [d.lower().lstrip(".") for d in constraint.domains]
        if domain is None or not any(domain == d or domain.endswith("." + d) for d in allowed):
            raise Refusal(
                f"{tool}: {argument} goes to {domain or 'an address with no domain'}, "
                f"outside the allowed domains ({', '.join(allowed)})"
            )
    if constraint.path_prefixes:
        normal = posixpath.normpath(value) if value.startswith("/") else None
        prefixes = [posixpath.normpath(p) for p in constraint.path_prefixes]
        if normal is None or not any(normal == p or normal.startswith(p.rstrip("/") + "/") for p in prefixes):
            raise Refusal(f"{tool}: {argument} is outside the allowed paths ({', '.join(prefixes)})")


def _domain(value: str) -> str | None:
    text = value.strip().strip("<>").lower()
    if "@" in text and "://" not in text:
        return text.rsplit("@", 1)[1] or None
    if "://" in text:
        return urlsplit(text).hostname
    return text if re.fullmatch(r"[a-z0-9.-]+\.[a-z]{2,}", text) else None
