"""``--format cyclonedx``: a CycloneDX 1.6 BOM of the MCP servers, built with the CycloneDX
library. Package-backed servers are components with package URLs; remote servers are services
with their endpoints; known-vulnerable findings are vulnerabilities that affect them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

from mcpward._regex import compiled
from mcpward.launch import resolve_launch
from mcpward.launch_judge import variables_beyond_package
from mcpward.model import Category, Ecosystem, PackageRef, Report, ServerSpec
from mcpward.output.interface import OutputFormat
from mcpward.output.text import encodable

if TYPE_CHECKING:  # the CycloneDX library is imported only when this format is used
    from cyclonedx.model import Property
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component
    from cyclonedx.model.service import Service
    from packageurl import PackageURL


def package_url(package: PackageRef) -> PackageURL | None:
    """The package URL of ``package``, or None where it names no package a URL can (a config's
    ``npx -y foo/`` or ``uvx ''``: the library raised, for want of a name, and the whole BOM
    was lost to one server that cannot even start)."""
    try:
        purl = _package_url(package)
        if purl is not None:
            purl.to_string()  # what the library checks only when it writes the BOM (a blank name)
    except (ValueError, TypeError):
        return None
    return purl


def _package_url(package: PackageRef) -> PackageURL | None:
    from packageurl import PackageURL

    # A package URL is percent-encoded UTF-8: a lone surrogate in a config's package name,
    # version or digest (JSON may spell one) raised, and the whole BOM was lost.
    package = dataclasses.replace(
        package,
        name=encodable(package.name),
        version=encodable(package.version) if package.version else package.version,
        digest=encodable(package.digest) if package.digest else package.digest,
    )

    if package.ecosystem is Ecosystem.NPM:
        namespace, _, name = package.name.rpartition("/")
        return PackageURL("npm", namespace or None, name, package.version if package.pinned else None)
    if package.ecosystem is Ecosystem.PYPI:
        return PackageURL("pypi", None, package.name, package.version if package.pinned else None)
    if package.ecosystem is Ecosystem.OCI:
        repository = package.name.rsplit("/", 1)
        qualifiers = {"repository_url": package.name} if "/" in package.name else {}
        version = package.digest or (package.version if package.pinned else None)
        return PackageURL("oci", None, repository[-1], version, qualifiers or None)
    return None


#: A ``%`` that begins no escape (two hex digits after it).
_STRAY_PERCENT = compiled(r"%(?![0-9A-Fa-f]{2})")


def bom_uri(url: str) -> str:
    """``url`` as a URI the CycloneDX library and the 1.6 schema (``iri-reference``) take, the
    same address: what it percent-encoded kept, a ``%`` that begins no escape and each ``#``
    after the first escaped, and every other character a URI may not hold (a control, a space,
    ``|``, ``^``, a backtick, a backslash) percent-encoded. The library raised on ``%zz`` or two
    ``#``, which lost the whole BOM to one config's URL, and the schema refused the others."""
    address, hash_mark, fragment = _STRAY_PERCENT.sub("%25", encodable(url)).partition("#")
    return quote(address + hash_mark + fragment.replace("#", "%23"), safe="!#$%&'()*+,/:;=?@[]~")


def _web(url: str) -> bool:
    return url.lower().startswith(("https://", "http://", "wss://", "ws://"))


def beyond_package(server: ServerSpec) -> tuple[str, ...]:
    """What of a server's launch line and variables decides what is fetched or run besides its
    package (another registry or index, another package installed beside it, a runner of the
    line's own), as the registry and the gateway judge it: none for a server its package alone
    runs. Such a server's package URL would name the package reviewed, not what runs."""
    if server.package is None or server.package.ecosystem not in (
        Ecosystem.NPM,
        Ecosystem.PYPI,
        Ecosystem.OCI,
    ):
        return ()
    launch = resolve_launch(server.command, server.args) if server.command else None
    found = launch.beyond_package if launch is not None and launch.package is not None else ()
    unread = {name: None for name in server.env_names if name not in server.env_values_harmless}
    return found + variables_beyond_package(server.package.ecosystem, server.package.name, unread)


#: The longest version CycloneDX 1.6 holds (its schema's ``version``).
MAX_VERSION_CHARS = 1024


def _version(version: str | None) -> tuple[str | None, list[Property]]:
    """A component's version, and the properties that hold it instead when it is longer than a
    BOM holds: a config's ``npx -y notes-mcp@1.0.0-aaaa...`` made a BOM that fails the schema,
    which a consumer that validates it refuses whole."""
    from cyclonedx.model import Property

    if version is None or len(version) <= MAX_VERSION_CHARS:
        return version, []
    return None, [Property(name="mcpward:version", value=version)]


def _library(dep: PackageRef, ref: str) -> Component:
    """A server's dependency as a component of it."""
    from cyclonedx.model.component import Component, ComponentType

    version, unheld = _version(dep.version)
    return Component(
        type=ComponentType.LIBRARY,
        name=dep.name,
        version=version,
        properties=unheld,
        purl=package_url(dep),
        bom_ref=ref,
    )


