"""``vet`` checks the target against the OSV snapshot ``scan`` uses (and its refreshed copy): a
version with a published advisory is never ``pass``, and ``registry request`` stores why.

The affected versions are not in the offline package cache, and their code is not what these
tests are about: a loopback registry serves the real names and versions with a placeholder
archive of our own, so the verdict comes from the advisory part alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mcpward.model import Category, Severity
from mcpward.vet import VetOptions, run_vet
from vet_fixtures import FakeRegistry, npm_tarball, serve

PLACEHOLDER = {
    "package.json": json.dumps({"name": "placeholder", "version": "0.0.0", "main": "index.js"}),
    "index.js": "module.exports = function main() { return 1; };\n",
}


def _vet_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, versions: list[str], target: str
) -> Any:
    registry = FakeRegistry()
    with serve(registry) as base:
        monkeypatch.setenv("MCPWARD_NPM_REGISTRY", base)
        tarballs = {}
        for version in versions:
            manifest = {"name": name, "version": version, "main": "index.js"}
            tarballs[version] = npm_tarball({**PLACEHOLDER, "package.json": json.dumps(manifest)})
        registry.add_npm(name, tarballs, base)
        return run_vet(VetOptions(target=target, cache_dir=tmp_path / "cache"))


def _advisories(report: Any) -> list[Any]:
    return [f for f in report.findings if f.rule == "known-advisory"]


def test_mcp_remote_with_cve_2025_6514_is_blocked_and_names_the_safe_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _vet_served(
        tmp_path, monkeypatch, "mcp-remote", ["0.1.14", "0.1.15", "0.1.16", "0.1.17"], "npm:mcp-remote@0.1.15"
    )
    assert report.verdict != "pass"
    (finding,) = _advisories(report)
    assert "CVE-2025-6514" in finding.identifiers and "CVE-2025-6514" in finding.message
    assert finding.category is Category.KNOWN_VULNERABLE
    assert finding.severity is Severity.CRITICAL and report.verdict == "block"
    assert "fixed in 0.1.16" in finding.message
    assert "mcp-remote@0.1.16" in finding.remediation  # the nearest release no advisory affects


def test_filesystem_server_with_two_high_cves_needs_review(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "@modelcontextprotocol/server-filesystem"
    report = _vet_served(
        tmp_path, monkeypatch, name, ["2025.3.28", "2025.7.1", "2025.7.29"], f"npm:{name}@2025.3.28"
    )
    assert report.verdict == "review"
    found = _advisories(report)
    assert sorted(i for f in found for i in f.identifiers if i.startswith("CVE")) == [
        "CVE-2025-53109",
        "CVE-2025-53110",
    ]
    assert all(f.severity is Severity.HIGH for f in found)
    assert all(f"{name}@2025.7.1" in f.remediation for f in found)


def test_the_fixed_release_has_no_advisory_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = _vet_served(tmp_path, monkeypatch, "mcp-remote", ["0.1.15", "0.1.16"], "npm:mcp-remote@0.1.16")
    assert _advisories(report) == []


def _refreshed_snapshot(records: list[dict[str, Any]]) -> None:
    import os

    path = Path(os.environ["MCPWARD_DATA_DIR"]) / "advisories.json"
    path.write_text(json.dumps({"vulns": records}))


def test_a_malicious_package_advisory_in_the_refreshed_snapshot_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _refreshed_snapshot(
        [
            {
                "id": "MAL-2099-1",
                "modified": "2099-01-01T00:00:00Z",
                "summary": "Malicious code in weather-forecast-mcp (npm)",
                "affected": [
                    {
                        "package": {"ecosystem": "npm", "name": "weather-forecast-mcp"},
                        "versions": ["1.0.1"],
                    }
                ],
            }
        ]
    )
    report = _vet_served(
        tmp_path, monkeypatch, "weather-forecast-mcp", ["1.0.0", "1.0.1"], "npm:weather-forecast-mcp@1.0.1"
    )
    (finding,) = _advisories(report)
    assert report.verdict == "block" and finding.severity is Severity.CRITICAL
    assert "known malicious package" in finding.message and "MAL-2099-1" in finding.identifiers


def test_registry_request_stores_and_shows_the_advisory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Any
) -> None:
    registry = FakeRegistry()
    with serve(registry) as base:
        monkeypatch.setenv("MCPWARD_NPM_REGISTRY", base)
        tarballs = {
            v: npm_tarball(
                {
                    **PLACEHOLDER,
                    "package.json": json.dumps({"name": "mcp-remote", "version": v, "main": "index.js"}),
                }
            )
            for v in ("0.1.15", "0.1.16")
        }
        registry.add_npm("mcp-remote", tarballs, base)
        database = f"sqlite:///{tmp_path / 'registry.db'}"
        result = cli(
            "registry", "request", "npm:mcp-remote@0.1.15", "--owner", "team-devtools",
            "--reads", "project files", "--cache-dir", str(tmp_path / "cache"), "--as", "alice",
            "--database", database, "--format", "json",
        )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    entry = result.json()
    assert entry["vet"]["verdict"] == "block"
    (stored,) = [f for f in entry["vet"]["findings"] if f["rule"] == "known-advisory"]
    assert "CVE-2025-6514" in stored["message"] and "mcp-remote@0.1.16" in stored["remediation"]
    shown = cli("registry", "show", str(entry["id"]), "--database", database)
    assert shown.exit_code == 0, shown.stderr
    assert "CVE-2025-6514" in shown.stdout
