"""Discovered servers against the registry: is what runs what was approved?

The same judgement serves ``mcpward scan --registry`` (findings) and the fleet view (a status
per server on every machine), so a server reads the same in both.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from mcpward.launch import resolve_launch
from mcpward.launch_judge import variables_beyond_package
from mcpward.model import Category, Ecosystem, Finding, ServerSpec, Severity
from mcpward.registry.interface import Entry, Identity, ObservedServer, Status

Key = tuple[str, str]


def identity_key(identity: Identity) -> Key:
    if identity.kind == "package":
        return f"package:{identity.ecosystem}", normalise_package(str(identity.ecosystem), str(identity.name))
    if identity.kind == "oci":
        return "oci", normalise_image(str(identity.name))
    return "remote", normalise_url(str(identity.url))


def observed_key(server: ObservedServer) -> Key | None:
    if server.kind == "package" and server.ecosystem and server.package:
        return f"package:{server.ecosystem}", normalise_package(server.ecosystem, server.package)
    if server.kind == "oci" and server.package:
        return "oci", normalise_image(server.package)
    if server.kind == "remote" and server.package:
        return "remote", normalise_url(server.package)
    return None


def normalise_package(ecosystem: str, name: str) -> str:
    if ecosystem == "pypi":
        return re.sub(r"[-_.]+", "-", name).lower()
    return name.lower()


def normalise_image(name: str) -> str:
    name = name.lower().split("@", 1)[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    for prefix in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return name.removeprefix("library/")


def normalise_url(url: str) -> str:
    """Scheme, host and path: the query may carry a key, and is not what identifies the server.

    A URL the parser refuses (a port out of range, a broken IPv6 host) is kept as it is, behind
    a prefix no parsed URL has, so it matches no approved endpoint: it raised, and one such
    server in one machine's upload failed every fleet read (the page, the API, the report)."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    except ValueError:
        return "unparsable " + url.strip()  # a space: no scheme has one
    return f"{parts.scheme.lower()}://{host}{port}{parts.path.rstrip('/')}"


def observe(spec: ServerSpec) -> ObservedServer:
    """What the registry needs of a scanned server, with no value that could be a secret."""
    package = spec.package
    kind = "local"
    name = version = digest = None
    ecosystem = None
    beyond = _beyond_package(spec)
    if beyond:
        # The package with what nobody reviewed (another package beside it, another index, a
        # command of the line's own): the registry cannot tell what runs.
        return ObservedServer(
            host=spec.host[:64],
            name=spec.name[:255],
            config_path=spec.config_path[:1000],
            kind="local",
            launch=f"{package.display if package else spec.command} with {', '.join(beyond)}"[:2000],
        )
    if package is not None and package.ecosystem in (Ecosystem.NPM, Ecosystem.PYPI):
        kind, ecosystem, name, version, digest = (
            "package",
            package.ecosystem.value,
            package.name,
            package.version,
            package.digest,
        )
    elif package is not None and package.ecosystem is Ecosystem.OCI:
        kind, name, version, digest = "oci", package.name, package.version, package.digest
    elif spec.url:
        kind, name = "remote", normalise_url(spec.url)
    return ObservedServer(
        host=spec.host[:64],
        name=spec.name[:255],
        config_path=spec.config_path[:1000],
        kind=kind,  # type: ignore[arg-type]
        ecosystem=ecosystem,
        package=name,
        version=version,
        digest=digest,
        launch=(package.display if package else spec.command or None),
    )


