"""Local targets: a ``.tgz``/``.tar.gz`` (npm pack, sdist), a ``.whl`` or a folder."""

from __future__ import annotations

import json
import re
import tomllib
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses
from typing import Any

from mcpward._regex import compiled
from mcpward.model import Ecosystem, PackageRef
from mcpward.vet._archive import ArchiveError, Layout, PackageFiles, read_archive
from mcpward.vet._code import script_commands
from mcpward.vet._provenance import ProvenanceResult, verify_npm, verify_pypi
from mcpward.vet._sources.requirements import python_dependencies, sdist_requirements
from mcpward.vet.interface import FetchedPackage, PackageMetadata, PackageSource, Target, VetError

_INSTALL_HOOKS = ("preinstall", "install", "postinstall")
_MCP_NAME = compiled(r"mcp-name:\s*([A-Za-z0-9._-]+/[A-Za-z0-9._/-]+)")


def _registry_hint(target: Target) -> str:
    """For a missing path written as a registry package (``mcp-remote@0.15.1``): the target
    meant, since a package from a registry is named with its registry."""
    text = str(target.path)
    if _NPM_SPEC.match(text):
        return f"; a package from npm is written npm:{text}"
    if _PYPI_SPEC.match(text):
        return f"; a package from PyPI is written pypi:{text}"
    return ""


_NPM_SPEC = compiled(r"^(?:@[A-Za-z0-9._-]+/)?[A-Za-z0-9._-]+@[0-9][\w.+-]*$")
_PYPI_SPEC = compiled(r"^[A-Za-z0-9._-]+==[0-9][\w.+!-]*$")


class LocalSource(PackageSource):
    ecosystem = Ecosystem.LOCAL

    def fetch(self, target: Target) -> FetchedPackage:
        if target.path is None or not target.path.exists():
            raise VetError(f"{target.display}: no such file or folder{_registry_hint(target)}")
        try:
            files = read_archive(target.path)
        except ArchiveError as exc:
            raise VetError(f"{target.display}: {exc}") from None
        metadata = manifest_metadata(files) or PackageMetadata(name=target.path.name, version=None)
        if metadata.name == "package" and metadata.manifest_problems:
            metadata.name = target.path.name
        metadata.provenance = _sibling_provenance(target, metadata)
        metadata.has_provenance = True if metadata.provenance is not None else None
        npm = "package.json" in files.files and files.layout not in (Layout.WHEEL, Layout.SDIST)
        ecosystem = Ecosystem.NPM if npm else Ecosystem.PYPI
        ref = PackageRef(
            ecosystem=ecosystem,
            name=metadata.name,
            version=metadata.version,
            pinned=metadata.version is not None,
        )
        return FetchedPackage(ref=ref, files=files, metadata=metadata, origin=str(target.path))


def _sibling_provenance(target: Target, metadata: PackageMetadata) -> ProvenanceResult | None:
    """Attestations saved beside a local archive: ``X.provenance`` (PyPI's PEP 740 object) or
    ``X.attestations.json`` (the npm registry's attestations document)."""
    path = target.path
    if path is None or not path.is_file():
        return None
    pep740 = path.with_name(path.name + ".provenance")
    npm = path.with_name(path.name + ".attestations.json")
    try:
        if pep740.is_file():
            return verify_pypi(pep740.read_bytes(), path.name, path.read_bytes())
        if npm.is_file() and metadata.version:
            return verify_npm(npm.read_bytes(), metadata.name, metadata.version, path.read_bytes())
    except OSError:
        return None
    return None


def manifest_metadata(files: PackageFiles) -> PackageMetadata | None:
    """Name, version, repository, install scripts and ``mcpName`` from ``package.json``, or the
    core metadata of a wheel (``*.dist-info/METADATA``) or an sdist (``PKG-INFO``). A manifest
    that cannot be read as npm reads it gives metadata with a problem, never an exception."""
    raw = files.files.get("package.json")
    if raw is not None and files.layout not in (Layout.WHEEL, Layout.SDIST):
        # Not a wheel's or an sdist's: pip installs a package.json there as a data file.
        return _package_json(raw, files)
    # A wheel's own metadata is in the one `.dist-info` folder at its root, the only one pip
    # reads (it refuses a wheel with two), and a wheel's `PKG-INFO` is a data file: the first
    # `*.dist-info/METADATA` anywhere or `PKG-INFO` was read, in name order, and a decoy that
    # sorts first (`_a/x.dist-info/`) named the release's authors, and its project and version.
    wheel_metadata = sorted(p for p in files.files if re.fullmatch(r"[^/]+\.dist-info/METADATA", p))
    if "PKG-INFO" in files.files and files.layout is not Layout.WHEEL:
        metadata = _core_metadata(
            files.text("PKG-INFO") or "", sdist="setup.py" in files.files, built=sdist_requirements(files)
        )
        _in_tree_backend(files, metadata)
        return metadata
    if wheel_metadata:
        metadata = _core_metadata(files.text(wheel_metadata[0]) or "", sdist=False)
        if len(wheel_metadata) > 1:
            metadata.manifest_problems.append(
                (
                    "manifest-ambiguous",
                    f"The wheel has {len(wheel_metadata)} .dist-info folders at its root "
                    f"({', '.join(p.split('/')[0] for p in wheel_metadata[:5])}): pip refuses it, "
                    "and which one names the release cannot be told.",
                )
            )
        return metadata
    if files.layout is not None:
        metadata = PackageMetadata(name="package", version=None)
        metadata.manifest_problems.append(
            (
                "manifest-missing",
                "The archive has no manifest where the installer looks for it (package.json, PKG-INFO "
                "or a wheel's METADATA at the package root).",
            )
        )
        return metadata
    return None


