"""The vocabulary of ``mcpward enforce``: the policy compiled from the registry, the managed
files each client reads, and the base every client module implements.

The policy is what every client's files are made from, and what ``scan`` compares a machine's
managed files with: it is written as JSON (``enforce --export-policy``) so that a machine can
be checked offline, without the registry.
"""

from __future__ import annotations

import enum
import json
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mcpward._addresses import is_this_machine
from mcpward._http import tls_or_loopback
from mcpward._regex import compiled
from mcpward.errors import McpwardError

#: The version of the policy file's format; a file of another version is refused.
POLICY_FORMAT = 1

#: A server's key in the clients' files: letters, digits, ``-`` and ``_`` (Claude Code's
#: ``serverName`` pattern, a bare TOML key for Codex, a plain JSON key everywhere else).
KEY_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"


class EnforceError(McpwardError):
    """A policy that cannot be used, or files that cannot be written."""


class Platform(enum.StrEnum):
    LINUX = "linux"
    MACOS = "macos"
    WINDOWS = "windows"


class Decision(enum.StrEnum):
    """What the policy says about one server."""

    #: Approved: allowed with every tool.
    ALLOW = "allow"
    #: Approved and on probation: allowed with its read-only tools only.
    PROBATION = "probation"
    #: Rejected or revoked: refused wherever a client can refuse it.
    DENY = "deny"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# Refused in anything written into a client's file: a control character can end a TOML or
