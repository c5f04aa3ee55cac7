"""From the registry's entries to the policy the clients' files are made from.

An entry is allowed while its approval holds (approved, not past its re-review date, not past
the end of a supersede grace period); rejected and revoked entries are denied, unless the very
same launch line or URL is allowed through another entry (a remote endpoint approved again).
Requested, expired and superseded entries are neither: a client whose allowlist names only the
allowed servers refuses them anyway.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from pydantic import ValidationError

from mcpward._regex import compiled
from mcpward.enforce.interface import (
    Decision,
    EnforceError,
    Policy,
    PolicyServer,
    gallery_url_refusal,
    token_url_refusal,
    userinfo_refusal,
)
from mcpward.registry import Entry, Identity, Status, client_key


@dataclass(frozen=True, slots=True)
class GatewayRoute:
    """How a client starts the gateway in front of a stdio server on the managed machines."""

    #: The gateway's program as the machines have it (``mcpward``, or an absolute path).
    command: tuple[str, ...] = ("mcpward",)
    #: The gateway config on the machines, if not the default.
    config: str | None = None
    #: ``gateway serve``'s base URL: remote servers are reached through it
    #: (``BASE/servers/KEY/mcp``) instead of directly.
    serve_url: str | None = None

    def launch(self, key: str, direct: Sequence[str]) -> tuple[str, ...]:
        config = ("--config", self.config) if self.config else ()
        return (*self.command, "gateway", "run", *config, "--server", key, "--", *direct)


#: npm's package names (legacy ones may hold capitals), with an optional ``@scope/``.
_NPM_NAME = compiled(r"(@[A-Za-z0-9~][\w.~-]*/)?[A-Za-z0-9~][\w.~-]*", re.ASCII)
#: PyPI's project names (PEP 508 names: no extras, no ``@ URL``).
_PYPI_NAME = compiled(r"[A-Za-z0-9]([\w.-]*[A-Za-z0-9])?", re.ASCII)
#: A release: semver (``1.0.0-beta.2+build``) or PEP 440 (``1!2.0.post1``, ``1.0rc1``).
_RELEASE = compiled(r"v?[0-9][0-9A-Za-z.+!_-]*", re.ASCII)


def direct_launch(identity: Identity) -> tuple[tuple[str, ...], str | None]:
    """How a client starts the approved identity: an exact, pinned launch line, or the URL.
    A package or image named like an option is refused: written after ``npx -y`` (``uvx``,
    ``docker run``) it is read as one (``--call=CMD@1.0.0`` runs CMD in a shell), and no
    registry's package or image name begins with ``-``."""
    if identity.kind == "remote":
        return (), identity.url
    if str(identity.name).startswith("-"):
        raise EnforceError(f"entry identity {identity.kind} name begins with '-', like an option; refused")
    if identity.kind == "oci":
        return ("docker", "run", "-i", "--rm", f"{identity.name}@{identity.digest}"), None
    # The launcher reads NAME@VERSION (NAME==VERSION) as a package spec, which names other
    # sources too: ``ok@npm:evil@1.0.0`` is an alias, ``ok@github:m/x`` a repository,
    # ``ok@https://host/x.whl?==1.0.0`` an archive, ``ok@beta`` a moving tag; the approval was of
    # ``ok`` at a release. Only the ecosystem's plain names and release versions are written.
    plain_name = _NPM_NAME if identity.ecosystem == "npm" else _PYPI_NAME
    if not plain_name.fullmatch(str(identity.name)) or not _RELEASE.fullmatch(str(identity.version)):
        raise EnforceError(
            f"entry identity {identity.ecosystem} package is not a plain name at a release version;"
            " the launcher would read it as another package's source; refused"
        )
    if identity.ecosystem == "pypi":
        return ("uvx", f"{identity.name}=={identity.version}"), None
    return ("npx", "-y", f"{identity.name}@{identity.version}"), None


def server_key(name: str) -> str:
    """A registry name as a key every client accepts: ``io.github.org/files`` ->
    ``io-github-org-files`` (the registry's own ``client_key``, which the gateway's records of
    the server carry too)."""
    return client_key(name)


def _approval_holds(entry: Entry, today: date) -> bool:
    if entry.status is not Status.APPROVED:
        return False
    if entry.review_due is not None and entry.review_due < today:
        return False
    return entry.superseded_on is None or entry.superseded_on > today


def _tools(entry: Entry) -> tuple[str, ...]:
    names = {key.split(":", 1)[1] for key in entry.pins if key.startswith("tool:")}
    return tuple(sorted(names))