def _beyond_package(spec: ServerSpec) -> tuple[str, ...]:
    """What of the entry's launch line and environment goes beyond its package (see
    :attr:`mcpward.launch.Launch.beyond_package`), judged by :mod:`mcpward.launch_judge` as the
    gateway judges it; none for a server run by no package. The scan keeps the entry's
    variables by name only: one whose value decides (``NODE_OPTIONS``) is not known harmless."""
    if spec.package is None or spec.package.ecosystem not in (Ecosystem.NPM, Ecosystem.PYPI, Ecosystem.OCI):
        return ()
    launch = resolve_launch(spec.command, spec.args) if spec.command else None
    found = launch.beyond_package if launch is not None and launch.package is not None else ()
    unread = dict.fromkeys(name for name in spec.env_names if name not in spec.env_values_harmless)
    return found + variables_beyond_package(spec.package.ecosystem, spec.package.name, unread)


@dataclass(frozen=True, slots=True)
class Judgement:
    #: approved, unapproved, version-drift, integrity-mismatch, review-expired, revoked.
    status: str
    severity: Severity
    message: str
    entry_id: int | None = None


_APPROVED = Judgement("approved", Severity.INFO, "approved")


class ApprovalIndex:
    """Entries grouped by what they identify, for matching many servers quickly."""

    def __init__(self, entries: Iterable[Entry], today: date) -> None:
        self.today = today
        self.by_key: dict[Key, list[Entry]] = defaultdict(list)
        for entry in entries:
            self.by_key[identity_key(entry.identity)].append(entry)

    def judge(self, server: ObservedServer) -> Judgement:
        key = observed_key(server)
        if key is None:
            return Judgement(
                "unapproved",
                Severity.MEDIUM,
                "a local command: the registry cannot tell what it runs; package it, or register it",
            )
        candidates = self.by_key.get(key, [])
        if not candidates:
            return Judgement("unapproved", Severity.HIGH, "not in the registry")
        exact = [entry for entry in candidates if _same_release(entry.identity, server)]
        # Of two approvals of what runs (a remote's versions share its URL; a package version
        # under two names), the one reviewers made current, not the one it superseded: the
        # older one's write grant let every tool of a new version on probation be called
        # during the grace period until 2026-12-05, and after it the server was refused as drift.
        for entry in sorted(
            exact, key=lambda entry: (_status_order(entry), entry.superseded_on is not None, -entry.id)
        ):
            return self._judge_exact(entry, server)
        approved = sorted(
            {e.identity.release for e in candidates if e.status in (Status.APPROVED, Status.EXPIRED)}
        )
        if approved:
            running = server.version or server.digest or "an unpinned version"
            return Judgement(
                "version-drift",
                Severity.HIGH,
                f"runs {running}; approved: {', '.join(approved)}",
                candidates[0].id,
            )
        statuses = ", ".join(sorted({f"{e.identity.release} {e.status.value}" for e in candidates}))
        return Judgement("unapproved", Severity.HIGH, f"no approved version ({statuses})", candidates[0].id)

    def _judge_exact(self, entry: Entry, server: ObservedServer) -> Judgement:
        if entry.status is Status.REVOKED:
            return Judgement("revoked", Severity.CRITICAL, f"approval revoked (entry {entry.id})", entry.id)
        if entry.status in (Status.REQUESTED, Status.REJECTED):
            severity = Severity.HIGH if entry.status is Status.REJECTED else Severity.MEDIUM
            return Judgement("unapproved", severity, f"entry {entry.id} is {entry.status.value}", entry.id)
        ended = entry.superseded_on is not None and entry.superseded_on <= self.today
        if entry.status is Status.SUPERSEDED or ended:
            # Running a version whose approval a newer one replaced: drift, as for any other.
            approved = sorted(
                {
                    e.identity.release
                    for e in self.by_key.get(identity_key(entry.identity), [])
                    if e.status in (Status.APPROVED, Status.EXPIRED) and e.id != entry.id
                }
            )
            return Judgement(
                "version-drift",
                Severity.HIGH,
                f"runs {entry.identity.release}, superseded by entry {entry.superseded_by} on "
                f"{entry.superseded_on}; approved: {', '.join(approved) or 'none'}",
                entry.id,
            )
        expected = entry.identity.integrity or entry.identity.digest
        if server.digest and expected and _hash_of(server.digest) != _hash_of(expected):
            return Judgement(
                "integrity-mismatch",
                Severity.CRITICAL,
                f"content hash {server.digest[:24]}… differs from the approved {expected[:24]}…",
                entry.id,
            )
        if entry.status is Status.EXPIRED or (entry.review_due and entry.review_due < self.today):
            return Judgement(
                "review-expired", Severity.MEDIUM, f"re-review was due on {entry.review_due}", entry.id
            )
        if entry.superseded_on is not None:
            return Judgement(
                "approved",
                Severity.INFO,
                f"approved (entry {entry.id}) until {entry.superseded_on}: superseded by entry "
                f"{entry.superseded_by}",
                entry.id,
            )
        return Judgement("approved", Severity.INFO, f"approved (entry {entry.id})", entry.id)


