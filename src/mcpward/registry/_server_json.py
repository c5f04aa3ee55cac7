"""The official MCP registry's ``server.json``: read into a registry request, written from an
entry. Validation follows the newest released schema (2025-12-11; documents of 2025-09-29 and
2025-10-17 read the same): the name is reverse-DNS with one slash, the description at most 100
characters, versions exact (a package's version is optional since 2025-10-11, as OCI and MCPB
packages carry it in their identifier, but npm and PyPI packages still need one), remotes may
declare URL template ``variables`` (2025-12-11), packages without unknown fields.
Unknown top-level fields are refused too (extensions belong under ``_meta``), and input values
marked secret are dropped on import: a registry never stores a secret value.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mcpward._regex import compiled
from mcpward._settings import validation_problems
from mcpward.registry._checks import masked
from mcpward.registry.interface import (
    MAX_SERVER_JSON_DEPTH,
    DataScope,
    Entry,
    EntryRequest,
    Identity,
    InvalidInput,
    is_exact_version,
    nesting_depth,
)

#: A link a client shows from a published document (its gallery's website and repository links,
#: its icons) is a web address: ``javascript:`` or ``data:`` there runs the requester's script in
#: the client's page. An icon is fetched with no click, so only over HTTPS, as the schema asks.
#: No user name before the host: ``https://github.com@evil.example/`` reads as GitHub.
_WEB_LINK = compiled(r"https?://[^\s/@\\]+(?:[/?#]|$)", re.IGNORECASE)
_ICON_LINK = compiled(r"https://[^\s/@\\]+(?:[/?#]|$)", re.IGNORECASE)

SCHEMA_URL = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
#: The official registry's namespace in ``_meta``: in a server document, only the publisher's own
#: metadata is there; what the registry says of the server (status, latest) is its answer's.
_REGISTRY_NAMESPACE = "io.modelcontextprotocol.registry/"
_PUBLISHER_PROVIDED = _REGISTRY_NAMESPACE + "publisher-provided"
#: Our extension, under ``_meta``: what the registry knows beyond the official fields.
META_KEY = "io.mcpward/registry"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class _Open(BaseModel):
    # Inputs and arguments carry many optional keys in the schema (choices, variables, ...).
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class KeyValueInput(_Open):
    name: str = Field(min_length=1, max_length=200)
    isSecret: bool = False
    value: str | None = None
    default: str | None = None


class Repository(_Strict):
    url: str = Field(max_length=500, pattern=r"^https?://")
    source: str = Field(max_length=100)
    id: str | None = None
    subfolder: str | None = None


class Transport(_Strict):
    type: Literal["stdio", "streamable-http", "sse"]
    url: str | None = Field(default=None, max_length=2000)
    headers: list[KeyValueInput] = Field(default_factory=list, max_length=100)
    #: URL template variables of a remote (``https://{tenant}.example.com/mcp``), 2025-12-11.
    variables: dict[str, dict[str, Any]] | None = Field(default=None, max_length=50)


class Package(_Strict):
    registryType: str = Field(min_length=1, max_length=32)
    registryBaseUrl: str | None = None
    identifier: str = Field(min_length=1, max_length=500)
    version: str | None = Field(default=None, min_length=1, max_length=255)
    fileSha256: str | None = Field(default=None, pattern=r"^[a-f0-9]{64}$")
    runtimeHint: str | None = None
    transport: Transport
    runtimeArguments: list[dict[str, Any]] = Field(default_factory=list, max_length=200)
    packageArguments: list[dict[str, Any]] = Field(default_factory=list, max_length=200)
    environmentVariables: list[KeyValueInput] = Field(default_factory=list, max_length=200)

    @field_validator("version")
    @classmethod
    def _exact(cls, version: str | None) -> str | None:
        return None if version is None else _exact(version, "package version")


class ServerJson(_Strict):
    schema_: str | None = Field(default=None, alias="$schema")
    name: str = Field(min_length=3, max_length=200, pattern=r"^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$")
    description: str = Field(min_length=1, max_length=100)
    title: str | None = Field(default=None, max_length=100)
    version: str = Field(min_length=1, max_length=255)
    repository: Repository | None = None
    websiteUrl: str | None = None
    icons: list[dict[str, Any]] = Field(default_factory=list, max_length=20)
    packages: list[Package] = Field(default_factory=list, max_length=20)
    remotes: list[Transport] = Field(default_factory=list, max_length=20)
    meta: dict[str, Any] = Field(default_factory=dict, alias="_meta")

    @field_validator("version")
    @classmethod
    def _exact(cls, version: str) -> str:
        return _exact(version, "version")


def _exact(version: str, what: str) -> str:
    if not is_exact_version(version):
        raise ValueError(f"{what} must be a specific version, not a range or tag")
    return version


def parse(document: Any) -> ServerJson:
    """A validated ``server.json``, or :class:`InvalidInput` naming every problem."""
    if not isinstance(document, dict):
        raise InvalidInput("server.json must be a JSON object")
    if nesting_depth(document) > MAX_SERVER_JSON_DEPTH:
        # Read first: the model holds it, and then fails to write it out (a 500 on import).
        raise InvalidInput(f"a server.json is nested at most {MAX_SERVER_JSON_DEPTH} levels deep")
    try:
        return ServerJson.model_validate(document)
    except ValidationError as exc:
        raise InvalidInput(f"not a valid server.json: {validation_problems(exc, 'document', 10)}") from None


def to_request(server: ServerJson, *, owner: str | None = None) -> EntryRequest:
    """A registry request for the server a ``server.json`` describes (its first package or remote)."""
    raw = server.meta.get(META_KEY)
    ours: dict[str, Any] = raw if isinstance(raw, dict) else {}
    owner = owner or (ours.get("owner") if isinstance(ours.get("owner"), str) else None)
    if not owner:
        raise InvalidInput(f"{server.name}: an owner is needed (give --owner, or _meta.{META_KEY}.owner)")
    identity = _identity(server)
    secrets = [v.name for p in server.packages for v in p.environmentVariables if v.isSecret]
    secrets += [
        h.name
        for t in [*server.remotes, *(p.transport for p in server.packages)]
        for h in t.headers
        if h.isSecret
    ]
    scope_data = ours.get("scope") if isinstance(ours.get("scope"), dict) else {}
    try:
        scope = DataScope.model_validate(scope_data)
    except ValidationError as exc:
        raise InvalidInput(f"_meta.{META_KEY}.scope: {exc.errors()[0]['msg']}") from None
    network = [t.url.split("/")[2] for t in server.remotes if t.url and t.url.count("/") >= 2]
    scope = scope.model_copy(
        update={
            "credentials": tuple(dict.fromkeys([*scope.credentials, *secrets])),
            "network": tuple(dict.fromkeys([*scope.network, *network])),
        }
    )
    try:
        return EntryRequest(
            name=server.name,
            title=server.title,
            description=server.description,
            identity=identity,
            repository=server.repository.url if server.repository else None,
            scope=scope,
            owner=owner,
            server_json=_without_secret_values(server),
        )
    except ValidationError as exc:
        raise InvalidInput(f"{server.name}: {exc.errors()[0]['msg']}") from None


def _identity(server: ServerJson) -> Identity:
    try:
        for package in server.packages:
            kind = package.registryType.lower()
            if kind in ("npm", "pypi"):
                if package.version is None:
                    raise InvalidInput(
                        f"{server.name}: the {kind} package {package.identifier} names no version"
                    )
                integrity = f"sha256:{package.fileSha256}" if package.fileSha256 else None
                return Identity(
                    kind="package",
                    ecosystem=kind,
                    name=package.identifier,
                    version=package.version,
                    integrity=integrity,
                )
            if kind == "oci":
                image, _, digest = package.identifier.partition("@")
                if not digest:
                    raise InvalidInput(
                        f"{server.name}: the OCI package {package.identifier} names no digest; "
                        "an approval pins an image by digest (identifier@sha256:…)"
                    )
                return Identity(kind="oci", name=image, version=package.version, digest=digest)
        for remote in server.remotes:
            return Identity(kind="remote", url=remote.url, version=server.version)
    except ValidationError as exc:
        raise InvalidInput(f"{server.name}: {exc.errors()[0]['msg']}") from None
    kinds = ", ".join(p.registryType for p in server.packages) or "none"
    raise InvalidInput(f"{server.name}: no npm, pypi or oci package and no remote (packages: {kinds})")


def _without_secret_values(server: ServerJson) -> dict[str, Any]:
    document = server.model_dump(mode="json", by_alias=True, exclude_none=True)
    for transport in [*document.get("remotes", []), *(p["transport"] for p in document.get("packages", []))]:
        for header in transport.get("headers", []):
            _drop_values(header)
    for package in document.get("packages", []):
        for variable in package.get("environmentVariables", []):
            _drop_values(variable)
    return document


def _drop_values(item: dict[str, Any]) -> None:
    if item.get("isSecret"):
        item.pop("value", None)
        item.pop("default", None)


def _only_the_identity(document: dict[str, Any], identity: Identity) -> None:
    """What a client installs from ``document`` is the identity reviewers judged, and nothing
    else: a requester's server.json (sent as it liked over the API, or imported with several
    packages and remotes, the identity taken from the first) named a backdoor, a second package
    or remote beside it, or the judged name on another package registry (``registryBaseUrl``),
    and clients installed that once the entry was approved. The judged package's or remote's
    own settings (arguments, variables, headers) stay."""
    if identity.kind == "remote":
        document.pop("packages", None)
        same = [
            r for r in _listed(document, "remotes") if isinstance(r, dict) and r.get("url") == identity.url
        ]
        document["remotes"] = same[:1] or [{"type": "streamable-http", "url": identity.url}]
        return
    document.pop("remotes", None)
    kind = identity.ecosystem if identity.kind == "package" else "oci"
    identifier = identity.name if identity.kind == "package" else f"{identity.name}@{identity.digest}"
    same = [
        p
        for p in _listed(document, "packages")
        if isinstance(p, dict)
        and str(p.get("registryType", "")).lower() == kind
        and p.get("identifier") == identifier
    ]
    package: dict[str, Any] = dict(same[0]) if same else {"transport": {"type": "stdio"}}
    # Vet fetched the identity from the ecosystem's own registry, by its hash if recorded.
    package.pop("registryBaseUrl", None)
    package.pop("fileSha256", None)
    package |= {
        "registryType": kind,
        "identifier": identifier,
        "version": identity.version or identity.release,
    }
    if identity.integrity and identity.integrity.startswith("sha256:"):
        package["fileSha256"] = identity.integrity[7:]
    document["packages"] = [package]


def _listed(document: dict[str, Any], key: str) -> list[Any]:
    # A server.json sent over POST /api/entries is stored unparsed: "packages" may be anything.
    items = document.get(key)
    return items if isinstance(items, list) else []


def export(entry: Entry) -> dict[str, Any]:
    """The entry as a ``server.json``, our registry's facts under ``_meta``."""
    document: dict[str, Any] = dict(entry.server_json or {})
    document["$schema"] = SCHEMA_URL
    document["name"] = entry.name
    document["description"] = (entry.description or entry.title or entry.name)[:100]
    if entry.title:
        document["title"] = entry.title[:100]
    identity = entry.identity
    document["version"] = identity.version or identity.release
    published = document.get("repository")
    repository = entry.repository if entry.repository and _WEB_LINK.match(entry.repository) else None
    if not (isinstance(published, dict) and published.get("url") == repository):
        # The repository reviewers saw (and vet verified), never another the document names.
        document.pop("repository", None)
    if not (isinstance(document.get("websiteUrl"), str) and _WEB_LINK.match(document["websiteUrl"])):
        document.pop("websiteUrl", None)
    if "icons" in document:
        document["icons"] = [
            icon
            for icon in _listed(document, "icons")
            if isinstance(icon, dict) and isinstance(icon.get("src"), str) and _ICON_LINK.match(icon["src"])
        ]
    if repository and "repository" not in document:
        source = repository.split("/")[2].split(".")[0]
        document["repository"] = {"url": repository, "source": source}
    _only_the_identity(document, identity)
    published_meta = document.get("_meta")
    meta = dict(published_meta) if isinstance(published_meta, dict) else {}
    for key in list(meta):
        if key.startswith(_REGISTRY_NAMESPACE) and key != _PUBLISHER_PROVIDED:
            # What the registry says of a server is in the answer's own ``_meta``: a requester's
            # ``official`` here ("active", "isLatest") was published as if the registry's.
            del meta[key]
    meta[META_KEY] = {
        "id": entry.id,
        "status": entry.status.value,
        "owner": entry.owner,
        "tier": entry.tier,
        "scope": entry.scope.model_dump(mode="json"),
        "identity": identity.model_dump(mode="json", exclude_none=True),
        "reviewDue": entry.review_due.isoformat() if entry.review_due else None,
        "pins": {key: pin.get("sha256") for key, pin in entry.pins.items()},
    }
    if entry.on_probation:
        # Only the confirmed read-only tools may be called yet: a client reading this as its
        # gallery was told "approved" and nothing more until 2026-12-05.
        meta[META_KEY]["probation"] = {
            "until": entry.probation_until.isoformat() if entry.probation_until else None,
            "readOnlyTools": list(entry.read_only_tools),
        }
    document["_meta"] = meta
    # What was stored before secrets were refused, or written around the service, is still
    # never published.
    return masked(document)
