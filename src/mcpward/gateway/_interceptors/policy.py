"""Per-tool allow and deny lists, a read-only mode, and constraints on argument values (the
domains a recipient or URL may have, the path prefixes a file tool may touch); and rules per
identity: which users, groups, clients (agents) and scopes may call which tools of which
servers, under which constraints.

The rules are this TOML policy extended, not a second language (Cedar): they reuse the
argument constraints (an email's or a URL's domain, a path under a prefix, which Cedar cannot
express without extensions), they add no compiled dependency to the request path, and a
decision is a handful of glob matches (microseconds, see ``bench/gateway_auth.py``) that names
the rule that made it."""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from mcpward.gateway.interface import Exchange, Identity, Interceptor, PipelineContext, Refusal, Session

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


class IdentityRule(BaseModel):
    """Who (every condition given must hold; within one, any value) may call what."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Named in each decision it makes.
    name: str = Field(min_length=1, max_length=100)
    #: Globs of subjects (a token's ``sub``, or a static token's name).
    subjects: tuple[str, ...] = ()
    #: Groups (the issuer's groups claim): the caller is in one of them.
    groups: tuple[str, ...] = ()
    #: Globs of the client (agent) the token was issued to (``azp`` / ``client_id``).
    clients: tuple[str, ...] = ()
    #: Scopes the token must all carry.
    scopes: tuple[str, ...] = ()
    #: The server's registry tier is one of these (a server with no entry matches none).
    tiers: tuple[str, ...] = ()
    #: Globs of the servers the rule is about.
    servers: tuple[str, ...] = ("*",)
    #: Tools (globs, bare or ``server.tool``) the rule grants, and those it forbids (a deny of
    #: any rule that applies wins over every grant).
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    #: Argument constraints that hold for the callers the rule applies to.
    constraints: tuple[ArgumentConstraint, ...] = ()

    def applies(self, identity: Identity, server: str, tier: str | None) -> bool:
        if self.subjects and not any(fnmatch.fnmatchcase(identity.subject, s) for s in self.subjects):
            return False
        if self.groups and not any(g in identity.groups for g in self.groups):
            return False
        if self.clients and not any(fnmatch.fnmatchcase(identity.client_id or "", c) for c in self.clients):
            return False
        if self.scopes and not all(s in identity.scopes for s in self.scopes):
            return False
        if self.tiers and tier not in self.tiers:
            return False
        return any(fnmatch.fnmatchcase(server, s) for s in self.servers)

    def who(self) -> str:
        """The rule's conditions, for the decision's reason."""
        conditions = {
            "subject": self.subjects,
            "group": self.groups,
            "client": self.clients,
            "scope": self.scopes,
            "tier": self.tiers,
        }
        parts = [f"{label} {'/'.join(values)}" for label, values in conditions.items() if values]
        return ", ".join(parts) or "everyone"


class ToolPolicyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    #: Globs of tools that may be called (empty: all that are not denied).
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    #: Only tools whose annotations say ``readOnlyHint: true`` may be called.
    read_only: bool = False
    constraints: tuple[ArgumentConstraint, ...] = ()
    #: Rules per identity. With any, a tool is called only when a rule that applies to the
    #: caller grants it (or, ``identity_default = "allow"``, when none forbids it).
    rules: tuple[IdentityRule, ...] = ()
    identity_default: Literal["deny", "allow"] = "deny"


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
                # Hidden from this caller only: another may call it through a shared process.
                listed = session.visible_tools.get(name)
                if self._refusal(session, name, listed) != self._rules_refusal(session, name):
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
        return self._rules_refusal(session, tool)

    def _rules_refusal(self, session: Session, tool: str) -> str | None:
        if self.config.rules and session.identity is not None:
            granted, why = self.decide(session, tool)
            if not granted:
                return why
        return None

    def decide(self, session: Session, tool: str) -> tuple[bool, str]:
        """Whether the identity rules let the session's caller call ``tool``, and why (the rule
        that decided, or that none did). Only an authenticated caller (``gateway serve``) has
        an identity: over stdio the client names itself, so no rule is about it."""
        identity = session.identity
        if identity is None:
            return True, "no authenticated caller: the identity rules do not apply"
        names = (tool, f"{session.server}.{tool}")
        tier = (session.entry or {}).get("tier")
        rules = [r for r in self.config.rules if r.applies(identity, session.server, tier)]
        what = f"{session.server}.{tool} to {identity.subject}"
        for rule in rules:
            if any(fnmatch.fnmatchcase(n, p) for n in names for p in rule.deny):
                return False, f"rule {rule.name!r} ({rule.who()}) denies {what}"
        for rule in rules:
            if any(fnmatch.fnmatchcase(n, p) for n in names for p in rule.allow):
                return True, f"rule {rule.name!r} ({rule.who()}) grants {what}"
        if self.config.identity_default == "allow":
            return True, f"no rule decides {session.server}.{tool} for {identity.subject}; the default allows"
        return False, f"no rule grants {session.server}.{tool} to {identity.subject}"

    def _identity_constraints(self, session: Session) -> Iterator[ArgumentConstraint]:
        identity = session.identity
        if identity is None:
            return
        tier = (session.entry or {}).get("tier")
        for rule in self.config.rules:
            if rule.constraints and rule.applies(identity, session.server, tier):
                yield from rule.constraints

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
        for constraint in (*config.constraints, *self._identity_constraints(session)):
            if not any(fnmatch.fnmatchcase(name, constraint.tool) for name in names):
                continue
            for argument, value in _values(arguments, constraint.argument):
                _check(tool, argument, value, constraint)
        if config.rules and session.identity is not None:  # granted, within its constraints
            exchange.authorized_by = self.decide(session, tool)[1]


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
