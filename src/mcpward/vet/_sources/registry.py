"""The npm registry and PyPI, through a cache directory.

Registry metadata and archives are cached, so a second run (and the tests) work offline, and
``--offline`` uses the cache alone. Every archive is checked against the registry's integrity
hash (npm ``dist.integrity``, PyPI ``sha256``) before a byte of it is read, from the network
and from the cache alike. The registry base URLs come from the user's own npm and pip
configuration, so an organisation's internal mirror is used where one is configured.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import posixpath
import re
import subprocess
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from mcpward._http import DownloadError, download
from mcpward.model import Ecosystem, PackageRef
from mcpward.vet._archive import ArchiveError, Layout, PackageFiles, read_archive
from mcpward.vet._provenance import ProvenanceResult, ProvenanceStatus, verify_npm, verify_pypi
from mcpward.vet._sources.local import manifest_metadata, npm_dependencies, npm_dependency_sources
from mcpward.vet.interface import FetchedPackage, PackageMetadata, PackageSource, Target, VetError

MAX_METADATA_BYTES = 64 * 1024 * 1024
MAX_ARCHIVE_BYTES = 128 * 1024 * 1024


def cache_root(override: Path | None) -> Path:
    if override is not None:
        return override
    env = os.environ.get("MCPWARD_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("mcpward", appauthor=False))


def registry_source(ecosystem: Ecosystem, *, offline: bool, cache_dir: Path | None) -> PackageSource:
    cache = _Cache(cache_root(cache_dir), offline=offline)
    if ecosystem is Ecosystem.NPM:
        return NpmRegistry(cache)
    return PyPIRegistry(cache)


# -- registry locations ------------------------------------------------------------------------


def npm_registry_url() -> str:
    """``MCPWARD_NPM_REGISTRY``, else npm's own configured registry."""
    configured = os.environ.get("MCPWARD_NPM_REGISTRY") or os.environ.get("NPM_CONFIG_REGISTRY")
    if configured:
        return configured.rstrip("/") + "/"
    try:
        done = subprocess.run(
            ["npm", "config", "get", "registry"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        done = None
    if done is not None and done.returncode == 0 and done.stdout.strip().startswith(("http://", "https://")):
        return done.stdout.strip().rstrip("/") + "/"
    raise VetError("no npm registry configured: set MCPWARD_NPM_REGISTRY or npm's registry setting")


def pypi_url() -> str:
    """``MCPWARD_PYPI_URL`` (the base of the JSON API), else pip's index (its ``/simple``
    parent), else pip's built-in default index."""
    configured = os.environ.get("MCPWARD_PYPI_URL")
    if configured:
        return configured.rstrip("/") + "/"
    index = os.environ.get("PIP_INDEX_URL")
    if index and index.startswith(("http://", "https://")):
        return re.sub(r"/simple/?$", "", index.rstrip("/")) + "/"
    try:
        from pip._internal.models.index import PyPI  # pip's own default, the one users get

        return str(PyPI.url).rstrip("/") + "/"
    except ImportError:
        raise VetError("no PyPI index configured: set MCPWARD_PYPI_URL") from None


# -- cache -------------------------------------------------------------------------------------


class _Cache:
    def __init__(self, root: Path, *, offline: bool) -> None:
        self.root = root
        self.offline = offline

    def path(self, *parts: str) -> Path:
        safe = [re.sub(r"[^A-Za-z0-9._@+-]", "_", part) for part in parts]
        return self.root.joinpath(*safe)

    def get(
        self,
        key: Path,
        url: Callable[[], str],
        limit: int,
        *,
        refresh: bool = False,
        named_by: Callable[[], str] | None = None,
    ) -> bytes:
        """The cached bytes at ``key``, downloading ``url()`` first when missing (or when
        ``refresh`` and online); ``named_by()``: the document that linked it (see download)."""
        if key.is_file() and (self.offline or not refresh):
            return key.read_bytes()
        if self.offline:
            if key.is_file():
                return key.read_bytes()
            raise VetError(f"not in the cache ({key}) and --offline was given")
        data = _download(url(), limit, named_by() if named_by is not None else None)
        key.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=key.parent, delete=False) as handle:
            handle.write(data)
        Path(handle.name).replace(key)
        return data


def _download(url: str, limit: int, named_by: str | None = None) -> bytes:
    try:
        return download(url, limit, named_by=named_by)
    except DownloadError as exc:
        raise VetError(str(exc)) from None


def _json(data: bytes, what: str) -> Any:
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise VetError(f"{what}: the registry answered with something that is not JSON") from None


def _read_verified(
    archive: Path, data: bytes, check: Callable[[bytes], bool], what: str, layout: Layout
) -> PackageFiles:
    if not check(data):
        archive.unlink(missing_ok=True)
        raise VetError(f"{what}: the archive does not match the registry's integrity hash; refused")
    try:
        return read_archive(archive, layout)
    except ArchiveError as exc:
        raise VetError(f"{what}: {exc}") from None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


# -- npm ---------------------------------------------------------------------------------------


def _sri_check(integrity: str | None, shasum: str | None) -> Callable[[bytes], bool]:
    """npm's Subresource Integrity string (sha512, else sha1 ``shasum``)."""

    def check(data: bytes) -> bool:
        if integrity:
            for token in integrity.split():
                algorithm, _, expected = token.partition("-")
                if algorithm in ("sha512", "sha384", "sha256"):
                    return base64.b64encode(hashlib.new(algorithm, data).digest()).decode() == expected
        if shasum:
            return hashlib.sha1(data, usedforsecurity=False).hexdigest() == shasum
        return False

    return check


class NpmRegistry(PackageSource):
    ecosystem = Ecosystem.NPM

    def __init__(self, cache: _Cache) -> None:
        self.cache = cache
        self._base: str | None = None

    def base(self) -> str:
        if self._base is None:
            self._base = npm_registry_url()
        return self._base

    def packument_url(self, name: str) -> str:
        return self.base() + quote(name, safe="@")

    def packument(self, name: str, *, refresh: bool) -> dict[str, Any]:
        key = self.cache.path("npm", name, "packument.json")
        data = self.cache.get(key, lambda: self.packument_url(name), MAX_METADATA_BYTES, refresh=refresh)
        document = _json(data, f"npm:{name}")
        if isinstance(document, dict) and document.get("name") not in (None, name) and not refresh:
            # The cache writes "/" as "_": @a_b/c and @a/b_c share a folder, and one package
            # was judged on the other's cached document (its archive and hash with it).
            data = self.cache.get(key, lambda: self.packument_url(name), MAX_METADATA_BYTES, refresh=True)
            document = _json(data, f"npm:{name}")
        if not isinstance(document, dict) or not isinstance(document.get("versions"), dict):
            raise VetError(f"npm:{name}: no such package")
        if document.get("name") not in (None, name):
            raise VetError(f"npm:{name}: the cached registry document is another package's ({key})")
        return document

    def fetch(self, target: Target) -> FetchedPackage:
        document = self.packument(target.name, refresh=target.version is None)
        versions: dict[str, Any] = document["versions"]
        version = target.version or (document.get("dist-tags") or {}).get("latest")
        if version not in versions:
            document = self.packument(target.name, refresh=True) if not self.cache.offline else document
            versions = document["versions"]
        if version not in versions:
            raise VetError(f"npm:{target.name}@{version}: no such version")
        manifest = versions[version]
        dist = manifest.get("dist") or {}
        archive = self.cache.path("npm", target.name, f"{version}.tgz")
        check = _sri_check(dist.get("integrity"), dist.get("shasum"))
        data = self.cache.get(
            archive,
            lambda: str(dist["tarball"]),
            MAX_ARCHIVE_BYTES,
            named_by=lambda: self.packument_url(target.name),
        )
        if not check(data) and not self.cache.offline:
            # a cached archive of another package of the same cache folder: fetched again
            data = self.cache.get(
                archive,
                lambda: str(dist["tarball"]),
                MAX_ARCHIVE_BYTES,
                refresh=True,
                named_by=lambda: self.packument_url(target.name),
            )
        files = _read_verified(
            archive,
            data,
            check,
            f"npm:{target.name}@{version}",
            Layout.NPM,
        )
        metadata = manifest_metadata(files) or PackageMetadata(name=target.name, version=version)
        _compare_install_scripts(manifest, metadata)
        _compare_bins(manifest, metadata, files)
        # npm installs the dependencies the registry's copy of the manifest lists, not the tarball's
        metadata.dependencies = tuple(dict.fromkeys((*metadata.dependencies, *npm_dependencies(manifest))))
        metadata.dependency_sources = tuple(
            dict.fromkeys((*metadata.dependency_sources, *npm_dependency_sources(manifest)))
        )
        times = document.get("time") or {}
        previous = _previous(version, list(versions), _semver_key)
        npm_user = manifest.get("_npmUser")
        metadata.version = version
        metadata.integrity = dist.get("integrity") or (
            f"sha1:{dist['shasum']}" if dist.get("shasum") else None
        )
        metadata.published = _time(times.get(version))
        metadata.previous_version = previous
        metadata.previous_published = _time(times.get(previous)) if previous else None
        metadata.versions = tuple(str(v) for v in versions)
        metadata.publisher = npm_user.get("name") if isinstance(npm_user, dict) else None
        metadata.maintainers = tuple(
            sorted(str(m.get("name")) for m in manifest.get("maintainers") or [] if isinstance(m, dict))
        )
        # npm lists attestations only where they exist: absent means none, or a mirror that
        # strips them, so it is "unknown" rather than "no".
        metadata.has_provenance = True if dist.get("attestations") else None
        attestations_url = (dist.get("attestations") or {}).get("url")
        if attestations_url:
            metadata.provenance = self._provenance(target.name, str(version), str(attestations_url), data)
        ref = PackageRef(ecosystem=Ecosystem.NPM, name=target.name, version=version, pinned=True)
        return FetchedPackage(ref=ref, files=files, metadata=metadata, origin=str(archive))

    def _provenance(self, name: str, version: str, url: str, tarball: bytes) -> ProvenanceResult:
        key = self.cache.path("npm", name, f"{version}.attestations.json")
        try:
            document = self.cache.get(
                key, lambda: url, MAX_METADATA_BYTES, named_by=lambda: self.packument_url(name)
            )
        except VetError as exc:
            return ProvenanceResult(ProvenanceStatus.UNKNOWN, detail=f"attestations not fetched: {exc}")
        return verify_npm(document, name, version, tarball)


def _compare_install_scripts(manifest: dict[str, Any], metadata: PackageMetadata) -> None:
    """npm resolves a package from the registry's copy of its manifest but runs the scripts of
    the package.json in the tarball: when the two disagree, both are reported and reviewed."""
    listed = manifest.get("scripts")
    if not isinstance(listed, dict):
        return
    registry = {k: str(v) for k, v in listed.items() if k in ("preinstall", "install", "postinstall")}
    tarball = {
        k: v
        for k, v in metadata.install_scripts.items()
        # the hooks themselves: not the implicit node-gyp, bundled dependencies' or scripts run by a hook
        if "implicit" not in v and k in ("preinstall", "install", "postinstall")
    }
    if registry != tarball:
        metadata.manifest_problems.append(
            (
                "manifest-mismatch",
                f"The registry lists install scripts {registry or 'none'}, the tarball's package.json "
                f"{tarball or 'none'}.",
            )
        )
        for hook, command in registry.items():
            metadata.install_scripts.setdefault(hook, command)


def _compare_bins(manifest: dict[str, Any], metadata: PackageMetadata, files: PackageFiles) -> None:
    """npx picks the command it runs, and npm links it, by the registry's copy of the manifest;
    vet follows the tarball's package.json to the code that runs. A registry ``bin`` the tarball
    does not name (``test/fixture.js``, read as a fixture nobody loads) ran unjudged."""
    listed = _bin_paths(manifest.get("bin"))
    if not listed:
        return
    try:
        own = json.loads(
            files.files.get("package.json", b"{}").decode("utf-8", "replace").removeprefix("\ufeff")
        )
    except (json.JSONDecodeError, RecursionError):
        return  # an unreadable package.json is a finding of its own
    own = own if isinstance(own, dict) else {}
    named = _bin_paths(own.get("bin"))
    directories = own.get("directories")
    folder = directories.get("bin") if isinstance(directories, dict) else None
    prefix = _bin_path(folder) + "/" if isinstance(folder, str) and folder.strip() else None
    unnamed = sorted(p for p in listed if p not in named and not (prefix and p.startswith(prefix)))
    if unnamed:
        metadata.manifest_problems.append(
            (
                "manifest-mismatch",
                f"The registry lists commands the tarball's package.json does not name: "
                f"{', '.join(unnamed[:5])}; npx runs what the registry lists.",
            )
        )


def _bin_paths(value: Any) -> set[str]:
    """The files of a manifest's ``bin`` (a path, or names to paths), as npm normalises them."""
    values = [value] if isinstance(value, str) else list(value.values()) if isinstance(value, dict) else []
    return {_bin_path(v) for v in values[:1000] if isinstance(v, str) and v.strip()}


def _bin_path(value: str) -> str:
    return posixpath.normpath(value.strip()).removeprefix("./").rstrip("/")


def _semver_key(version: str) -> Any:
    import semver

    try:
        return semver.Version.parse(version.lstrip("v"))
    except ValueError:
        return None


def _previous(version: str, versions: list[str], key: Callable[[str], Any]) -> str | None:
    """The highest release below ``version``; pre-releases only before a pre-release."""
    current = key(version)
    if current is None:
        return None
    candidates = []
    for other in versions:
        parsed = key(other)
        if parsed is None or not parsed < current:
            continue
        if _is_prerelease(parsed) and not _is_prerelease(current):
            continue
        candidates.append((parsed, other))
    return max(candidates)[1] if candidates else None


def _is_prerelease(parsed: Any) -> bool:
    return bool(getattr(parsed, "prerelease", None)) or bool(getattr(parsed, "is_prerelease", False))


# -- PyPI --------------------------------------------------------------------------------------


class PyPIRegistry(PackageSource):
    ecosystem = Ecosystem.PYPI

    def __init__(self, cache: _Cache) -> None:
        self.cache = cache
        self._base: str | None = None

    def base(self) -> str:
        if self._base is None:
            self._base = pypi_url()
        return self._base

    def project(self, name: str, *, refresh: bool) -> dict[str, Any]:
        normal = canonicalize_name(name)
        key = self.cache.path("pypi", normal, "project.json")
        data = self.cache.get(
            key, lambda: f"{self.base()}pypi/{normal}/json", MAX_METADATA_BYTES, refresh=refresh
        )
        document = _json(data, f"pypi:{name}")
        if not isinstance(document, dict) or not isinstance(document.get("releases"), dict):
            raise VetError(f"pypi:{name}: no such project")
        return document

    def fetch(self, target: Target) -> FetchedPackage:
        document = self.project(target.name, refresh=target.version is None)
        releases: dict[str, Any] = document["releases"]
        version = target.version or (document.get("info") or {}).get("version")
        if version not in releases and not self.cache.offline:
            document = self.project(target.name, refresh=True)
            releases = document["releases"]
        if version not in releases or not releases[version]:
            raise VetError(f"pypi:{target.name}=={version}: no such version (or no files)")
        chosen = _choose_file(releases[version])
        normal = canonicalize_name(target.name)
        archive = self.cache.path("pypi", normal, str(chosen["filename"]))
        # Mirrors may answer with file URLs relative to the JSON document.
        document_url = f"{self.base()}pypi/{normal}/json"
        data = self.cache.get(
            archive,
            lambda: urljoin(document_url, str(chosen["url"])),
            MAX_ARCHIVE_BYTES,
            named_by=lambda: document_url,
        )
        expected = (chosen.get("digests") or {}).get("sha256")
        files = _read_verified(
            archive,
            data,
            lambda b: bool(expected) and hashlib.sha256(b).hexdigest() == expected,
            f"pypi:{target.name}=={version}",
            Layout.WHEEL if str(chosen["filename"]).endswith(".whl") else Layout.SDIST,
        )
        others = sorted(
            str(f.get("filename"))
            for f in releases[version]
            if f is not chosen and not f.get("yanked") and str(f.get("filename", "")).endswith(".whl")
        )
        if others:
            # pip installs the most specific compatible wheel: a platform wheel comes before the
            # pure one read here, and nothing says it holds the same code.
            files.notes.append(
                (
                    "release-files-not-vetted",
                    f"vet read {chosen['filename']}; pip may install another wheel of this release "
                    f"instead: {', '.join(others[:5])}{' …' if len(others) > 5 else ''}.",
                    None,
                )
            )
        metadata = manifest_metadata(files) or PackageMetadata(name=normal, version=version)
        previous = _previous(version, [v for v, f in releases.items() if f], _pep440_key)
        metadata.name = normal
        metadata.version = version
        metadata.integrity = f"sha256:{expected}" if expected else None
        metadata.published = _time(chosen.get("upload_time_iso_8601"))
        metadata.previous_version = previous
        metadata.versions = tuple(str(v) for v, f in releases.items() if f)
        if previous and releases.get(previous):
            metadata.previous_published = _time(releases[previous][0].get("upload_time_iso_8601"))
        metadata.provenance = self._provenance(normal, str(chosen["filename"]), data)
        metadata.has_provenance = True if metadata.provenance.status is ProvenanceStatus.VERIFIED else None
        ref = PackageRef(ecosystem=Ecosystem.PYPI, name=normal, version=version, pinned=True)
        return FetchedPackage(ref=ref, files=files, metadata=metadata, origin=str(archive))

    def _provenance(self, name: str, filename: str, data: bytes) -> ProvenanceResult:
        """PEP 740: the simple index (JSON form) names a provenance URL per file."""
        key = self.cache.path("pypi", name, f"{filename}.provenance")
        try:
            if not key.is_file():
                index = _json(
                    self.cache.get(
                        self.cache.path("pypi", name, "simple.json"),
                        lambda: f"{self.base()}simple/{name}/?format=application/vnd.pypi.simple.v1%2Bjson",
                        MAX_METADATA_BYTES,
                    ),
                    f"pypi:{name} index",
                )
                entry: dict[str, Any] = next(
                    (f for f in index.get("files", []) if f.get("filename") == filename), {}
                )
                url = entry.get("provenance")
                if not url:
                    return ProvenanceResult(ProvenanceStatus.UNKNOWN, detail="the index lists no provenance")
                document = self.cache.get(
                    key,
                    lambda: urljoin(f"{self.base()}simple/{name}/", str(url)),
                    MAX_METADATA_BYTES,
                    named_by=lambda: f"{self.base()}simple/{name}/",
                )
            else:
                document = key.read_bytes()
        except (VetError, AttributeError, TypeError) as exc:
            return ProvenanceResult(ProvenanceStatus.UNKNOWN, detail=f"provenance not fetched: {exc}")
        return verify_pypi(document, filename, data)


def _pep440_key(version: str) -> Any:
    try:
        return Version(version)
    except InvalidVersion:
        return None


def _choose_file(files: list[dict[str, Any]]) -> dict[str, Any]:
    """A pure-Python wheel if there is one (it runs nothing at install), else the sdist."""
    live = [f for f in files if not f.get("yanked")] or files
    wheels = [f for f in live if str(f.get("filename", "")).endswith("-none-any.whl")]
    sdists = [f for f in live if f.get("packagetype") == "sdist"]
    return (wheels or sdists or live)[0]
