"""The domain model every part of mcpward shares.

These are the nouns the scan produces and that vet, inspect, the registry and the gateway
consume: a server as a client has it configured (:class:`ServerSpec`), the package behind it
(:class:`PackageRef`), a judgement about it (:class:`Finding`) and a file that could not be read
(:class:`ScanError`). All are frozen dataclasses: nothing downstream can change what was
observed, they cost nothing to import or build (the scan makes thousands), and
:func:`to_jsonable` gives every output format the same serialised form.

No model here ever holds a secret value: environment variables and headers are kept by name,
arguments and URLs are redacted before a model is built.
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime
from typing import Any, Literal, TypedDict


class Severity(enum.StrEnum):
    """Finding severity; ``rank`` orders them so that comparisons mean "at least as bad as"."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {text!r}; expected one of: {names}") from None


_SEVERITY_ORDER: tuple[Severity, ...] = tuple(Severity)


class MessageAction(enum.StrEnum):
    """What a check does with a message, from least to most: let it pass, pass it with an alert,
    pass it with values masked, refuse it. Checks of one message raise it, never lower it."""

    ALLOW = "allow"
    ALERT = "alert"
    REDACT = "redact"
    BLOCK = "block"

    @property
    def rank(self) -> int:
        return _ACTION_ORDER.index(self)

    @classmethod
    def stronger(cls, first: str, second: str) -> MessageAction:
        """The stronger of two actions (names are read as actions: an unknown one raises)."""
        return max(cls(first), cls(second), key=lambda action: action.rank)


_ACTION_ORDER: tuple[MessageAction, ...] = tuple(MessageAction)


class Category(enum.StrEnum):
    """The vocabulary of what a finding is about; stable, used in every output format."""

    UNPINNED_PACKAGE = "unpinned-package"
    PLAINTEXT_SECRET = "plaintext-secret"  # noqa: S105 - a category name
    SHELL_WRAPPER = "shell-wrapper"
    INSECURE_TRANSPORT = "insecure-transport"
    IMPERSONATION = "impersonation"
    KNOWN_VULNERABLE = "known-vulnerable"
    EXCESSIVE_SCOPE = "excessive-scope"
    PARSE_ERROR = "parse-error"
    #: A running or listening MCP server that no configuration on the machine declares.
    SHADOW_SERVER = "shadow-server"
    # vet: judging a package before approval
    PUBLISHER = "publisher"
    PROVENANCE = "provenance"
    NEW_DESTINATION = "new-destination"
    CAPABILITY = "capability"
    OBFUSCATION = "obfuscation"
    INSTALL_SCRIPT = "install-script"
    MALICIOUS_CODE = "malicious-code"
    INJECTABLE_CODE = "injectable-code"
    PACKAGE_CONTENT = "package-content"
    # inspect: what servers tell the model
    TOOL_POISONING = "tool-poisoning"
    SENSITIVE_REFERENCE = "sensitive-reference"
    SHADOWING = "shadowing"
    INVISIBLE_TEXT = "invisible-text"
    DISPROPORTION = "disproportion"
    MALICIOUS_CAPABILITY = "malicious-capability"
    TOOL_CHANGED = "tool-changed"
    #: Instructions for the model in a tool result (untrusted content).
    INJECTED_INSTRUCTION = "injected-instruction"
    # dlp
    PERSONAL_DATA = "personal-data"
    # registry: what runs against what was approved
    REGISTRY = "registry"


class AttackFamily(enum.StrEnum):
    """The family of a tool-poisoning finding, after the public MCP attack taxonomy: what a
    reviewer is told the attack is, and the SARIF rule it is reported under."""

    COMMAND_INJECTION = "command-injection"
    PARAMETER_POISONING = "parameter-poisoning"
    FUNCTION_DEPENDENCY_INJECTION = "function-dependency-injection"
    TOOL_REDIRECTION = "tool-redirection"
    TOOL_SHADOWING = "tool-shadowing"
    PREFERENCE_MANIPULATION = "preference-manipulation"
    FUNCTION_OVERLAPPING = "function-overlapping"
    FUNCTION_RETURN_INJECTION = "function-return-injection"
    FILESYSTEM_POISONING = "filesystem-poisoning"
    NETWORK_REQUEST_POISONING = "network-request-poisoning"
    DATA_EXFILTRATION = "data-exfiltration"
    HIDDEN_INSTRUCTIONS = "hidden-instructions"
    INVISIBLE_TEXT = "invisible-text"
    HARMFUL_CAPABILITY = "harmful-capability"
    DISPROPORTION = "disproportion"
    RUG_PULL = "rug-pull"


