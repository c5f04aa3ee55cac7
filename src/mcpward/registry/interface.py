"""The registry's vocabulary: what an entry is, who may do what, and what can go wrong.

These are pydantic models (frozen, unknown fields refused) because they are also the bodies and
answers of the registry's JSON API: one definition serves the service, the CLI and the OpenAPI
description.
"""

from __future__ import annotations

import base64
import enum
import json
import math
import re
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mcpward._regex import compiled
from mcpward.errors import McpwardError
from mcpward.model import Ecosystem, PackageRef


class Status(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    REVOKED = "revoked"
    EXPIRED = "expired"
    #: Another version of the same package, image or endpoint was approved, and this one's
    #: grace period has ended.
    SUPERSEDED = "superseded"


class Role(enum.StrEnum):
    """Roles in increasing power; each may do everything the ones before it may, but for
    ``reporter``, which sends fleet reports and nothing else (a requester may send them too)."""

    #: The fleet agent's: its token sits on every machine of the fleet, readable by whoever is
    #: root there; as a requester's it also read every machine's and home's inventory.
    REPORTER = "reporter"
    VIEWER = "viewer"
    REQUESTER = "requester"
    REVIEWER = "reviewer"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        if needed is Role.REPORTER:
            return self is Role.REPORTER or self.allows(Role.REQUESTER)
        if self is Role.REPORTER:
            return False
        order = list(Role)
        return order.index(self) >= order.index(needed)


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REVOKE = "revoke"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# Version ranges and moving tags are what a registry entry exists to rule out.
_NOT_EXACT = compiled(r"^(latest|next|\*|x)$|[\^~<>=*|]|\s|(^|\.)[x*](\.|$)", re.IGNORECASE)


#: The largest ``server.json`` an entry keeps, as JSON text.
MAX_SERVER_JSON = 64 * 1024
#: How deeply a ``server.json`` may nest (a published one nests 5 or 6 levels): 300 levels were
#: stored and then failed every answer listing the entry (the serializer stops at a depth), and
#: a few hundred more failed the request itself, a 500 either way, until 2026-12-05.
MAX_SERVER_JSON_DEPTH = 32
#: The largest id, revision or offset the database's integer columns hold.
MAX_INT = 2_147_483_647

# Control characters (C0, DEL, C1) and bidirectional overrides: printed raw, they move a
# terminal's cursor, retitle its window or reorder what a reviewer reads.
_CONTROL = compiled(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_BUT_LINES = compiled(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def no_control_characters(value: str | None, *, lines: bool = False) -> str | None:
    """``value``, unless it holds a control character (newlines and tabs allowed with ``lines``)."""
    if value is not None and (_CONTROL_BUT_LINES if lines else _CONTROL).search(value):
        raise ValueError("control characters are not allowed")
    return value


#: Digest lengths in bytes, for the integrity hashes registries give (npm SRI ``sha512-<base64>``,
#: its ``shasum`` as ``sha1:<hex>``, PyPI's and server.json's ``sha256:<hex>``).
_DIGEST_BYTES = {"sha1": 20, "sha256": 32, "sha384": 48, "sha512": 64}


def is_integrity(value: str) -> bool:
    """An integrity hash in a form mcpward records: ``ALG-<base64>`` (SRI; several separated by
    spaces) or ``ALG:<hex>``, of the algorithm's exact length."""
    algorithm, colon, digest = value.partition(":")
    if colon:
        size = _DIGEST_BYTES.get(algorithm)
        return size is not None and re.fullmatch(f"[0-9a-fA-F]{{{2 * size}}}", digest) is not None
    tokens = value.split(" ")
    return 0 < len(tokens) <= 4 and all(_is_sri(token) for token in tokens)


def _is_sri(token: str) -> bool:
    algorithm, dash, digest = token.partition("-")
    size = _DIGEST_BYTES.get(algorithm)
    if not dash or size is None or not re.fullmatch(r"[A-Za-z0-9+/]+={0,2}", digest):
        return False
    try:
        return len(base64.b64decode(digest, validate=True)) == size
    except ValueError:
        return False


def _encodable(node: Any) -> bool:
    """Every string in ``node`` (keys too) is valid Unicode text (no lone surrogate)."""
    if isinstance(node, str):
        try:
            node.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(node, dict):
        return all(_encodable(key) and _encodable(value) for key, value in node.items())
    if isinstance(node, list | tuple):
        return all(_encodable(item) for item in node)
    return True


def nesting_depth(node: Any) -> int:
    """How deeply ``node`` nests objects and arrays, found without recursion (the reason to ask)."""
    deepest, pending = 0, [(node, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict | list | tuple):
            deepest = max(deepest, level)
            pending += [(child, level + 1) for child in (item.values() if isinstance(item, dict) else item)]
    return deepest


def _finite(node: Any) -> bool:
    """Every number in ``node`` is one JSON can hold: Python's JSON reader takes ``NaN``,
    ``Infinity`` and ``1e999`` (read as infinity), which PostgreSQL refuses to store and which
    no strict JSON answer can carry."""
    if isinstance(node, float):
        return math.isfinite(node)
    if isinstance(node, dict):
        return all(_finite(value) for value in node.values())
    if isinstance(node, list | tuple):
        return all(_finite(item) for item in node)
    return True


def is_exact_version(version: str) -> bool:
    """Not a range (``^1.2``, ``>=1``, ``1.x``) or a moving tag (``latest``, ``next``)."""
    return not _NOT_EXACT.search(version)


class Identity(_Frozen):
    """What exactly is approved: a package version, an image digest, or a remote endpoint."""

    kind: Literal["package", "oci", "remote"]
    #: npm or pypi for a package.
    ecosystem: str | None = None
    #: Package name, or image repository (``ghcr.io/org/server``) for oci.
    name: str | None = None
    version: str | None = None
    #: The registry's integrity hash of the archive (npm ``sha512-…``, PyPI ``sha256:…``).
    integrity: str | None = None
    #: ``sha256:…`` manifest digest of an image.
    digest: str | None = None
    url: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> Identity:
        if self.kind == "package":
            if self.ecosystem not in {"npm", "pypi"} or not self.name or not self.version:
                raise ValueError(
                    "a package identity needs ecosystem (npm or pypi), name and an exact version"
                )
            if not is_exact_version(self.version):
                raise ValueError("the version is not an exact version (a range or a moving tag)")
        elif self.kind == "oci":
            if not self.name or not self.digest or not re.fullmatch(r"sha256:[0-9a-f]{64}", self.digest):
                raise ValueError("an image identity needs the image name and its sha256:… digest")
        elif not self.url or not re.match(r"^https?://[^\s/]+", self.url):
            raise ValueError("a remote identity needs an http(s) URL")
        for text in (self.ecosystem, self.name, self.version, self.integrity, self.digest, self.url):
            no_control_characters(text)
        return self

    @property
    def ref(self) -> PackageRef | None:
        """The package or image as the rest of mcpward names one (None for a remote server)."""
        if self.kind == "package":
            return PackageRef(
                ecosystem=Ecosystem(str(self.ecosystem)),
                name=str(self.name),
                version=self.version,
                pinned=True,
            )
        if self.kind == "oci":
            return PackageRef(ecosystem=Ecosystem.OCI, name=str(self.name), digest=self.digest, pinned=True)
        return None

    @property
    def display(self) -> str:
        ref = self.ref
        if ref is None:
            return str(self.url)
        return ref.spec if self.kind == "package" else ref.display

    @property
    def release(self) -> str:
        """The version this identity pins, as the registry lists versions."""
        if self.kind == "package":
            return str(self.version)
        if self.kind == "oci":
            return self.version or str(self.digest)[7:19]
        return self.version or "remote"


class DataScope(_Frozen):
    """What the server touches, as the requester documents it and the review confirms it."""

    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    #: Names of the credentials it needs (environment variables, OAuth scopes), never values.
    credentials: tuple[str, ...] = ()
    #: Hosts it talks to.
    network: tuple[str, ...] = ()
    shell: bool = False
    credential_access: bool = False
    production_write: bool = False

    @field_validator("credentials")
    @classmethod
    def _names_only(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        for name in names:
            if "=" in name or len(name) > 200:
                raise ValueError("credentials are listed by name (an environment variable or a scope)")
        return names

    @field_validator("reads", "writes", "credentials", "network")
    @classmethod
    def _printable(cls, items: tuple[str, ...]) -> tuple[str, ...]:
        for item in items:
            no_control_characters(item)
        return items


class Review(_Frozen):
    reviewer: str
    decision: Decision
    rationale: str
    at: datetime
    #: True when a reviewer approved despite a policy that would have refused.
    override: bool = False
    #: An approval's read-only choice: the tools the approver confirmed as read-only for the
    #: probation (empty: none); None when they made none (inspect's suggestion) or for another
    #: decision. A Tier-0 entry's probation takes what every approver of the round who chose
    #: confirmed.
    read_only_tools: tuple[str, ...] | None = None


class VetOutcome(_Frozen):
    """What ``vet`` said about the package, as the review saw it."""

    verdict: Literal["pass", "review", "block"]
    findings: tuple[dict[str, Any], ...] = ()
    repository: str | None = None
    #: True when provenance links the archive to the repository.
    repository_verified: bool = False
    integrity: str | None = None
    #: What the code can do, as vet's static analysis found: process-spawn, network, ...
    capabilities: tuple[str, ...] = ()

    @field_validator("findings")
    @classmethod
    def _shallow(cls, findings: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
        # A requester's claim is free-form: one nested 300 levels could not be written out to
        # be checked for secrets, a 500 until 2026-12-05.
        if nesting_depth(findings) > MAX_SERVER_JSON_DEPTH:
            raise ValueError(f"vet findings are nested at most {MAX_SERVER_JSON_DEPTH} levels deep")
        return findings


#: What a version is to the approved versions of the same package, image or endpoint: the first
#: one, a newer one, an older one, or one whose order cannot be told (an image by digest).
Change = Literal["new", "update", "downgrade", "replacement"]


class OtherVersion(_Frozen):
    """Another approved (or expired) entry of the same package, image or endpoint."""

    id: int
    release: str
    status: Status
    #: The day its approval ends because a newer approval superseded it, if one did.
    superseded_on: date | None = None


class Entry(_Frozen):
    id: int
    name: str
    title: str | None = None
    description: str | None = None
    identity: Identity
    repository: str | None = None
    repository_verified: bool = False
    scope: DataScope
    owner: str
    #: 0 is the most sensitive. ``tier`` is never above ``derived_tier``.
    tier: int
    derived_tier: int
    tier_reasons: tuple[str, ...] = ()
    #: Tool signature pins, ``kind:name`` -> {sha256, canonical}, as ``inspect`` keeps them.
    pins: dict[str, dict[str, str]] = Field(default_factory=dict)
    #: mcpward's own vetting of the package; None when mcpward did not vet it.
    vet: VetOutcome | None = None
    #: What the requester said vet found, when they sent a verdict over the API: their claim,
    #: shown as such, never used for the tier or the approval policy.
    vet_claim: VetOutcome | None = None
    inspect_findings: tuple[dict[str, Any], ...] = ()
    status: Status
    #: Increases with every change; a decision names the revision it was made on.
    revision: int
    requested_by: str
    requested_at: datetime
    #: The last change to the entry (a decision, a grant, a supersession, an expiry).
    updated_at: datetime | None = None
    review_due: date | None = None
    reviews: tuple[Review, ...] = ()
    server_json: dict[str, Any] | None = None
    #: Approvals given in the current review round, and how many the tier needs.
    approvals: int = 0
    approvals_needed: int = 1
    #: Advisories (OSV) known for this exact version when it was requested or last decided on,
    #: malicious first: {id, severity, summary, malicious, fixed}. Found by mcpward, never taken
    #: from the requester.
    advisories: tuple[dict[str, Any], ...] = ()
    #: The most severe inspect finding, {severity, rule, message}; None when there is none.
    worst_inspect: dict[str, Any] | None = None
    #: What this version is to the other approved versions of the same identity (below).
    change: Change = "new"
    approved_versions: tuple[OtherVersion, ...] = ()
    #: Set when another version of the same identity was approved: that entry, and the day this
    #: one stops being approved (the end of the grace period).
    superseded_by: int | None = None
    superseded_on: date | None = None
    #: Probation: from an approval until write is granted, only the tools a reviewer confirmed
    #: as read-only may be called; ``probation_until`` is the end of the read-only period.
    read_only_tools: tuple[str, ...] = ()
    probation_until: date | None = None
    #: Who granted write (a reviewer, or ``mcpward`` after a quiet period); None while on
    #: probation.
    write_granted_by: str | None = None

    @property
    def on_probation(self) -> bool:
        return (
            self.status is Status.APPROVED and self.probation_until is not None and not self.write_granted_by
        )

    def may_call(self, tool: str) -> bool:
        """Whether the tool may be called now: any tool, or on probation a read-only one."""
        return not self.on_probation or tool in self.read_only_tools


def _identity_lengths(identity: Identity) -> tuple[tuple[str, str | None, int], ...]:
    """Each field of a requested identity, and the most characters it may have: a URL no
    client's file holds past 2,000; a name and a version as the registry's columns hold them."""
    return (
        ("url", identity.url, 2000),
        ("name", identity.name, 500),
        ("version", identity.version, 255),
        ("integrity", identity.integrity, 200),
    )


class EntryRequest(_Frozen):
    """What a requester submits; the service adds the tier, status and dates."""

    name: str = Field(min_length=3, max_length=200, pattern=r"^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$")
    title: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    identity: Identity
    repository: str | None = Field(default=None, max_length=500)
    scope: DataScope = DataScope()
    owner: str = Field(min_length=1, max_length=200)
    #: A tier asked for by hand: it can only be more sensitive than the derived one.
    tier: int | None = Field(default=None, ge=0, le=2)
    pins: dict[str, dict[str, str]] = Field(default_factory=dict)
    vet: VetOutcome | None = None
    inspect_findings: tuple[dict[str, Any], ...] = ()
    #: The official registry's ``server.json`` this entry was imported from, if any.
    server_json: dict[str, Any] | None = None

    @field_validator("title", "owner", "repository")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        return no_control_characters(value)

    @field_validator("server_json")
    @classmethod
    def _bounded(cls, document: dict[str, Any] | None) -> dict[str, Any] | None:
        # Every string of it is checked for secrets before it is stored, at a few microseconds
        # a character: a published server.json is a few kilobytes.
        if document is not None and nesting_depth(document) > MAX_SERVER_JSON_DEPTH:
            raise ValueError(f"a server.json is nested at most {MAX_SERVER_JSON_DEPTH} levels deep")
        if document is not None and len(json.dumps(document)) > MAX_SERVER_JSON:
            raise ValueError(f"a server.json is at most {MAX_SERVER_JSON // 1024} KiB")
        return document

    @field_validator("description")
    @classmethod
    def _lines(cls, value: str | None) -> str | None:
        return no_control_characters(value, lines=True)

    @model_validator(mode="after")
    def _storable(self) -> EntryRequest:
        # JSON may spell a lone UTF-16 surrogate ("\udfff"), which no database can store as
        # UTF-8: refused here as bad input, not left to fail in the driver.
        if not _encodable(self.model_dump(mode="python")):
            raise ValueError("a string holds a lone UTF-16 surrogate, which is not text")
        if not _finite(self.model_dump(mode="python")):
            raise ValueError("a number is NaN or infinite, which JSON cannot hold")
        for field, value, most in _identity_lengths(self.identity):
            # What a reader of decisions gets of a rejected request is its identity: one as
            # long as the body limit allowed, rejected by the reviewers with the rest of a
            # flood, took the registry's readers past their bounds.
            if value is not None and len(value) > most:
                raise ValueError(f"identity.{field} is longer than {most:,} characters")
        if self.identity.url is not None and "@" in urlsplit(self.identity.url).netloc:
            # Checked on a request, not on every stored entry read: what is before "@" is a user
            # name, so "https://mcp.acme.example@evil.example/mcp" reads as acme's and is evil's.
            raise ValueError(
                "a remote's URL names no user or password (https://a.example@b.example is b.example)"
            )
        if self.identity.integrity is not None and not is_integrity(self.identity.integrity):
            raise ValueError(
                "identity.integrity is not a registry's integrity hash: sha512-<base64> (npm), "
                "sha256:<hex> (PyPI) or sha1:<hex>"
            )
        return self


class AuditEvent(_Frozen):
    seq: int
    at: datetime
    actor: str
    action: str
    entry_id: int | None
    detail: dict[str, Any]
    hash: str


class Principal(_Frozen):
    """Who is acting: a token's holder and role."""

    name: str
    role: Role
    #: The id of the API token row it authenticated with (never shown): changes made with it
    #: bind that row to the audit trail.
    token_id: int | None = Field(default=None, exclude=True)
    #: A browser session signed in through single sign-on: when the identity provider last said
    #: which groups (so which role) the person has; None for an API token's holder, whose role
    #: the registry itself holds and revokes.
    role_read_at: datetime | None = Field(default=None, exclude=True)


class RegistryError(McpwardError):
    """Base of the registry's errors; the message is meant for the user."""


class RegistryUnavailable(RegistryError):
    """The registry could not take a report now (not reachable, a server error, a refused
    token): worth sending again later, unlike a report it refused as malformed."""


class NotFound(RegistryError):
    pass


class Conflict(RegistryError):
    """The entry changed since the caller read it, or it already exists."""


class PolicyRefusal(RegistryError):
    """What was asked is forbidden by the approval policy (and no recorded override allows it)."""


class Forbidden(RegistryError):
    """The caller's role does not allow this."""


class InvalidInput(RegistryError):
    pass


class ObservedServer(_Frozen):
    """A server as a machine has it configured, reduced to what the registry matches on. No
    argument, header or environment value is kept: only the launch program and the package."""

    host: str = Field(max_length=64)
    name: str = Field(max_length=255)
    config_path: str = Field(default="", max_length=1000)
    kind: Literal["package", "oci", "remote", "local"]
    ecosystem: str | None = Field(default=None, max_length=16)
    package: str | None = Field(default=None, max_length=500)
    version: str | None = Field(default=None, max_length=255)
    #: An image digest or a lock file's integrity hash, when the config or lock names one.
    digest: str | None = Field(default=None, max_length=200)
    launch: str | None = Field(default=None, max_length=2000)

    @field_validator("host", "name", "config_path", "ecosystem", "package", "version", "digest", "launch")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        # PostgreSQL holds no NUL in text: a config naming a server "a\u0000" made its machine's
        # report a 500, which the agent takes for an outage, spooling that report and every
        # later one, run after run. Other controls are stored and shown escaped.
        if value is not None and "\x00" in value:
            raise ValueError("a NUL character is not allowed")
        return value


class InventoryUpload(_Frozen):
    """What ``mcpward scan --report-to`` sends for one machine and home; it replaces the report
    of that same (machine, home) and no other."""

    machine_id: str = Field(min_length=1, max_length=128)
    hostname: str = Field(min_length=1, max_length=255)
    os: str | None = Field(default=None, max_length=32)
    #: The home folder the scan read (absolute); None from older clients.
    home: str | None = Field(default=None, min_length=1, max_length=500)
    servers: tuple[ObservedServer, ...] = Field(default=(), max_length=5000)

    @field_validator("machine_id", "hostname", "os", "home")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        return no_control_characters(value)
