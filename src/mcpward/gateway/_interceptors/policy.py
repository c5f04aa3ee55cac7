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
import functools
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from mcpward.gateway._interceptors.registry import probation_refusal
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


#: What a registry entry's data scope can say of a server.
DataFlag = Literal[
    "reads", "writes", "credentials", "network", "shell", "credential_access", "production_write"
]


#: The identity source of a static client token, in a rule's ``issuers``.
STATIC_SOURCE = "static"


class IdentityRule(BaseModel):
    """Who (every condition given must hold; within one, any value) may call what."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Named in each decision it makes.
    name: str = Field(min_length=1, max_length=100)
    #: The identity sources the caller must come from: issuer identifiers as ``[[auth.issuers]]``
    #: names them, or ``static`` for a ``[[serve.clients]]`` token. A subject or group name is
    #: only meaningful within its source; with several issuers, a rule on subjects or groups must
    #: say whose (``GatewayConfig`` refuses it otherwise).
    issuers: tuple[str, ...] = ()
    #: Globs of subjects (a token's ``sub``, or a static token's name).
    subjects: tuple[str, ...] = ()
    #: Groups (the issuer's groups claim): the caller is in one of them.
    groups: tuple[str, ...] = ()
    #: Groups the caller must be in none of ("Tier-0 servers for the SRE group only" is a deny
    #: rule with ``tiers = ["tier-0"]`` and ``not_groups = ["sre"]``).
    not_groups: tuple[str, ...] = ()
    #: Globs of the client (agent) the token was issued to (``azp`` / ``client_id``).
    clients: tuple[str, ...] = ()
    #: Scopes the token must all carry.
    scopes: tuple[str, ...] = ()
    #: The server's registry tier is one of these (a server with no entry matches none).
    tiers: tuple[str, ...] = ()
    #: The server's reviewed data scope (its registry entry) has one of these: it writes, runs
    #: a shell, talks to the network, ... (a server with no entry has none).
    data_scope: tuple[DataFlag, ...] = ()
    #: Globs of the servers the rule is about.
    servers: tuple[str, ...] = ("*",)
    #: Tools (globs, bare or ``server.tool``) the rule grants, and those it forbids (a deny of
    #: any rule that applies wins over every grant).
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    #: Argument constraints that hold for the callers the rule applies to.
    constraints: tuple[ArgumentConstraint, ...] = ()

    def who(self) -> str:
        """The rule's conditions, for the decision's reason."""
        conditions = {
            "issuer": self.issuers,
            "subject": self.subjects,
            "group": self.groups,
            "not in group": self.not_groups,
            "client": self.clients,
            "scope": self.scopes,
            "tier": self.tiers,
            "data scope": self.data_scope,
        }
        parts = [f"{label} {'/'.join(values)}" for label, values in conditions.items() if values]
        return ", ".join(parts) or "everyone"


def _globs(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    """One compiled pattern for a list of globs (None for an empty list)."""
    return re.compile("|".join(fnmatch.translate(p) for p in patterns)) if patterns else None


@dataclass(frozen=True, slots=True)
class _Rule:
    """An identity rule with its globs compiled."""

    rule: IdentityRule
    subjects: re.Pattern[str] | None
    clients: re.Pattern[str] | None
    servers: re.Pattern[str] | None
    allow: re.Pattern[str] | None
    deny: re.Pattern[str] | None
    who: str

    def applies(self, identity: Identity, server: str, tier: str | None, data: frozenset[str]) -> bool:
        rule = self.rule
        if rule.issuers and (identity.issuer or STATIC_SOURCE) not in rule.issuers:
            return False
        if self.subjects is not None and not self.subjects.match(identity.subject):
            return False
        if rule.groups and not any(g in identity.groups for g in rule.groups):
            return False
        if rule.not_groups and any(g in identity.groups for g in rule.not_groups):
            return False
        if self.clients is not None and not self.clients.match(identity.client_id or ""):
            return False
        if rule.scopes and not all(s in identity.scopes for s in rule.scopes):
            return False
        if rule.tiers and tier not in rule.tiers:
            return False
        if rule.data_scope and not any(flag in data for flag in rule.data_scope):
            return False
        return self.servers is not None and self.servers.match(server) is not None


class _RuleSet:
    """The rules compiled once per policy (not per session), indexed by group, and the rules
    that apply to an (identity, server, tier) remembered: a decision is then two regular
    expression matches per applicable rule."""

    def __init__(self, rules: tuple[IdentityRule, ...]) -> None:
        self.rules = [
            _Rule(
                r,
                _globs(r.subjects),
                _globs(r.clients),
                _globs(r.servers),
                _globs(r.allow),
                _globs(r.deny),
                r.who(),
            )
            for r in rules
        ]
        self._by_group: dict[str, list[int]] = {}
        self._everyone: list[int] = []
        for index, rule in enumerate(rules):
            for group in rule.groups:
                self._by_group.setdefault(group, []).append(index)
            if not rule.groups:
                self._everyone.append(index)
        self._applicable: dict[tuple[Identity, str, str | None, frozenset[str]], list[_Rule]] = {}

    def applicable(
        self, identity: Identity, server: str, tier: str | None, data: frozenset[str]
    ) -> list[_Rule]:
        key = (identity, server, tier, data)
        found = self._applicable.get(key)
        if found is None:
            candidates = set(self._everyone)
            for group in identity.groups:
                candidates.update(self._by_group.get(group, ()))
            found = [
                r
                for r in (self.rules[i] for i in sorted(candidates))
                if r.applies(identity, server, tier, data)
            ]
            if len(self._applicable) >= 4096:  # bounded: identities come and go
                self._applicable.clear()
            self._applicable[key] = found
        return found


@functools.lru_cache(maxsize=32)
def _rule_set(rules: tuple[IdentityRule, ...]) -> _RuleSet:
    return _RuleSet(rules)


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
        # Looked up once per session: hashing the rules (pydantic models) costs more than a decision.
        self._rules = _rule_set(config.rules)

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
            # A server on probation offers its read-only tools only (the registry check refuses
            # the others); they stay callable in the session, for when write is granted.
            and probation_refusal(session, tool["name"]) is None
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
        qualified = f"{session.server}.{tool}"
        rules = self._rules.applicable(identity, session.server, *_registry_facts(session))
        what = f"{qualified} to {identity.subject}"
        for rule in rules:
            if rule.deny is not None and (rule.deny.match(tool) or rule.deny.match(qualified)):
                return False, f"rule {rule.rule.name!r} ({rule.who}) denies {what}"
        for rule in rules:
            if rule.allow is not None and (rule.allow.match(tool) or rule.allow.match(qualified)):
                return True, f"rule {rule.rule.name!r} ({rule.who}) grants {what}"
        if self.config.identity_default == "allow":
            return True, f"no rule decides {session.server}.{tool} for {identity.subject}; the default allows"
        return False, f"no rule grants {session.server}.{tool} to {identity.subject}"

    def _identity_constraints(self, session: Session) -> Iterator[ArgumentConstraint]:
        identity = session.identity
        if identity is None:
            return
        for rule in self._rules.applicable(identity, session.server, *_registry_facts(session)):
            yield from rule.rule.constraints

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
            for argument, value, nested in _values(arguments, constraint.argument):
                _check(tool, argument, value, constraint, nested=nested)
        if config.rules and session.identity is not None:  # granted, within its constraints
            exchange.authorized_by = self.decide(session, tool)[1]


def _registry_facts(session: Session) -> tuple[str | None, frozenset[str]]:
    """The server's registry tier and the flags its reviewed data scope has (none without an
    entry)."""
    kept = session.state.get("policy.registry")
    if kept is not None and kept[0] is session.entry:  # read once per entry, not per call
        return kept[1]  # type: ignore[no-any-return]
    entry = session.entry or {}
    tier, scope = entry.get("tier"), entry.get("scope")
    flags = frozenset(k for k, v in scope.items() if v) if isinstance(scope, dict) else frozenset()
    facts = (tier if isinstance(tier, str) else None), flags
    session.state["policy.registry"] = (session.entry, facts)
    return facts


#: How deep, and how many strings, a constrained argument's value is searched; past either the
#: call is refused (a value the check cannot see whole is not let through).
_MAX_DEPTH = 32
_MAX_STRINGS = 10_000


def _values(arguments: dict[str, Any], name: str) -> Iterator[tuple[str, str, bool]]:
    """Each string a constraint judges: (argument, value, nested). Lists and objects are
    searched, so a value wrapped in ``[[...]]`` or ``{"address": ...}`` is judged like a bare
    one; ``nested`` is true inside an object, where fields that name no domain (a display
    name) are not addresses."""
    chosen = arguments.items() if name == "*" else [(name, arguments.get(name))]
    count = 0
    for key, value in chosen:
        stack: list[tuple[Any, int, bool]] = [(value, 0, False)]
        while stack:
            item, depth, nested = stack.pop()
            if depth > _MAX_DEPTH:
                raise Refusal(f"{key}: the value is nested too deep to be checked")
            if isinstance(item, str):
                for part in re.split(r"[,;]", item):
                    if part.strip():
                        count += 1
                        if count > _MAX_STRINGS:
                            raise Refusal(f"{key}: the value holds too many strings to be checked")
                        yield key, part.strip(), nested
            elif isinstance(item, list):
                stack.extend((member, depth + 1, nested) for member in reversed(item))
            elif isinstance(item, dict):
                stack.extend((member, depth + 1, True) for member in reversed(item.values()))


def _check(
    tool: str, argument: str, value: str, constraint: ArgumentConstraint, *, nested: bool = False
) -> None:
    if constraint.domains:
        domains = _domains(value)
        if not domains and nested and "@" not in value and "://" not in value:
            return  # a field of an object that names no domain (a display name), not an address
        allowed = [d.lower().lstrip(".") for d in constraint.domains]
        outside = [d for d in domains if not any(d == a or d.endswith("." + a) for a in allowed)]
        if not domains or outside:
            domain = outside[0] if outside else None
            raise Refusal(
                f"{tool}: {argument} goes to {domain or 'an address with no domain'}, "
                f"outside the allowed domains ({', '.join(allowed)})"
            )
    if constraint.path_prefixes:
        normal = posixpath.normpath(value) if value.startswith("/") else None
        prefixes = [posixpath.normpath(p) for p in constraint.path_prefixes]
        if normal is None or not any(normal == p or normal.startswith(p.rstrip("/") + "/") for p in prefixes):
            raise Refusal(f"{tool}: {argument} is outside the allowed paths ({', '.join(prefixes)})")


def _domains(value: str) -> list[str]:
    """The domain a value goes to, as each kind of parser reads it (empty: none). A URL is
    read as Python's ``urlsplit`` does and as a WHATWG parser (browsers, Node's fetch) does:
    that drops tabs and newlines and takes ``\\`` for ``/``, so in
    ``https://evil.example\\@acme.com`` its host is evil.example, not acme.com."""
    text = value.strip().strip("<>").lower()
    if "@" in text and "://" not in text:
        # Every address in it: a mail tool may split "a@evil.example b@acme.com" on spaces, or
        # take "a@evil.example <b@acme.com>" as two; a line break is a header injected.
        if re.search(r"[\x00-\x1f\x7f]", text):
            return []
        found = [d.rstrip(".") for d in re.findall(r"@([^\s<>,;\"'()\[\]@]*)", text)]
        return [] if not found or "" in found else list(dict.fromkeys(found))
    if "://" in text:
        whatwg = re.sub(r"[\t\n\r]", "", text).replace("\\", "/")
        hosts = [urlsplit(text).hostname, urlsplit(whatwg).hostname]
        return [] if None in hosts else list(dict.fromkeys(h for h in hosts if h is not None))
    return [text] if re.fullmatch(r"[a-z0-9.-]+\.[a-z]{2,}", text) else []