class Scope(enum.StrEnum):
    USER = "user"
    PROJECT = "project"
    MANAGED = "managed"


class Transport(enum.StrEnum):
    STDIO = "stdio"
    HTTP = "http"
    SSE = "sse"


class Ecosystem(enum.StrEnum):
    NPM = "npm"
    PYPI = "pypi"
    OCI = "oci"
    GIT = "git"
    LOCAL = "local"
    URL = "url"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PackageRef:
    """What a server runs: a registry package, an image, a local path or a remote endpoint."""

    ecosystem: Ecosystem
    name: str
    #: The version or tag as requested; None when none was given.
    version: str | None = None
    #: True only for an exact version, an image digest or a commit.
    pinned: bool = False
    digest: str | None = None

    @property
    def display(self) -> str:
        if self.ecosystem is Ecosystem.NPM:
            return f"{self.name}@{self.version}" if self.version else self.name
        if self.ecosystem is Ecosystem.PYPI:
            return f"{self.name}=={self.version}" if self.version else self.name
        if self.ecosystem is Ecosystem.OCI:
            text = f"{self.name}:{self.version}" if self.version else self.name
            return f"{text}@{self.digest}" if self.digest else text
        return self.name

    @property
    def spec(self) -> str:
        """The identity as ``vet`` and ``registry request`` take it: ``npm:NAME@VERSION``,
        ``pypi:NAME==VERSION``, ``oci:IMAGE@DIGEST``; a path or URL as itself."""
        if self.ecosystem is Ecosystem.OCI:
            return f"oci:{self.name}@{self.digest}" if self.digest else f"oci:{self.display}"
        if self.ecosystem in (Ecosystem.NPM, Ecosystem.PYPI):
            return f"{self.ecosystem.value}:{self.display}"
        return self.name


ServerSource = Literal["config", "manifest", "process", "skill"]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class RunningProcess:
    """A server found running (``scan --processes``) or answering on a port (``--probe-ports``)."""

    pid: int | None = None
    #: The account the process runs as.
    user: str | None = None
    #: The application that started it: the nearest ancestor that is not a shell or a package
    #: runner (npx, uvx, ...), as its redacted command line.
    parent_pid: int | None = None
    parent: str | None = None
    #: Ids of the configured servers that run the same package or command.
    configured_as: tuple[str, ...] = ()
    #: Addresses it accepts MCP connections on (``127.0.0.1:8000``, ``0.0.0.0:8000``).
    listening: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ServerSpec:
    """One MCP server as a host application has it configured, or as a project declares it."""

    #: Stable identifier: a digest of host, config path, project and name.
    id: str
    #: Host application id, e.g. claude-desktop, vscode, cursor.
    host: str
    name: str
    config_path: str
    scope: Scope
    source: ServerSource = "config"
    transport: Transport | None = None
    command: str | None = None
    args: tuple[str, ...] = ()
    url: str | None = None
    env_names: tuple[str, ...] = ()
    #: Of ``env_names``, those whose value decides what runs (``PATH``, ``NODE_OPTIONS``) and
    #: whose value, read where the entry was found and not kept, was judged harmless.
    env_values_harmless: tuple[str, ...] = ()
    header_names: tuple[str, ...] = ()
    package: PackageRef | None = None
    #: MCP-related packages a project manifest or lock file declares.
    dependencies: tuple[PackageRef, ...] = ()
    #: The project directory, if any.
    project: str | None = None
    #: Account owning the config file.
    owner: str | None = None
    #: Git remote of the project, credentials masked.
    repository: str | None = None
    disabled: bool = False
    #: 1-based line of the entry in its file, if found.
    line: int | None = None
    #: For servers found running or listening: the process, its parent and user.
    process: RunningProcess | None = None
    #: The client plugin or editor extension that brings this server or skill with it.
    plugin: str | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """A judgement about one server (or one config file) with the evidence behind it."""

    #: Stable rule id, e.g. npm-unpinned.
    rule: str
    category: Category
    severity: Severity
    message: str
    remediation: str
    host: str | None = None
    server: str | None = None
    server_id: str | None = None
    config_path: str | None = None
    line: int | None = None
    #: Redacted excerpt that triggered it.
    evidence: str | None = None
    references: tuple[str, ...] = ()
    #: Advisory ids (GHSA, CVE, OSV) when the finding is about one.
    identifiers: tuple[str, ...] = ()
    #: The tool (or prompt, resource) a finding is about, and the field path in it.
    tool: str | None = None
    field: str | None = None
    #: Character offsets in the scanned text, and how sure the detector is (0 to 1).
    start: int | None = None
    end: int | None = None
    confidence: float | None = None
    #: What a policy does about it (alert, redact, block), where a policy decides.
    action: str | None = None
    #: The attack family of a tool-poisoning finding (``inspect``).
    family: AttackFamily | None = None
    #: Where ``config_path`` lies when it is a file of a vetted package (``vet``): the package's
    #: folder on this machine, or its package URL (``pkg:npm/name@1.0.0``) when it was read from
    #: an archive; None: a path of this machine as it is (a config file).
    package_root: str | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ToolSignature:
    """What pins a tool: the sha256 of a canonical JSON of everything the model sees of it."""

    server: str
    #: "tool", "prompt", "resource", "resource-template" or "instructions".
    kind: str
    name: str
    sha256: str


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ScanError:
    """A file that exists but could not be used; the scan carries on without it."""

    path: str
    message: str
    host: str | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """What a command found: the common input of every output format."""

    tool_version: str
    command: str
    generated_at: datetime
    #: What was examined: a home directory, paths, a package.
    subject: str
    servers: tuple[ServerSpec, ...] = ()
    findings: tuple[Finding, ...] = ()
    errors: tuple[ScanError, ...] = ()
    #: A command's overall judgement where it gives one (vet: pass, review, block).
    verdict: str | None = None
    #: What the command read and did, counted, where ``servers`` does not say it (inspect:
    #: ``(("servers", 3), ("items", 39), ("pinned", 39))``): every command says what it did.
    examined: tuple[tuple[str, int], ...] = ()

    def worst_severity(self) -> Severity | None:
        return max((f.severity for f in self.findings), key=lambda s: s.rank, default=None)