def compile_policy(
    entries: Iterable[Entry],
    today: date,
    *,
    registry_url: str | None = None,
    gateway: GatewayRoute | None = None,
    probation: Mapping[int, Sequence[str]] | None = None,
) -> Policy:
    """The policy for ``entries`` on ``today``. An entry on probation is allowed with its
    read-only tools only; ``probation`` adds (or replaces) such periods: an approved entry's id ->
    the tools confirmed read-only."""
    # Checked before any server is made: a validation error would show the URL, password and all.
    if registry_url is not None and (
        refusal := userinfo_refusal(registry_url) or gallery_url_refusal(registry_url)
    ):
        raise EnforceError(f"--registry-url: {refusal}")
    serve_url = gateway.serve_url if gateway else None
    if serve_url and (refusal := userinfo_refusal(serve_url) or token_url_refusal(serve_url)):
        raise EnforceError(f"--gateway-url: {refusal}")
    entries = list(entries)
    probation = {e.id: e.read_only_tools for e in entries if e.on_probation} | dict(probation or {})
    allowed: list[PolicyServer] = []
    refused: list[Entry] = []
    keys: set[str] = set()
    holding = [
        e for e in entries if e.status not in (Status.REJECTED, Status.REVOKED) and _approval_holds(e, today)
    ]
    plain = {server_key(entry.name) for entry in holding}
    for entry in sorted(entries, key=lambda e: (e.name, e.id)):
        if entry.status in (Status.REJECTED, Status.REVOKED):
            refused.append(entry)
            continue
        if not _approval_holds(entry, today):
            continue
        key = server_key(entry.name)
        if key in keys:  # two names that read alike, or two approved versions in their grace period
            # Made unique against every key in use or to come: ``-ID`` alone could be another
            # entry's own name (``io.x/s-7``), and two servers under one key made the whole
            # policy fail, so no later revocation reached the clients.
            stem, extra = key[:53], 0
            key = f"{stem}-{entry.id}"
            while key in keys or key in plain:
                extra += 1
                key = f"{stem[: 52 - len(str(extra))]}-{entry.id}-{extra}"
        keys.add(key)
        try:
            direct, direct_url = direct_launch(entry.identity)
        except EnforceError as exc:
            raise EnforceError(f"entry {entry.id}: {exc}") from None
        command = gateway.launch(key, direct) if gateway and direct else direct
        url = direct_url
        if gateway and gateway.serve_url and direct_url:
            url = f"{gateway.serve_url.rstrip('/')}/servers/{key}/mcp"
        read_only = tuple(probation.get(entry.id, ()))
        try:
            server = PolicyServer(
                name=entry.name,
                key=key,
                entry_id=entry.id,
                decision=Decision.PROBATION if entry.id in probation else Decision.ALLOW,
                command=command,
                direct_command=direct,
                url=url,
                direct_url=direct_url,
                tools=_tools(entry),
                read_only_tools=read_only,
                wrapped=bool(gateway and (direct or url != direct_url)),
            )
        except ValidationError as exc:  # named by entry, not as a bare validation error
            message = exc.errors()[0]["msg"].removeprefix("Value error, ")
            raise EnforceError(
                f"entry {entry.id} cannot be written into the clients' files: {message}"
            ) from None
        allowed.append(server)
    launches = {server.direct_command for server in allowed if server.direct_command}
    urls = {server.direct_url for server in allowed if server.direct_url}
    denied: list[PolicyServer] = []
    seen: set[tuple[tuple[str, ...], str | None]] = set()
    for entry in refused:
        try:
            direct, url = direct_launch(entry.identity)
        except EnforceError:
            continue  # a launch line no launcher runs as a package: nothing to deny
        if direct in launches or url in urls or (direct, url) in seen:
            continue
        seen.add((direct, url))
        try:
            denial = PolicyServer(
                name=entry.name,
                key=server_key(entry.name),
                entry_id=entry.id,
                decision=Decision.DENY,
                command=direct,
                direct_command=direct,
                url=url,
                direct_url=url,
            )
        except ValidationError:
            # A refused request the policy cannot hold (a URL past its bound): the allowlists
            # refuse it without a line of its own. Raising here let one rejected request stop
            # every later enforce, approvals and revocations alike.
            continue
        denied.append(denial)
    try:
        return Policy(registry_url=registry_url, servers=(*allowed, *denied))
    except ValueError as exc:
        raise EnforceError(f"the registry cannot be made into a policy: {exc}") from None
