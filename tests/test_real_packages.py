"""Real, popular MCP server packages (fixtures saved from the npm registry and PyPI): each
current release vetted against the one before it, offline, must not be blocked and must
raise no critical or high finding. False alarms here would make users turn vet off."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from mcpward.model import Severity
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


@pytest.mark.parametrize("target", PACKAGES)
def test_current_release_is_not_blocked(cache: Path, target: str) -> None:
    report = run_vet(VetOptions(target=target, offline=True, cache_dir=cache))
    assert " against " in report.subject  # vetted against its previous release
    serious = [(f.rule, f.message) for f in report.findings if f.severity.rank >= Severity.HIGH.rank]
    assert serious == []
    assert report.verdict != "block"


ARCHIVES = sorted(p for p in FIXTURES.glob("*/*/*") if p.suffix in (".tgz", ".whl"))


def test_both_releases_of_every_package_are_there() -> None:
    assert len(ARCHIVES) == 2 * len(PACKAGES)


@pytest.mark.parametrize("archive", ARCHIVES, ids=[f"{p.parent.name}/{p.name}" for p in ARCHIVES])
def test_every_release_on_first_look_has_no_serious_finding(cache: Path, archive: Path) -> None:
    """Seen for the first time (no earlier version to compare with), as most packages a
    registry is asked to approve are: the threat rules must not cry wolf on real servers."""
    report = run_vet(VetOptions(target=str(archive), offline=True, cache_dir=cache))
    assert "(no baseline)" in report.subject
    serious = [(f.rule, f.message) for f in report.findings if f.severity.rank >= Severity.HIGH.rank]
    assert serious == []
    assert report.verdict != "block"
