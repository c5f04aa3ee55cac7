"""Real, popular MCP server packages (fixtures saved from the npm registry and PyPI): each
current release vetted against the one before it, offline, must not be blocked and must
raise no critical or high finding. False alarms here would make users turn vet off."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from mcpward.model import Report, Severity
from mcpward.vet import VetOptions, run_vet

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from real_packages import FIXTURES, PACKAGES, RECORD  # noqa: E402


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("cache")
    shutil.copytree(FIXTURES, target, dirs_exist_ok=True)
    return target


def test_at_least_twenty_packages_with_the_reference_servers() -> None:
    assert len(PACKAGES) >= 20
    assert sum(p.startswith("npm:@modelcontextprotocol/") for p in PACKAGES) >= 5
    recorded = [entry["target"] for entry in json.loads(RECORD.read_text())["packages"]]
    assert recorded == list(PACKAGES)


def _no_serious_finding(report: Report) -> None:
    serious = [(f.rule, f.message) for f in report.findings if f.severity.rank >= Severity.HIGH.rank]
    assert serious == []
    assert report.verdict != "block"


ARCHIVES = sorted(p for p in FIXTURES.glob("*/*/*") if p.suffix in (".tgz", ".whl"))


def _archives(target: str) -> list[Path]:
    ecosystem, name = target.split(":", 1)
    folder = name.replace("/", "_") if ecosystem == "npm" else re.sub(r"[-_.]+", "-", name).lower()
    return [p for p in ARCHIVES if p.parent.parent.name == ecosystem and p.parent.name == folder]


def test_both_releases_of_every_package_are_there() -> None:
    assert len(ARCHIVES) == 2 * len(PACKAGES)
    assert all(len(_archives(target)) == 2 for target in PACKAGES)


@pytest.mark.parametrize("target", PACKAGES)
def test_no_serious_finding_on_first_look_nor_against_the_release_before(cache: Path, target: str) -> None:
    """Each release seen for the first time (no earlier version to compare with), as most
    packages a registry is asked to approve are: the threat rules must not cry wolf on real
    servers. Then the current release against the one before it: not blocked either. (One
    test for the three, so that the comparison finds both releases analysed already.)"""
    archives = _archives(target)
    assert len(archives) == 2
    for archive in archives:
        report = run_vet(VetOptions(target=str(archive), offline=True, cache_dir=cache))
        assert "(no baseline)" in report.subject, archive.name
        _no_serious_finding(report)
    report = run_vet(VetOptions(target=target, offline=True, cache_dir=cache))
    assert " against " in report.subject  # vetted against its previous release
    _no_serious_finding(report)