def _package_json(raw: bytes, files: PackageFiles) -> PackageMetadata:
    # npm strips a byte order mark before parsing; a parser that did not would see no scripts.
    text = raw.decode("utf-8", errors="replace").removeprefix("\ufeff")
    problem = None
    try:
        data = json.loads(text)
    except RecursionError:
        data, problem = None, "package.json is nested too deeply to read"
    except json.JSONDecodeError as exc:
        data, problem = None, f"package.json is not valid JSON ({exc.msg} at line {exc.lineno})"
    if not isinstance(data, dict):
        metadata = PackageMetadata(name="package", version=None)
        metadata.manifest_problems.append(
            (
                "manifest-unreadable",
                f"{problem or 'package.json is not a JSON object'}: its install scripts, name and "
                "repository cannot be checked.",
            )
        )
        return metadata
    scripts: dict[str, object] = data["scripts"] if isinstance(data.get("scripts"), dict) else {}
    hooks = {k: str(v) for k, v in scripts.items() if k in _INSTALL_HOOKS}
    for hook, command in list(hooks.items()):
        # A hook's `npm run setup` runs scripts.setup at install: what it runs is a hook's text
        # (compared with the release before, read for threats), not only the words naming it.
        for _folder, _words, script in script_commands(command, scripts):
            if script is not None and script not in _INSTALL_HOOKS:
                hooks.setdefault(f"{script} (run by {hook})", str(scripts[script]))
    if (
        "binding.gyp" in files.files
        and not ({"install", "preinstall"} & set(hooks))
        and data.get("gypfile") is not False
    ):
        # npm runs node-gyp for a package with a binding.gyp and no install script of its own.
        hooks["install"] = "node-gyp rebuild (implicit: the package has a binding.gyp)"
    hooks.update(_bundled_install_scripts(files))
    repository = data.get("repository")
    if isinstance(repository, dict):
        repository = repository.get("url")
    return PackageMetadata(
        name=str(data.get("name") or "package"),
        version=str(data["version"]) if isinstance(data.get("version"), str) else None,
        repository=repository if isinstance(repository, str) else None,
        homepage=data.get("homepage") if isinstance(data.get("homepage"), str) else None,
        mcp_name=data.get("mcpName") if isinstance(data.get("mcpName"), str) else None,
        install_scripts=hooks,
        dependencies=npm_dependencies(data),
        dependency_sources=npm_dependency_sources(data),
    )


#: A range that allows one version only ("1.0.16", "=1.0.16", "v1.0.16"), as npm's semver reads it.
_EXACT_VERSION = compiled(r"^\s*+=?\s*+v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)\s*$")


def npm_dependencies(manifest: dict[str, Any]) -> tuple[tuple[str, str | None], ...]:
    """The packages npm installs with a package (its dependencies, optional and peer ones)."""
    found: list[tuple[str, str | None]] = []
    for key in ("dependencies", "optionalDependencies", "peerDependencies"):
        listed = manifest.get(key)
        if isinstance(listed, dict):
            found.extend(_dependency(str(name), spec) for name, spec in list(listed.items())[:1000])
    return tuple(found)


#: A dependency npm fetches from elsewhere than the registry, as npm-package-arg reads a spec:
#: a path (``.``, ``~/``, ``/``, ``\\``, a drive letter), a URL or ``git+…:``, anything else
#: with a slash (hosted git ``owner/repo``, scp-style ``git@host:owner/repo``, a folder), or a
#: tarball's file name (``x.tgz``). A range (``~1.2.3``) or a tag is none of these.
_OUTSIDE_REGISTRY = compiled(
    r"^\s*(?:[.]|~[/\\]|[/\\]|[A-Za-z]:|(?:git[+])?[A-Za-z]+:)|[/\\]|[.](?:tgz|tar\.gz|tar)\s*$",
    re.IGNORECASE,
)


