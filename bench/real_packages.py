"""Vet real, popular MCP server packages: each current release against the one before it.

    python bench/real_packages.py --fetch       # download into tests/data/packages (online)
    python bench/real_packages.py               # vet them offline, print verdicts and timings
    python bench/real_packages.py --guarddog    # also time GuardDog on the same archives

The fixture folder is a trimmed mcpward package cache: each package's registry metadata keeps
only the two versions vetted, and the archives are the registry's own, checked against the
registry's integrity hashes when they were fetched and again at every run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "data" / "packages"
RECORD = ROOT / "tests" / "data" / "real_packages.json"

#: Popular MCP servers: the official reference servers, vendors' servers, community favourites.
PACKAGES = (
    "npm:@modelcontextprotocol/server-filesystem",
    "npm:@modelcontextprotocol/server-memory",
    "npm:@modelcontextprotocol/server-everything",
    "npm:@modelcontextprotocol/server-sequential-thinking",
    "npm:@modelcontextprotocol/server-github",
    "npm:@modelcontextprotocol/server-postgres",
    "npm:@modelcontextprotocol/server-puppeteer",
    "npm:@playwright/mcp",
    "npm:@upstash/context7-mcp",
    "npm:@notionhq/notion-mcp-server",
    "npm:mcp-remote",
    "npm:tavily-mcp",
    "npm:firecrawl-mcp",
    "npm:@supabase/mcp-server-supabase",
    "npm:@heroku/mcp-server",
    "npm:@stripe/mcp",
    "pypi:mcp-server-fetch",
    "pypi:mcp-server-git",
    "pypi:mcp-server-time",
    "pypi:awslabs.aws-documentation-mcp-server",
    "pypi:mcp-atlassian",
    "pypi:mcp-server-qdrant",
)


def fetch() -> None:
    """Vet each package online into a scratch cache, then keep the two versions as fixtures."""
    from mcpward.vet import VetOptions, run_vet

    scratch = Path(tempfile.mkdtemp(prefix="mcpward-fetch-"))
    record = []
    for target in PACKAGES:
        report = run_vet(VetOptions(target=target, cache_dir=scratch))
        record.append({"target": target, "subject": report.subject})
        print(f"fetched {report.subject}")
    if FIXTURES.exists():
        shutil.rmtree(FIXTURES)
    for entry in record:
        _keep(scratch, entry["subject"], entry["target"])
    shutil.rmtree(scratch)
    RECORD.write_text(json.dumps({"packages": record}, indent=1) + "\n")


def _keep(scratch: Path, subject: str, target: str) -> None:
    ecosystem, name = target.split(":", 1)
    versions = [part.split("==")[-1].rsplit("@", 1)[-1] for part in subject.split(" against ")]
    versions = [v.split(" ")[0] for v in versions]
    source = next(
        p.parent
        for p in scratch.rglob("packument.json" if ecosystem == "npm" else "project.json")
        if _matches(p, ecosystem, name)
    )
    target_dir = FIXTURES / source.relative_to(scratch)
    target_dir.mkdir(parents=True, exist_ok=True)
    metadata_name = "packument.json" if ecosystem == "npm" else "project.json"
    document = json.loads((source / metadata_name).read_text())
    if ecosystem == "npm":
        document["versions"] = {v: document["versions"][v] for v in versions}
        document["time"] = {v: document.get("time", {}).get(v) for v in versions}
        for archive in versions:
            shutil.copy2(source / f"{archive}.tgz", target_dir / f"{archive}.tgz")
    else:
        document["releases"] = {v: document["releases"][v] for v in versions}
        document["info"] = {k: document["info"].get(k) for k in ("name", "version", "author", "maintainer")}
        for files in document["releases"].values():
            for item in files:
                if (source / item["filename"]).exists():
                    shutil.copy2(source / item["filename"], target_dir / item["filename"])
    document.pop("readme", None)
    (target_dir / metadata_name).write_text(json.dumps(document, separators=(",", ":")))


def _matches(path: Path, ecosystem: str, name: str) -> bool:
    from mcpward.vet._sources.registry import _Cache

    cache = _Cache(Path("/"), offline=True)
    if ecosystem == "npm":
        return path.parent.name == cache.path("x", name).name and path.parent.parent.name == "npm"
    from packaging.utils import canonicalize_name

    return path.parent.name == canonicalize_name(name) and path.parent.parent.name == "pypi"


def vet_all(cache: Path) -> list[tuple[str, str, float, list[str]]]:
    from mcpward.model import Severity
    from mcpward.vet import VetOptions, run_vet

    results = []
    for target in PACKAGES:
        started = time.perf_counter()
        report = run_vet(VetOptions(target=target, offline=True, cache_dir=cache))
        elapsed = time.perf_counter() - started
        serious = [
            f"{f.severity.value} {f.rule}" for f in report.findings if f.severity.rank >= Severity.HIGH.rank
        ]
        results.append((report.subject, report.verdict or "", elapsed, serious))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fetch", action="store_true", help="download the packages into the fixtures")
    parser.add_argument("--guarddog", action="store_true", help="also time GuardDog on the same archives")
    args = parser.parse_args()
    if args.fetch:
        fetch()
        return
    cache = Path(tempfile.mkdtemp(prefix="mcpward-bench-"))
    shutil.copytree(FIXTURES, cache, dirs_exist_ok=True)
    results = vet_all(cache)
    for subject, verdict, elapsed, serious in results:
        print(f"{verdict:7s} {elapsed * 1000:7.1f} ms  {subject}  {'; '.join(serious)}")
    median = statistics.median(r[2] for r in results)
    print(f"median per package (target and baseline): {median * 1000:.1f} ms over {len(results)} packages")
    if args.guarddog:
        _guarddog(cache, median)
    shutil.rmtree(cache)


def _archives(cache: Path) -> list[tuple[Path, Path]]:
    """(target archive, baseline archive) of each package in the fixture cache, newest first."""
    from mcpward.vet._sources.registry import _pep440_key, _previous, _semver_key

    pairs = []
    for folder in sorted(p for p in cache.glob("*/*") if p.is_dir()):
        archives = [p for p in folder.iterdir() if p.suffix in (".tgz", ".whl")]
        key = _semver_key if folder.parent.name == "npm" else _pep440_key
        versions = {_archive_version(p): p for p in archives}
        newest = max(versions, key=lambda v: key(v))
        previous = _previous(newest, list(versions), key)
        if previous is not None:
            pairs.append((versions[newest], versions[previous]))
    return pairs


def _archive_version(path: Path) -> str:
    return path.stem if path.suffix == ".tgz" else path.name.split("-")[1]


def _timed(command: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    return time.perf_counter() - started, done


def _guarddog(cache: Path, mcpward_median: float) -> None:
    guarddog = shutil.which("guarddog")
    if guarddog is None:
        print("GuardDog not installed: pip install guarddog", file=sys.stderr)
        return
    _incident_comparison(guarddog)
    mcpward = shutil.which("mcpward") or str(Path(sys.executable).with_name("mcpward"))
    ours, theirs = [], []
    pairs = _archives(cache)
    for target, baseline in pairs:
        ecosystem = "npm" if target.suffix == ".tgz" else "pypi"
        elapsed, done = _timed(
            [
                mcpward,
                "vet",
                str(target),
                "--baseline",
                str(baseline),
                "-f",
                "json",
                "--cache-dir",
                str(cache),
            ]
        )
        assert done.returncode in (0, 1), done.stderr
        ours.append(elapsed)
        elapsed, _ = _timed([guarddog, ecosystem, "scan", str(target)])
        theirs.append(elapsed)
    version = subprocess.run(
        [guarddog, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    ours_median, theirs_median = statistics.median(ours), statistics.median(theirs)
    print(f"{len(pairs)} local archive pairs; each a separate process, start-up included:")
    print(f"  mcpward vet TARGET --baseline PREVIOUS: median {ours_median * 1000:7.1f} ms per package")
    print(f"  GuardDog {version} scan TARGET:           median {theirs_median * 1000:7.1f} ms per package")
    print(
        f"  GuardDog / mcpward: {theirs_median / ours_median:.1f}x (in-process mcpward: "
        f"{theirs_median / mcpward_median:.1f}x)"
    )


def _incident_comparison(guarddog: str) -> None:
    """Both tools on the incident fixture: the clean release and the one adding a Bcc."""
    import tarfile

    from mcpward.vet import VetOptions, run_vet

    incident = ROOT / "tests" / "data" / "incident"
    work = Path(tempfile.mkdtemp(prefix="mcpward-incident-"))
    archives = {}
    for version in ("1.0.0", "1.0.1", "1.0.2"):
        archive = work / f"mailer-mcp-{version}.tgz"
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(incident / version, arcname="package")
        archives[version] = archive
    for version, baseline in (("1.0.1", "1.0.0"), ("1.0.2", "1.0.1")):
        done = subprocess.run(
            [guarddog, "npm", "scan", str(archives[version])], capture_output=True, text=True, check=False
        )
        assessment = next((line.strip() for line in done.stdout.splitlines() if "Assessment" in line), "?")
        report = run_vet(
            VetOptions(
                target=str(archives[version]), baseline=str(archives[baseline]), cache_dir=work / "cache"
            )
        )
        critical = [f.evidence for f in report.findings if f.severity.value == "critical"]
        print(f"incident {version}: GuardDog {assessment}; mcpward {report.verdict} {critical}")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
