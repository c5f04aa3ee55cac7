"""A release built, with a verified provenance attestation, from another repository than the
release before it: the maintainer's npm token used from the thief's own fork, whose manifest
names the fork, so the attestation and the manifest agree. vet compared the attestation with
the release's own manifest only and said "provenance verified" (info): the release passed on
its identity. A verified build from another repository than the previous one's is now high.

The attestations are taken as verified here (Sigstore bundles cannot be made offline): what is
under attack is how vet's rules compare two verified releases, not Sigstore."""

from __future__ import annotations

from pathlib import Path

from vet_attack_kit import mailer_release

from mcpward.model import Ecosystem, Finding, Severity
from mcpward.vet._code import analyze_package
from mcpward.vet._provenance import ProvenanceResult, ProvenanceStatus
from mcpward.vet._rules import Side, judge, verdict
from mcpward.vet._sources.local import LocalSource
from mcpward.vet.interface import Target


def _side(tmp_path: Path, version: str, built_from: str) -> Side:
    archive = mailer_release(tmp_path, "mailer-mcp", version, repository=built_from)
    package = LocalSource().fetch(Target(Ecosystem.LOCAL, archive.name, path=archive))
    package.metadata.provenance = ProvenanceResult(
        ProvenanceStatus.VERIFIED, publisher=f"npm-provenance:{built_from}", repository=built_from
    )
    return Side(package, analyze_package(package.files))


def _judged(tmp_path: Path, before: str, after: str) -> list[Finding]:
    return judge(_side(tmp_path, "1.0.2", after), _side(tmp_path, "1.0.1", before))


def test_a_verified_build_from_another_repository_needs_review(tmp_path: Path) -> None:
    findings = _judged(
        tmp_path, "https://github.com/mailer-labs/mailer-mcp", "https://github.com/m4iler-labs/mailer-mcp"
    )
    assert [f.severity for f in findings if f.rule == "provenance-repository-changed"] == [Severity.HIGH]
    assert verdict(findings) == "review"


def test_the_same_repository_is_no_finding(tmp_path: Path) -> None:
    findings = _judged(
        tmp_path,
        "https://github.com/mailer-labs/mailer-mcp",
        "git+https://github.com/mailer-labs/mailer-mcp.git",
    )
    assert not [f for f in findings if f.rule == "provenance-repository-changed"]
    assert verdict(findings) == "pass"