def npm_dependency_sources(manifest: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Dependencies npm installs from outside the registry: (name, spec)."""
    found: list[tuple[str, str]] = []
    for key in ("dependencies", "optionalDependencies", "peerDependencies"):
        listed = manifest.get(key)
        for name, spec in list(listed.items())[:1000] if isinstance(listed, dict) else ():
            if isinstance(spec, str) and not spec.startswith("npm:") and _OUTSIDE_REGISTRY.search(spec):
                found.append((str(name), spec[:300]))
    return tuple(found)


def _dependency(name: str, spec: object) -> tuple[str, str | None]:
    """The package npm installs for a dependency (``"sdk": "npm:evil@1.0.16"`` installs evil)
    and the one version its range allows, if it allows one."""
    if isinstance(spec, str) and spec.startswith("npm:"):
        target = spec[len("npm:") :]
        at = target.rfind("@")  # after a scope's "@"
        name, spec = (target[:at], target[at + 1 :]) if at > 0 else (target, None)
    match = _EXACT_VERSION.match(spec) if isinstance(spec, str) else None
    return name, match.group(1) if match else None


def _bundled_install_scripts(files: PackageFiles) -> dict[str, str]:
    """npm installs the dependencies bundled in a tarball's node_modules/ as they are, and runs
    their install scripts too: each is listed as ``node_modules/NAME postinstall``."""
    found: dict[str, str] = {}
    for path in sorted(files.files):
        if not (path.startswith("node_modules/") and path.endswith("/package.json")):
            continue
        folder = path[: -len("/package.json")]
        try:
            data = json.loads(files.files[path].decode("utf-8", "replace").removeprefix("\ufeff"))
        except (json.JSONDecodeError, RecursionError):
            found[f"{folder} package.json"] = "unreadable manifest of a bundled dependency"
            continue
        scripts = data.get("scripts") if isinstance(data, dict) else None
        for hook, command in scripts.items() if isinstance(scripts, dict) else ():
            if hook in _INSTALL_HOOKS:
                found[f"{folder} {hook}"] = str(command)
        if f"{folder}/binding.gyp" in files.files and not any(k.startswith(folder + " ") for k in found):
            found[f"{folder} install"] = "node-gyp rebuild (implicit: the package has a binding.gyp)"
        if len(found) >= 200:
            break
    return found


def _in_tree_backend(files: PackageFiles, metadata: PackageMetadata) -> None:
    """pip builds an sdist at install with the backend its pyproject.toml names; with
    ``backend-path`` that backend is the sdist's own code."""
    text = files.text("pyproject.toml")
    if text is None:
        return
    try:
        build = tomllib.loads(text).get("build-system")
    except (tomllib.TOMLDecodeError, RecursionError):
        metadata.manifest_problems.append(("manifest-unreadable", "pyproject.toml is not valid TOML."))
        return
    if isinstance(build, dict) and build.get("backend-path"):
        metadata.install_scripts["build-backend"] = (
            f"in-tree build backend {build.get('build-backend')!r} (backend-path "
            f"{build.get('backend-path')!r}) runs at install"
        )


def _core_metadata(text: str, *, sdist: bool, built: list[str] | None = None) -> PackageMetadata:
    """A wheel's ``METADATA`` or an sdist's ``PKG-INFO``; ``built``: the requirements an
    sdist's build declares, which pip installs whatever ``PKG-INFO`` says."""
    headers = HeaderParser().parsestr(text)
    dependencies, sources = python_dependencies([*(headers.get_all("Requires-Dist") or []), *(built or [])])
    urls = headers.get_all("Project-URL") or []
    repository = next(
        (
            u.split(",", 1)[1].strip()
            for u in urls
            if "," in u and u.split(",", 1)[0].strip().lower() in ("source", "repository", "code", "github")
        ),
        None,
    )
    description = headers.get_payload() if isinstance(headers.get_payload(), str) else ""
    # The official MCP registry's marker, usually in an HTML comment: <!-- mcp-name: x/y -->
    marker = _MCP_NAME.search(str(description))
    mcp_name = marker.group(1) if marker else None
    return PackageMetadata(
        name=headers.get("Name") or "package",
        version=headers.get("Version"),
        repository=repository,
        homepage=headers.get("Home-page"),
        mcp_name=mcp_name,
        install_scripts={"setup.py": "runs at install"} if sdist else {},
        maintainers=_declared_people(headers),
        dependencies=dependencies,
        dependency_sources=sources,
    )


def _declared_people(headers: Message) -> tuple[str, ...]:
    """The authors and maintainers a release's core metadata names: their e-mail addresses,
    lowered (``Author-email: A <a@x.org>, b@y.org``), or the names given without one. PyPI
    keeps no list of who may publish per release, so this release's own word is what a later
    one is compared with (a project document's ``info`` is the newest release's, the same for
    both sides of a comparison)."""
    people: set[str] = set()
    for field in ("Author-email", "Maintainer-email"):
        for _name, address in getaddresses(headers.get_all(field) or []):
            if "@" in address:
                people.add(address.lower()[:200])
    if not people:
        for field in ("Author", "Maintainer"):
            value = (headers.get(field) or "").strip()
            if value and value.upper() != "UNKNOWN":
                people.add(" ".join(value.split())[:200])
    return tuple(sorted(people)[:50])
