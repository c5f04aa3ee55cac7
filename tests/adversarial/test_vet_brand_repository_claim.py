"""An unscoped package named with a vendor's brand (``stripe-mcp``) whose manifest names the
vendor's repository. vet lowered the brand finding to low, so the package passed, whenever the
manifest's ``repository`` owner contained the brand: the vendor's real repository written by
anyone, or an organisation anyone can create (``stripe-mcp-community``). Only a verified
provenance attestation of a build in the brand's own organisation lowers it now."""

from __future__ import annotations

from pathlib import Path

import pytest
from vet_attack_kit import npm_tarball, severities, vet_json

from mcpward.model import Ecosystem, Severity
from mcpward.vet._code import analyze_package
from mcpward.vet._provenance import ProvenanceResult, ProvenanceStatus
from mcpward.vet._rules import Side, judge
from mcpward.vet._sources.local import LocalSource
from mcpward.vet.interface import Target

CODE = {"index.js": "export const ok = 1;\n"}


@pytest.mark.parametrize(
    "repository",
    [
        "git+https://github.com/stripe/agent-toolkit.git",  # the vendor's own, claimed by anyone
        "https://github.com/stripe-mcp-community/stripe-mcp",  # an organisation anyone can make
    ],
    ids=["vendor repository", "brand in another organisation"],
)
def test_a_repository_claim_does_not_make_a_brand_name_the_vendors(tmp_path: Path, repository: str) -> None:
    manifest = {"name": "stripe-mcp", "version": "1.0.0", "main": "index.js", "repository": repository}
    archive = npm_tarball(tmp_path / "stripe-mcp-1.0.0.tgz", manifest, CODE)
    report = vet_json(str(archive))
    assert severities(report, "impersonation-brand") == ["medium"]
    assert report["verdict"] == "review"


def _brand_severity(tmp_path: Path, attested: str) -> Severity:
    manifest = {"name": "stripe-mcp", "version": "1.0.0", "main": "index.js", "repository": attested}
    archive = npm_tarball(tmp_path / "stripe-mcp-1.0.0.tgz", manifest, CODE)
    package = LocalSource().fetch(Target(Ecosystem.LOCAL, archive.name, path=archive))
    package.metadata.provenance = ProvenanceResult(
        ProvenanceStatus.VERIFIED, publisher=f"npm-provenance:{attested}", repository=attested
    )
    findings = judge(Side(package, analyze_package(package.files)), None)
    (severity,) = [f.severity for f in findings if f.rule == "impersonation-brand"]
    return severity


def test_a_verified_build_in_the_brands_organisation_is_low(tmp_path: Path) -> None:
    assert _brand_severity(tmp_path, "https://github.com/stripe/agent-toolkit") is Severity.LOW
    assert _brand_severity(tmp_path, "https://github.com/stripe-mcp-community/stripe-mcp") is Severity.MEDIUM
