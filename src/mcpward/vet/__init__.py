"""``mcpward vet``: judge an MCP server package before it is approved.

>>> report = run_vet(VetOptions(target="npm:postmark-mcp@1.0.16"))
>>> report.verdict
'block'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mcpward import __version__
from mcpward._regex import compiled
from mcpward.model import Ecosystem, Report
from mcpward.vet._code import analyze_package
from mcpward.vet._code.interface import MAX_PACKAGE_SECONDS
from mcpward.vet._provenance import ProvenanceStatus
from mcpward.vet._rules import Side, judge, verdict
from mcpward.vet.interface import FetchedPackage, PackageSource, Target, VetError

__all__ = ["Target", "VetError", "VetOptions", "VetResult", "parse_target", "run_vet", "vet_package"]


@dataclass(frozen=True, slots=True)
class VetOptions:
    target: str
    baseline: str | None = None
    offline: bool = False
    cache_dir: Path | None = None
    #: Seconds the code analysis of one package may take (its archive and each side alike);
    #: past them what is left is reported unanalysed (``analysis-incomplete``), never passed.
    analysis_seconds: float = MAX_PACKAGE_SECONDS


_REGISTRY_TARGET = compiled(r"^(npm|pypi):(.+)$", re.IGNORECASE)


def parse_target(text: str) -> Target:
    """``npm:NAME@VERSION``, ``pypi:NAME==VERSION``, or a path to an archive or folder."""
    match = _REGISTRY_TARGET.match(text.strip())
    if match is None:
        if re.match(r"^[a-z][a-z0-9+.-]*:(?![\\/])", text) and not re.match(r"^[A-Za-z]:[\\/]", text):
            raise VetError(
                f"{text}: unknown registry {text.split(':', 1)[0]!r}; use npm: or pypi:, or a path"
            )
        return Target(Ecosystem.LOCAL, Path(text).name, path=Path(text))
    registry, spec = match.group(1).lower(), match.group(2).strip()
    if registry == "npm":
        scope = ""
        if spec.startswith("@"):
            scope, _, spec = spec.partition("/")
            scope += "/"
        name, _, version = spec.partition("@")
        return Target(Ecosystem.NPM, scope + name, version or None)
    name, _, version = spec.partition("==")
    name, version = name.strip(), version.strip()
    if not _PYPI_NAME.match(name):
        # White space before and after a separator, or alone, each taken whole (possessive):
        # "\s*(?:@|=|\s)\s*" split a run of spaces every way, as the square of the run.
        at_version = re.match(r"^([A-Za-z0-9._-]+)(?:\s*+[@=]\s*+|\s++)v?(\d[\w.+!-]*)$", name)
        hint = (
            f"; a version is written NAME==VERSION: pypi:{at_version[1]}=={at_version[2]}"
            if at_version
            else ""
        )
        raise VetError(f"{text}: not a PyPI project name{hint}")
    return Target(Ecosystem.PYPI, name, version or None)


#: PEP 508's project names.
_PYPI_NAME = compiled(r"^(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$")


def _source(target: Target, options: VetOptions) -> PackageSource:
    if target.ecosystem is Ecosystem.LOCAL:
        from mcpward.vet._sources.local import LocalSource

        return LocalSource()
    from mcpward.vet._sources.registry import registry_source

    return registry_source(target.ecosystem, offline=options.offline, cache_dir=options.cache_dir)


def _side(package: FetchedPackage, seconds: float) -> Side:
    return Side(package=package, facts=analyze_package(package.files, seconds=seconds))


@dataclass(frozen=True, slots=True)
class VetResult:
    """The report, and the facts a registry entry records about the vetted archive."""

    report: Report
    integrity: str | None
    repository: str | None
    #: True when a verified provenance attestation names the source repository.
    repository_verified: bool
    #: What the code can do (process-spawn, network, sensitive-files, ...), found or not new.
    capabilities: tuple[str, ...] = ()


def run_vet(options: VetOptions) -> Report:
    return vet_package(options).report


def vet_package(options: VetOptions) -> VetResult:
    target = parse_target(options.target)
    source = _source(target, options)
    fetched = source.fetch(target)
    baseline_target = parse_target(options.baseline) if options.baseline else source.previous(fetched)
    baseline = None
    if baseline_target is not None:
        baseline = _source(baseline_target, options).fetch(baseline_target)
    target_side = _side(fetched, options.analysis_seconds)
    baseline_side = _side(baseline, options.analysis_seconds) if baseline is not None else None
    findings = judge(target_side, baseline_side)
    subject = fetched.ref.display + (f" against {baseline.ref.display}" if baseline else " (no baseline)")
    report = Report(
        tool_version=__version__,
        command="vet",
        generated_at=datetime.now(UTC),
        subject=subject,
        findings=tuple(findings),
        verdict=verdict(findings),
    )
    metadata = fetched.metadata
    provenance = metadata.provenance
    verified = provenance is not None and provenance.status is ProvenanceStatus.VERIFIED
    repository = (
        provenance.repository if verified and provenance and provenance.repository else metadata.repository
    )
    mismatch = any(f.rule == "provenance-repository-mismatch" for f in findings)
    capabilities = tuple(sorted({use.capability.value for use in target_side.facts.capabilities}))
    return VetResult(
        report, metadata.integrity, repository, verified and bool(repository) and not mismatch, capabilities
    )