def _status_order(entry: Entry) -> int:
    order = [
        Status.REVOKED,
        Status.APPROVED,
        Status.EXPIRED,
        Status.SUPERSEDED,
        Status.REQUESTED,
        Status.REJECTED,
    ]
    return order.index(entry.status)


def _same_release(identity: Identity, server: ObservedServer) -> bool:
    if identity.kind == "remote":
        return True
    if identity.kind == "oci":
        # The approved image, by digest; or the approved tag, whose digest is then compared.
        if server.digest is not None and _hash_of(server.digest) == _hash_of(str(identity.digest)):
            return True
        return server.version is not None and server.version == identity.version and server.digest is not None
    return server.version is not None and server.version == identity.version


def _hash_of(value: str) -> str:
    """The comparable part of a digest: algorithm and value, case-folded."""
    return value.strip().lower()


_REMEDIATION = {
    "unapproved": "Request a review (`mcpward registry request`) or remove the server.",
    "version-drift": "Pin the approved version, or request a review of this one.",
    "integrity-mismatch": "Do not run it: the package differs from what was reviewed. Reinstall from "
    "the registry and investigate.",
    "review-expired": "Ask the owner to have the entry re-reviewed.",
    "revoked": "Remove the server: its approval was withdrawn.",
}


def _dependency_findings(spec: ServerSpec, index: ApprovalIndex) -> list[Finding]:
    """A project that installs registry-known server packages from its lock file: each must be
    the approved version with the approved integrity. Dependencies the registry does not know
    (SDKs, libraries) are not its business."""
    found = []
    for package in spec.dependencies:
        if package.ecosystem not in (Ecosystem.NPM, Ecosystem.PYPI):
            continue
        observed = ObservedServer(
            host=spec.host, name=package.name, kind="package", ecosystem=package.ecosystem.value,
            package=package.name, version=package.version, digest=package.digest,
        )  # fmt: skip
        key = observed_key(observed)
        if key is None or key not in index.by_key:
            continue
        judgement = index.judge(observed)
        if judgement.status == "approved":
            continue
        found.append(_finding(spec, judgement, f"{spec.name} installs {package.display}"))
    return found


def registry_findings(servers: Sequence[ServerSpec], index: ApprovalIndex) -> list[Finding]:
    findings = []
    for spec in servers:
        if spec.disabled or spec.source == "skill":
            continue  # a skill is no server: the registry approves servers
        if spec.source == "manifest":
            findings += _dependency_findings(spec, index)
            continue
        judgement = index.judge(observe(spec))
        if judgement.status == "approved":
            continue
        findings.append(_finding(spec, judgement, spec.name))
    return findings


def _finding(spec: ServerSpec, judgement: Judgement, subject: str) -> Finding:
    return Finding(
        rule=judgement.status,
        category=Category.REGISTRY,
        severity=judgement.severity,
        message=f"{subject}: {judgement.message}.",
        remediation=_REMEDIATION[judgement.status],
        host=spec.host,
        server=spec.name,
        server_id=spec.id,
        config_path=spec.config_path,
        line=spec.line,
    )