def _properties(server: ServerSpec, beyond: tuple[str, ...] = ()) -> list[Property]:
    from cyclonedx.model import Property

    values = {
        "mcpward:server-id": server.id,
        "mcpward:host": server.host,
        "mcpward:scope": server.scope.value,
        "mcpward:config-path": server.config_path,
        "mcpward:transport": server.transport.value if server.transport else None,
        "mcpward:command": " ".join([server.command or "", *server.args]).strip() or None,
        "mcpward:env-names": " ".join(server.env_names) or None,
        "mcpward:owner": server.owner,
        "mcpward:repository": server.repository,
        "mcpward:project": server.project,
        "mcpward:disabled": "true" if server.disabled else None,
        "mcpward:url": server.url if server.url and not _web(server.url) else None,
        "mcpward:beyond-package": "; ".join(beyond) or None,
    }
    return [Property(name=k, value=v) for k, v in values.items() if v]


def cyclonedx_json(report: Report) -> str:
    from cyclonedx.model import XsUri
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.service import Service
    from cyclonedx.model.vulnerability import BomTarget, Vulnerability
    from cyclonedx.output.json import JsonV1Dot6

    bom = Bom()
    bom.metadata.timestamp = report.generated_at
    bom.metadata.tools.components.add(
        Component(type=ComponentType.APPLICATION, name="mcpward", version=report.tool_version)
    )
    refs: dict[str, Component | Service] = {}
    for server in report.servers:
        ref = f"mcp-server:{server.id}"
        package = server.package
        if server.url and (package is None or package.ecosystem is Ecosystem.URL):
            node: Component | Service = Service(
                name=server.name,
                bom_ref=ref,
                # A web address only, as consumers make a link of it ("javascript:..." stays a
                # property, as text), and percent-encoded: one config's URL with a control
                # character failed the schema (iri-reference), and the whole BOM was refused.
                endpoints=[XsUri(bom_uri(server.url))] if _web(server.url) else None,
                authenticated=bool(server.header_names) or None,
                x_trust_boundary=True,
                properties=_properties(server),
            )
            bom.services.add(node)
        else:
            # A launch that fetches or runs more than its package (another registry, a package
            # beside it) named the package reviewed: "--registry=https://evil.example/" gave the
            # official package's URL to code of anyone's. The registry cannot tell what runs;
            # neither does the BOM.
            beyond = beyond_package(server)
            version, unheld = _version(package.version if package else None)
            node = Component(
                type=ComponentType.APPLICATION,
                name=(package.name if package else None) or server.name,
                version=version,
                description=f"MCP server {server.name!r} configured in {server.host}",
                purl=package_url(package) if package and not beyond else None,
                bom_ref=ref,
                properties=_properties(server, beyond) + unheld,
                components=[_library(dep, f"{ref}:dep:{dep.name}") for dep in server.dependencies],
            )
            bom.components.add(node)
        refs[server.id] = node
    for index, finding in enumerate(report.findings):
        if finding.category is not Category.KNOWN_VULNERABLE or finding.server_id not in refs:
            continue
        bom.vulnerabilities.add(
            Vulnerability(
                bom_ref=f"vuln-{index}",
                id=finding.identifiers[0] if finding.identifiers else None,
                description=finding.message,
                recommendation=finding.remediation,
                affects=[BomTarget(ref=f"mcp-server:{finding.server_id}")],
            )
        )
    _index_dependencies(bom)
    return JsonV1Dot6(bom).output_as_string(indent=2)


def _index_dependencies(bom: Bom) -> None:
    """Have ``bom`` register its dependency graph through an index. Before writing, the library
    gives each component and service an entry of the graph (``register_dependency``), looking
    each up among all those already registered: time in the square of the servers (8,000 took
    20 s of CPU where the scan took 2). The same entries, each found by its reference."""
    from cyclonedx.model.dependency import Dependable, Dependency

    index: dict[Any, Dependency] = {entry.ref: entry for entry in bom.dependencies}

    def register(target: Dependable, depends_on: Iterable[Dependable] | None = None) -> None:
        depends_on = list(depends_on or ())
        entry = index.get(target.bom_ref)
        if entry is None:
            entry = Dependency(
                ref=target.bom_ref, dependencies=[Dependency(ref=d.bom_ref) for d in depends_on]
            )
            bom.dependencies.add(entry)
            index[target.bom_ref] = entry
        elif depends_on:
            entry.dependencies.update(Dependency(ref=d.bom_ref) for d in depends_on)
        for dependency in depends_on:
            register(dependency)

    # An attribute of this BOM only (what the library writes is its declared properties).
    bom.register_dependency = register  # type: ignore[method-assign]


class CycloneDxFormat(OutputFormat):
    name = "cyclonedx"
    renders = frozenset({"scan"})  # a bill of materials of the servers found

    def write(self, report: Report, out: TextIO, *, terminal: bool = False) -> None:
        out.write(cyclonedx_json(report))
        out.write("\n")