# PowerShell string early, and none belongs in a command, a URL or a tool name.
# A lone surrogate (a \ud800 escape in JSON) is no text: it cannot be written as UTF-8 at all.
# U+FFFE and U+FFFF are no XML 1.0 character: one made the whole macOS profile unreadable.
_CONTROL = compiled(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


# What the clients replace with the user's environment when they read their files: Claude Code
# ``${VAR}`` and ``${VAR:-default}`` in a server's command, arguments and URL, Gemini CLI ``$VAR``
# and ``${VAR}`` in every string. A registry value holding one would send each user's secret to
# the approved server's host, or put it on a command line every local user can read.
_EXPANDED = compiled(r"\$[\w{]")


#: Why a URL naming a user or password is never written: every user of a machine reads the
#: clients' managed files (and the profile, the script), so the password reached them all.
USERINFO_REFUSAL = "a URL the clients' files name holds no user or password (every local user reads them)"


def userinfo_refusal(url: str) -> str | None:
    """``USERINFO_REFUSAL`` where ``url`` names a user or password; None otherwise."""
    return USERINFO_REFUSAL if "@" in urlsplit(url).netloc else None


def _no_userinfo(url: str) -> str:
    if refusal := userinfo_refusal(url):
        raise ValueError(refusal)
    return url


def token_url_refusal(url: str) -> str | None:
    """Why the clients may not send each user's gateway token to ``url`` (None: they may): only
    over https, or over plain http to the machine itself, as every client of mcpward sends a
    token. A plain-http ``gateway serve`` URL on the network put every user's token on the wire
    in clear, with every request."""
    if tls_or_loopback(url):
        return None
    return (
        "gateway serve's URL is plain http off the machine, where each user's gateway token would "
        "cross the network in clear; use https (or plain http to the machine's own loopback)"
    )


def gallery_url_refusal(url: str) -> str | None:
    """Why VS Code may not take its allowed servers from ``url`` (None: it may): plain http off
    the machine, which anyone on the path answers (its ``/v0.1`` list is the allowlist)."""
    parts = urlsplit(url)
    if parts.scheme.lower() == "http" and not is_this_machine(parts.hostname):
        return (
            "the registry URL is plain http off the machine, where anyone on the path would list "
            "the servers VS Code allows; use https (or plain http to the machine's own loopback)"
        )
    return None


def _printable(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("control characters are not allowed")
    return value


class PolicyServer(_Frozen):
    """One server as the clients are told about it: its key, how it is started (a stdio
    command, or a remote URL) and what the registry decided."""

    #: The registry entry's name (``io.github.org/server``).
    name: str = Field(min_length=1, max_length=200)
    #: Its key in every client's files.
    key: str = Field(pattern=KEY_PATTERN)
    entry_id: int | None = None
    decision: Decision
    #: A stdio server: the program and its arguments as the clients run them (the gateway's
    #: launch line when the policy wraps it).
    command: tuple[str, ...] = Field(default=(), max_length=64)
    #: The launch line of the server itself, before wrapping: what a user's own config would
    #: name, and so what a denial matches.
    direct_command: tuple[str, ...] = Field(default=(), max_length=64)
    #: A remote server's URL (the gateway's, when the policy routes it through ``gateway serve``).
    url: str | None = Field(default=None, max_length=2000)
    #: The remote server's own URL, before routing: what a user's own config would name.
    direct_url: str | None = Field(default=None, max_length=2000)
    #: The tools it has (from its pinned signatures), when the registry knows them.
    tools: tuple[str, ...] = Field(default=(), max_length=2000)
    #: On probation: the tools a reviewer confirmed as read-only.
    read_only_tools: tuple[str, ...] = Field(default=(), max_length=2000)
    #: True when the server is reached through the gateway (``gateway run`` in ``command``, or
    #: ``gateway serve``'s URL); a routed remote needs the gateway's client token
    #: (``MCPWARD_GATEWAY_TOKEN`` in each user's environment).
    wrapped: bool = False

    @field_validator("name", "url", "direct_url")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        return None if value is None else _printable(value)

    @field_validator("url", "direct_url")
    @classmethod
    def _no_password(cls, value: str | None) -> str | None:
        return None if value is None else _no_userinfo(value)

    @field_validator("command", "direct_command", "tools", "read_only_tools")
    @classmethod
    def _items(cls, items: tuple[str, ...]) -> tuple[str, ...]:
        for item in items:
            if len(item) > 2000:
                raise ValueError("an item is longer than 2,000 characters")
            _printable(item)
        return items

    @model_validator(mode="after")
    def _launch(self) -> PolicyServer:
        if bool(self.command) == bool(self.url):
            raise ValueError("a server has either a command or a URL")
        if self.url is not None and not re.match(r"^https?://[^\s/]+", self.url):
            raise ValueError("a remote server's URL is http(s)")
        # A denial is only matched, never started or reached (Claude Code's deny list takes it
        # as written; Gemini CLI's by key), so it may hold anything printable.
        if self.decision is not Decision.DENY and any(
            _EXPANDED.search(item) for item in (*self.command, self.url or "")
        ):
            raise ValueError(
                "a command or URL holds $NAME or ${...}, which clients fill in from the user's environment"
            )
        if self.wrapped and self.url and self.url != self.direct_url:
            # Routed through gateway serve: the clients send each user's token with every request.
            refusal = token_url_refusal(self.url)
            if refusal:
                raise ValueError(refusal)
        if (
            self.decision is Decision.PROBATION
            and self.tools
            and not set(self.read_only_tools) <= set(self.tools)
        ):
            raise ValueError("a read-only tool is not one of the server's tools")
        return self

    @property
    def transport(self) -> Literal["stdio", "http"]:
        return "http" if self.url else "stdio"

    @property
    def write_tools(self) -> tuple[str, ...]:
        """On probation, the known tools that are not confirmed read-only."""
        if self.decision is not Decision.PROBATION:
            return ()
        read_only = set(self.read_only_tools)
        return tuple(tool for tool in self.tools if tool not in read_only)


class Policy(_Frozen):
    """The whole policy: every server the clients are told about, and where our registry is."""

    format: int = POLICY_FORMAT
    #: The registry's base URL, which VS Code's MCP gallery policy names (``/v0.1`` is below it).
    registry_url: str | None = Field(default=None, max_length=2000)
    servers: tuple[PolicyServer, ...] = Field(default=(), max_length=10_000)

    @field_validator("format")
    @classmethod
    def _known(cls, value: int) -> int:
        if value != POLICY_FORMAT:
            raise ValueError(f"policy format {value} is not {POLICY_FORMAT}; export it again")
        return value

    @field_validator("registry_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", _printable(value)):
            raise ValueError("the registry URL is http(s)")
        if value is not None and (refusal := gallery_url_refusal(value)):
            raise ValueError(refusal)
        return None if value is None else _no_userinfo(value)

    @model_validator(mode="after")
    def _unique_keys(self) -> Policy:
        keys = [server.key for server in self.servers if server.decision is not Decision.DENY]
        if len(keys) != len(set(keys)):
            raise ValueError("two allowed servers share a key")
        return self

    @property
    def allowed(self) -> tuple[PolicyServer, ...]:
        return tuple(s for s in self.servers if s.decision is not Decision.DENY)

    @property
    def denied(self) -> tuple[PolicyServer, ...]:
        return tuple(s for s in self.servers if s.decision is Decision.DENY)

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Policy:
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise EnforceError(f"the policy file is not JSON (line {exc.lineno})") from None
        except RecursionError:
            # Nested thousands of levels deep: the parser's stack ran out (an internal error).
            raise EnforceError("the policy file is not an mcpward policy: nested too deeply") from None
        if not isinstance(document, dict) or "format" not in document:
            # ``{}`` (any JSON object without our fields) validated as a policy of no server:
            # files that turn every client's MCP servers off, which --allow-empty guards.
            raise EnforceError("the policy file is not an mcpward policy: it names no format")
        try:
            return cls.model_validate(document)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "the document"
            raise EnforceError(f"the policy file is not an mcpward policy: {where}: {first['msg']}") from None


@dataclass(frozen=True, slots=True)
class ManagedFile:
    """A file a client reads, at its absolute path on the target platform."""

    client: str
    #: Absolute, with ``/`` separators: ``/etc/claude-code/managed-mcp.json``,
    #: ``C:/Program Files/ClaudeCode/managed-mcp.json``.
    path: str
    content: bytes
    #: How the content is compared with a machine's copy: parsed (``json``, ``toml``), so a
    #: file re-indented by a deployment tool is not drift, or byte for byte.
    compare: Literal["json", "toml", "bytes"] = "json"
    #: True when the client's managed preferences (macOS) or policy values (Windows) carry
    #: the same settings, so an MDM need not install the file there.
    carried: bool = False


@dataclass(frozen=True, slots=True)
class RegistryValue:
    """A Windows registry value under HKEY_LOCAL_MACHINE (``REG_SZ`` or ``REG_DWORD``)."""

    client: str
    key: str
    name: str
    value: str | int


@dataclass(frozen=True, slots=True)
class ProfilePayload:
    """One payload of a macOS configuration profile: managed preferences of ``domain``."""

    client: str
    domain: str
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Control:
    """What a client's documented admin controls can and cannot enforce (the README's table)."""

    allow: str
    deny: str
    read_only: str
    limits: str


class ClientPolicy(ABC):
    """One client's managed configuration, made from the policy. Each module of this package
    defines one (or a few, for variants such as VS Code Insiders)."""

    #: Stable id: ``claude-code``, ``vscode``, ...
    id: ClassVar[str]
    #: As people name it.
    title: ClassVar[str]
    control: ClassVar[Control]

    @abstractmethod
    def files(self, policy: Policy, platform: Platform) -> list[ManagedFile]:
        """The files to write on ``platform`` (none where the client takes no file there)."""

    def registry_values(self, policy: Policy) -> list[RegistryValue]:
        """Windows policy values (Group Policy / Intune), where the client reads them."""
        return []

    def profile_payloads(self, policy: Policy) -> list[ProfilePayload]:
        """macOS managed preferences, where the client reads them."""
        return []