#: Field names of each dataclass met, so that a report of thousands of records asks for them once.
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_PLAIN = frozenset({str, int, bool, float, type(None)})


class AuditEntryRef(TypedDict):
    """The registry entry a server was launched under (what its usage counts against)."""

    id: int
    name: str | None
    #: The entry's version, image digest or URL.
    release: str | None


class AuditEventRecord(TypedDict, total=False):
    """What a check raised about a message (a DLP match, a changed tool, a baseline alert)."""

    kind: str
    severity: str
    message: str
    tool: str
    detail: dict[str, Any]


class AuditRecord(TypedDict, total=False):
    """One line of the gateway's audit log: a message forwarded or refused, what the checks
    decided and raised, and the redacted content. The log adds ``seq``, ``prev``, ``hash`` and
    ``mac`` (the chain). Other writers add records of their own stages (``egress`` from the
    sandbox's proxy, ``review`` from a held result's release) with fields of their own."""

    at: str  # ISO 8601, UTC, microseconds
    server: str
    client: str | None
    client_app: str
    #: Who called through ``gateway serve``: an access token's subject (or a static token's
    #: holder), the token's issuer and the client (agent) it was issued to.
    subject: str
    issuer: str
    client_id: str
    #: The caller's groups (on request records).
    groups: list[str]
    #: The identity rule that let the call through (``gateway serve`` with policy rules).
    authorized_by: str
    #: request, response, client-response, server-request, server-notification, ...
    stage: str
    method: str | None
    id: Any
    decision: str  # a MessageAction
    entry: AuditEntryRef
    #: Without an entry: the package the launch line runs (ecosystem, name, version or digest).
    package: dict[str, str]
    tool: str
    reasons: list[str]
    events: list[AuditEventRecord]
    params: Any
    arguments: Any
    #: A 2026-07-28 client's answers to the server's questions, in its retry of the call.
    input_responses: Any
    result: Any
    request_bytes: int
    response_bytes: int
    latency_ms: float
    seq: int
    prev: str
    hash: str
    mac: str


def to_jsonable(value: Any) -> Any:
    """Plain JSON types for a model (enums as their values, tuples as lists, times in ISO 8601)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    names = _FIELD_NAMES.get(kind)
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return {name: to_jsonable(getattr(value, name)) for name in names}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [to_jsonable(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value
