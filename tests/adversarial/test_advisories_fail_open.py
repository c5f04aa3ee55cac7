"""Attacks on the advisory data path that make a known-bad version read as clean, or that hold
mcpward up: a refreshed snapshot that cannot be read or that another user may write, one hostile
record in a feed (malformed, deeply nested, thousands of events), spellings of a version the
installer reads as the affected one, a package malicious in every version run without one, a
low-rated advisory, a refresh made by another process (a running registry), names the refresh
filter dropped, a zip member that inflates past what it claims.

The advisory for a package is the only thing under test: the packages are served by a loopback
registry with a placeholder archive (vet), named in a client config (scan), or requested in a
registry served on loopback."""

from __future__ import annotations

import contextlib
import json
import os
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest

from mcpward.advisories import (
    AdvisoryError,
    advisories_for,
    load_advisories,
    update_snapshot,
    user_snapshot_path,
)
from mcpward.model import Ecosystem, PackageRef
from mcpward.vet import VetOptions, run_vet
from vet_fixtures import FakeRegistry, npm_tarball, serve

MCPWARD = [sys.executable, "-m", "mcpward"]
PLACEHOLDER_JS = "module.exports = function main() { return 1; };\n"


def osv(vuln_id: str, ecosystem: str, name: str, **affected: Any) -> dict[str, Any]:
    """An OSV record as OSV's exports write them (MAL- ids are malicious packages)."""
    return {
        "schema_version": "1.6.0",
        "id": vuln_id,
        "modified": "2026-11-30T00:00:00Z",
        "published": "2026-11-29T00:00:00Z",
        "summary": f"Malicious code in {name} ({ecosystem})",
        "affected": [{"package": {"ecosystem": ecosystem, "name": name}, **affected}],
        "database_specific": {"malicious-packages-origins": [{"source": "ghsa-malware"}]},
    }


ALL_VERSIONS = {"ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}


def _vet_served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, version: str) -> Any:
    registry = FakeRegistry()
    with serve(registry) as base:
        monkeypatch.setenv("MCPWARD_NPM_REGISTRY", base)
        manifest = {"name": name, "version": version, "main": "index.js"}
        tarball = npm_tarball({"package.json": json.dumps(manifest), "index.js": PLACEHOLDER_JS})
        registry.add_npm(name, {version: tarball}, base)
        return run_vet(VetOptions(target=f"npm:{name}@{version}", cache_dir=tmp_path / "cache"))


def _scan(tmp_path: Path, servers: dict[str, Any]) -> dict[str, Any]:
    home = tmp_path / "home"
    (home / ".cursor").mkdir(parents=True, exist_ok=True)
    (home / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": servers}))
    done = subprocess.run(
        [*MCPWARD, "scan", "--home", str(home), "--os", "linux", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ,
    )
    assert done.stdout, done.stderr
    return dict(json.loads(done.stdout))


def _worst_about(report: dict[str, Any], server: str) -> list[tuple[str, str]]:
    return sorted(
        (f["rule"], f["severity"])
        for f in report["findings"]
        if f.get("server") == server and f["category"] == "known-vulnerable"
    )


# -- a refreshed snapshot that cannot be read --------------------------------------------------


def test_a_truncated_refreshed_snapshot_does_not_let_a_malicious_release_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "mal.json"
    source.write_text(json.dumps(osv("MAL-2026-9001", "npm", "mcp-server-kubernetes", **ALL_VERSIONS)))
    snapshot, count = update_snapshot([str(source)])
    assert count == 1 and snapshot == user_snapshot_path()
    # A write cut short (a full disk, a copy from another machine) leaves half a file: the
    # advisory was silently dropped with the rest of the refresh and the release passed.
    snapshot.write_bytes(snapshot.read_bytes()[:-40])
    try:
        report = _vet_served(tmp_path, monkeypatch, "mcp-server-kubernetes", "2.4.0")
    except Exception as exc:  # noqa: BLE001 - refusing to judge is the safe answer
        assert "advisor" in str(exc).lower()
    else:
        assert report.verdict != "pass"


def test_a_damaged_refreshed_snapshot_is_named_by_scan_not_hidden(tmp_path: Path) -> None:
    user_snapshot_path().parent.mkdir(parents=True, exist_ok=True)
    user_snapshot_path().write_text('{"snapshot_date": "2026-12-01", "vulns": [{"id": "MAL-2026-9')
    report = _scan(tmp_path, {"k8s": {"command": "npx", "args": ["-y", "mcp-server-kubernetes@2.4.0"]}})
    # Before: nothing about it at all, the scan said this server had no known advisory.
    assert any(severity in ("high", "critical") for _, severity in _worst_about(report, "k8s"))


# -- one hostile record in a feed ----------------------------------------------------------------

HOSTILE_RECORDS = {
    "an event with no key": {"ranges": [{"type": "SEMVER", "events": [{}]}]},
    "a number for a version": {"ranges": [{"type": "SEMVER", "events": [{"introduced": 0}]}]},
    "ranges as a string": {"ranges": "0"},
    "versions as null": {"versions": None},
    "an affected entry as a string": None,
}


@pytest.mark.parametrize("shape", sorted(HOSTILE_RECORDS))
def test_one_malformed_record_in_a_feed_does_not_blind_every_other_match(tmp_path: Path, shape: str) -> None:
    # A newer record about the same package (or, for the last shape, about any): postmark-mcp
    # 1.0.16 is in the bundled snapshot as malicious, and the scan must still say so. Before:
    # the known-vulnerable check raised on the hostile record, which the scan turned into an
    # informational "check-failed", and the malicious release had no finding above info.
    hostile = osv("GHSA-zzzz-zzzz-zzzz", "npm", "postmark-mcp", **(HOSTILE_RECORDS[shape] or {}))
    if HOSTILE_RECORDS[shape] is None:
        hostile["affected"] = ["postmark-mcp"]
    source = tmp_path / "feed.json"
    source.write_text(json.dumps([hostile]))
    with contextlib.suppress(AdvisoryError):  # refusing the feed is a fine answer too
        update_snapshot([str(source)])
    report = _scan(tmp_path, {"mail": {"command": "npx", "args": ["-y", "postmark-mcp@1.0.16"]}})
    assert ("known-vulnerable", "critical") in _worst_about(report, "mail")


_DEEPEST_ACCEPTED = """
import json, sys
from mcpward.cli import main
source, record = sys.argv[1], json.loads(sys.argv[2])
for depth in range(1000, 900, -1):
    text = json.dumps(record)[:-1] + ', "database_specific": {"x": ' + "[" * depth + "]" * depth + "}}"
    open(source, "w").write(text)
    try:
        main(["advisories", "update", "--source", source])
    except SystemExit as exit:
        if exit.code == 0:
            break
"""


def test_a_deeply_nested_record_does_not_break_later_scans(tmp_path: Path) -> None:
    # The deepest record `advisories update` accepts: its snapshot (two levels deeper) is read
    # again further down the stack, inside the scan's check. Before: a RecursionError there, so
    # "check-failed" (info) for every server and the malicious release's finding gone.
    hostile = osv("GHSA-deep-deep-deep", "npm", "evil-mcp-helper", **ALL_VERSIONS)
    subprocess.run(
        [sys.executable, "-c", _DEEPEST_ACCEPTED, str(tmp_path / "feed.json"), json.dumps(hostile)],
        capture_output=True,
        timeout=60,
        env=os.environ,
        check=False,
    )
    report = _scan(tmp_path, {"mail": {"command": "npx", "args": ["-y", "postmark-mcp@1.0.16"]}})
    assert ("known-vulnerable", "critical") in _worst_about(report, "mail")


# -- spellings of the affected version that the installer reads as that version ----------------


@pytest.mark.parametrize("spelling", ["=1.0.16", "01.0.16", "=v01.00.016", "v1.0.16", " 1.0.16"])
def test_npm_reads_these_spellings_as_the_malicious_release(spelling: str) -> None:
    # npm-package-arg and npm-pick-manifest (npm 10) resolve each of these to 1.0.16 (loose
    # semver), so `npx postmark-mcp@=1.0.16` runs the malicious release.
    ref = PackageRef(ecosystem=Ecosystem.NPM, name="postmark-mcp", version=spelling, pinned=True)
    assert [a.id for a in advisories_for(ref)] == ["MCPWARD-MAL-2025-0001"]


@pytest.mark.parametrize("spelling", ["0.3.1.0", "v0.3.1", "0.03.1", "0.3.1.0.0"])
def test_pip_reads_these_spellings_as_the_listed_release(spelling: str) -> None:
    # The langchain-chatchat record lists its affected version (0.3.1) and has no range; pip's
    # `==0.3.1.0` installs 0.3.1 (PEP 440 equality), but the list was compared as strings.
    ref = PackageRef(ecosystem=Ecosystem.PYPI, name="langchain-chatchat", version=spelling, pinned=True)
    assert [a.id for a in advisories_for(ref)] == ["CVE-2026-30617"]


def test_a_listed_npm_version_matches_with_build_metadata() -> None:
    records = [osv("MAL-2026-9002", "npm", "evil-mcp", versions=["1.2.3"])]
    ref = PackageRef(ecosystem=Ecosystem.NPM, name="evil-mcp", version="1.2.3+x", pinned=True)
    assert [a.id for a in advisories_for(ref, records)] == ["MAL-2026-9002"]


def test_scan_finds_the_malicious_release_under_another_spelling(tmp_path: Path) -> None:
    report = _scan(tmp_path, {"mail": {"command": "npx", "args": ["-y", "postmark-mcp@01.0.16"]}})
    assert ("known-vulnerable", "critical") in _worst_about(report, "mail")


# -- a refresh made by another process ---------------------------------------------------------


def test_a_long_running_process_sees_a_refresh_made_by_another(tmp_path: Path) -> None:
    first = tmp_path / "first.json"
    first.write_text(json.dumps(osv("MAL-2026-9000", "npm", "other-mcp", **ALL_VERSIONS)))
    update_snapshot([str(first)])
    ref = PackageRef(ecosystem=Ecosystem.NPM, name="mcp-server-kubernetes", version="2.4.0", pinned=True)
    assert advisories_for(ref) == []  # read once, as a registry server does at its first request
    source = tmp_path / "mal.json"
    source.write_text(json.dumps(osv("MAL-2026-9003", "npm", "mcp-server-kubernetes", **ALL_VERSIONS)))
    done = subprocess.run(
        [*MCPWARD, "advisories", "update", "--source", str(source)],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ,
    )
    assert done.returncode == 0, done.stderr
    # Before: the snapshot stayed cached as first read until the process ended.
    assert [a.id for a in advisories_for(ref)] == ["MAL-2026-9003"]


# -- names the refresh kept no record of -----------------------------------------------------


@pytest.mark.parametrize(
    "ecosystem,name",
    [("npm", "@mcpjam/inspector"), ("PyPI", "mcpo"), ("npm", "mcpdoc"), ("PyPI", "MCPAdapt")],
)
def test_the_refresh_keeps_mcp_packages_whose_name_runs_mcp_into_a_word(
    tmp_path: Path, ecosystem: str, name: str
) -> None:
    source = tmp_path / "feed.json"
    source.write_text(json.dumps([osv("GHSA-mcp0-0000-0001", ecosystem, name, **ALL_VERSIONS)]))
    _, count = update_snapshot([str(source)], tmp_path / "snap.json")
    assert count == 1
    kind = Ecosystem.NPM if ecosystem == "npm" else Ecosystem.PYPI
    ref = PackageRef(ecosystem=kind, name=name, version="1.0.0", pinned=True)
    assert [a.id for a in advisories_for(ref, load_advisories(tmp_path / "snap.json"))] == [
        "GHSA-mcp0-0000-0001"
    ]


def test_a_source_with_no_records_does_not_replace_the_refreshed_snapshot(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps([osv("MAL-2026-9004", "npm", "mcp-server-kubernetes", **ALL_VERSIONS)]))
    update_snapshot([str(good)])
    empty = tmp_path / "empty.json"
    empty.write_text("{}")  # a wrong file: an error page saved as JSON, an export of nothing
    with pytest.raises(AdvisoryError, match="no OSV records"):
        update_snapshot([str(empty)])
    ref = PackageRef(ecosystem=Ecosystem.NPM, name="mcp-server-kubernetes", version="2.4.0", pinned=True)
    assert [a.id for a in advisories_for(ref)] == ["MAL-2026-9004"]


# -- memory on a hostile export ------------------------------------------------------------------


def _zip_member_claiming(size: int, name: str, stream: bytes, method: int) -> bytes:
    """A zip of one member whose headers claim ``size`` bytes, whatever ``stream`` expands to."""
    local = struct.pack(
        "<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, method, 0, 0, 0, len(stream), size, len(name), 0
    )
    central = struct.pack(
        "<4sHHHHHHIIIHHHHHII",
        b"PK\x01\x02",
        20,
        20,
        0,
        method,
        0,
        0,
        0,
        len(stream),
        size,
        len(name),
        0,
        0,
        0,
        0,
        0,
        0,
    )
    body = local + name.encode() + stream
    directory = central + name.encode()
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(directory), len(body), 0)
    return body + directory + end


_PEAK_MEMORY = """
import sys
from mcpward.cli import main
try:
    main(["advisories", "update", "--source", sys.argv[1], "--output", sys.argv[2]])
except SystemExit:
    pass
# This program's own peak (MiB): VmHWM belongs to the memory map exec made. ru_maxrss does not:
# Linux carries the forking process's high-water mark across exec, so run after tests that had
# grown the test process to 770 MiB, the child reported that whatever it used itself.
print(next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")) // 1024)
"""


def test_a_zip_member_that_expands_past_what_it_claims_is_not_held_in_memory(tmp_path: Path) -> None:
    # A member of 1 MB claiming 100 bytes: zipfile's read() decompressed all of it (1 GiB of
    # spaces) before cutting it to the claimed size, so a 2 GB export could ask for ~2 TB.
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(b" " * (1 << 20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    stream = block * 1024 + compressor.flush()
    bomb = tmp_path / "all.zip"
    bomb.write_bytes(_zip_member_claiming(100, "MAL-2026-9005.json", stream, zipfile.ZIP_DEFLATED))
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_MEMORY, str(bomb), str(tmp_path / "snap.json")],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ,
        check=True,
    )
    assert int(done.stdout.split()[-1]) < 400, done.stdout  # MiB; the bomb is 1,024


# -- a snapshot another user may write -----------------------------------------------------------


def _plant_withdrawal(path: Path) -> None:
    """A snapshot that 'updates' the bundled mcp-remote record (CVE-2025-6514) to affect nothing:
    later modified, so the merge takes it over the bundled one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"id": "GHSA-6xpm-ggf7-wc3p", "modified": "2099-01-01T00:00:00Z", "affected": []}
    path.write_text(json.dumps({"snapshot_date": "2099-01-01", "vulns": [record]}))


MCP_REMOTE = PackageRef(ecosystem=Ecosystem.NPM, name="mcp-remote", version="0.1.15", pinned=True)


def test_a_snapshot_others_may_write_is_not_taken(tmp_path: Path) -> None:
    # MCPWARD_DATA_DIR set to a shared folder: another user's group- or world-writable file
    # there withdrew the bundled advisory of mcp-remote 0.1.15, and scan and vet said nothing.
    snapshot = user_snapshot_path()
    _plant_withdrawal(snapshot)
    snapshot.chmod(0o666)
    with pytest.raises(AdvisoryError, match="another user"):
        advisories_for(MCP_REMOTE)
    snapshot.chmod(0o600)
    assert advisories_for(MCP_REMOTE) == []  # the user's own file is the user's to decide


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give a file away")
def test_a_snapshot_of_another_user_is_not_taken(tmp_path: Path) -> None:
    # Written by another account (here: nobody) into a folder both may write, 0644.
    snapshot = user_snapshot_path()
    _plant_withdrawal(snapshot)
    os.chown(snapshot, 65534, 65534)
    snapshot.chmod(0o644)
    with pytest.raises(AdvisoryError, match="another user"):
        advisories_for(MCP_REMOTE)


# -- a package malicious in every version, run without a version ------------------------------


@pytest.mark.parametrize("spec", ["@evil/mcp-helper", "@evil/mcp-helper@latest", "@evil/mcp-helper@^1.0.0"])
def test_a_package_malicious_in_every_version_is_found_however_it_is_run(tmp_path: Path, spec: str) -> None:
    # OSV's malicious-package records cover every version (introduced 0, no end): whatever npx
    # installs is malicious. Before: only an exact version was looked up, and most configs name
    # none, so `npx -y @evil/mcp-helper` had no finding.
    source = tmp_path / "mal.json"
    source.write_text(json.dumps(osv("MAL-2026-9006", "npm", "@evil/mcp-helper", **ALL_VERSIONS)))
    update_snapshot([str(source)])
    report = _scan(tmp_path, {"helper": {"command": "npx", "args": ["-y", spec]}})
    assert ("known-vulnerable", "critical") in _worst_about(report, "helper")


def test_a_range_of_versions_is_not_taken_for_every_version() -> None:
    # mcp-remote's CVE covers 0.0.5 to before 0.1.16: an unpinned mcp-remote may be fixed.
    assert advisories_for(PackageRef(ecosystem=Ecosystem.NPM, name="mcp-remote", version=None)) == []


def test_a_refresh_replacing_the_snapshot_while_it_is_read_is_not_an_error(tmp_path: Path) -> None:
    # Reading through the descriptor checked against the stat'ed file (above) refused a file
    # replaced in between; a scheduled refresh beside a busy registry must not fail decisions.
    import threading

    snapshot = user_snapshot_path()
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    versions = [
        json.dumps(
            {"vulns": [osv(f"MAL-2026-{n}", "npm", "mcp-server-kubernetes", **ALL_VERSIONS)] * (n % 7 + 1)}
        )
        for n in range(9100, 9110)
    ]
    snapshot.write_text(versions[0])
    snapshot.chmod(0o600)
    done = threading.Event()

    def refresh() -> None:
        for n in range(200):
            partial = snapshot.with_name(f"advisories.{n}.tmp")
            partial.write_text(versions[n % len(versions)])
            partial.chmod(0o600)
            os.replace(partial, snapshot)
        done.set()

    writer = threading.Thread(target=refresh)
    writer.start()
    errors = []
    ref = PackageRef(ecosystem=Ecosystem.NPM, name="mcp-server-kubernetes", version="2.4.0", pinned=True)
    while not done.is_set():
        try:
            assert len(advisories_for(ref)) == 1
        except AdvisoryError as exc:
            errors.append(str(exc))
    writer.join()
    assert errors == []


# -- an advisory of low severity -----------------------------------------------------------------


@pytest.mark.parametrize("label", ["LOW", "INFO"])
def test_a_low_advisory_does_not_leave_the_verdict_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, label: str
) -> None:
    # GitHub rates many advisories LOW; vet's verdict passes low and info findings, so a version
    # with a published advisory was `pass`, which SECURITY.md says it never is.
    record = osv("GHSA-low0-0000-0001", "npm", "mcp-server-kubernetes", **ALL_VERSIONS)
    record["summary"] = "Regular expression denial of service in a helper"
    record["database_specific"] = {"severity": label}
    source = tmp_path / "feed.json"
    source.write_text(json.dumps(record))
    update_snapshot([str(source)])
    report = _vet_served(tmp_path, monkeypatch, "mcp-server-kubernetes", "2.4.0")
    assert [f.rule for f in report.findings if f.rule == "known-advisory"] == ["known-advisory"]
    assert report.verdict != "pass"


# -- time on a record with many events -----------------------------------------------------------


def test_a_record_with_many_events_does_not_hold_vet_for_minutes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # vet looks up to 500 later releases for the nearest safe one; each lookup sorted and parsed
    # every event again: 2,000 events and 600 releases took 22 s, 20,000 events 200 s.
    events: list[dict[str, str]] = [{"introduced": "0"}]
    events += [{"fixed" if i % 2 else "introduced": f"{1000 + i}.0.0"} for i in range(1500)]
    record = osv(
        "GHSA-many-0000-0001", "npm", "mcp-server-kubernetes", ranges=[{"type": "SEMVER", "events": events}]
    )
    record["database_specific"] = {"severity": "HIGH"}
    source = tmp_path / "feed.json"
    source.write_text(json.dumps(record))
    update_snapshot([str(source)])
    registry = FakeRegistry()
    name = "mcp-server-kubernetes"
    with serve(registry) as base:
        monkeypatch.setenv("MCPWARD_NPM_REGISTRY", base)
        tarballs = {}
        for minor in range(400):
            manifest = {"name": name, "version": f"1.{minor}.0", "main": "index.js"}
            tarballs[f"1.{minor}.0"] = npm_tarball(
                {"package.json": json.dumps(manifest), "index.js": PLACEHOLDER_JS}
            )
        registry.add_npm(name, tarballs, base)
        started = time.monotonic()
        report = run_vet(VetOptions(target=f"npm:{name}@1.0.0", cache_dir=tmp_path / "cache"))
        elapsed = time.monotonic() - started
    assert report.verdict == "review"
    assert elapsed < 4, elapsed


def test_a_record_with_more_events_than_any_real_one_is_left_out(tmp_path: Path) -> None:
    events = [{"introduced": "0"}] + [
        {"fixed" if i % 2 else "introduced": f"{i}.0.0"} for i in range(1, 20001)
    ]
    source = tmp_path / "feed.json"
    source.write_text(
        json.dumps(
            osv("GHSA-many-0000-0002", "npm", "evil-mcp", ranges=[{"type": "SEMVER", "events": events}])
        )
    )
    assert update_snapshot([str(source)], tmp_path / "snap.json")[1] == 0


def test_null_fields_in_a_record_are_read_as_empty(tmp_path: Path) -> None:
    # Tools that write OSV emit null for an empty list; such a record must still match (the
    # shape check of this file's first fix left it out, and the matching raised on it before).
    record = osv("MAL-2026-9007", "npm", "evil-mcp", **ALL_VERSIONS)
    record |= {"references": None, "aliases": None}
    record["affected"][0] |= {"versions": None}
    source = tmp_path / "feed.json"
    source.write_text(json.dumps(record))
    update_snapshot([str(source)])
    ref = PackageRef(ecosystem=Ecosystem.NPM, name="evil-mcp", version="1.0.0", pinned=True)
    assert [a.id for a in advisories_for(ref)] == ["MAL-2026-9007"]


def test_a_running_registry_refuses_an_approval_after_another_process_refreshed(
    registry: Any, live_server: str, tmp_path: Path
) -> None:
    # The registry server looks advisories up again at every decision; it read the snapshot
    # once and kept it, so a malicious-package advisory refreshed by cron did not stop a
    # reviewer's one-click approval of a release requested (and vetted clean) before it.
    import httpx

    from mcpward.registry import Identity, Role, Status
    from test_registry import package_request

    first = tmp_path / "first.json"
    first.write_text(json.dumps(osv("MAL-2026-9000", "npm", "other-mcp", **ALL_VERSIONS)))
    update_snapshot([str(first)])
    identity = Identity(kind="package", ecosystem="npm", name="mcp-server-kubernetes", version="2.4.0")
    entry = registry.request(package_request(name="k8s", identity=identity), "alice")
    assert entry.advisories == ()
    source = tmp_path / "mal.json"
    source.write_text(json.dumps(osv("MAL-2026-9008", "npm", "mcp-server-kubernetes", **ALL_VERSIONS)))
    refreshed = subprocess.run(
        [*MCPWARD, "advisories", "update", "--source", str(source)],
        capture_output=True,
        timeout=60,
        env=os.environ,
    )
    assert refreshed.returncode == 0
    token = registry.create_token("reviewer-1", Role.REVIEWER, "setup")
    with httpx.Client(base_url=live_server, timeout=30) as client:
        answer = client.post(
            f"/api/entries/{entry.id}/approve",
            json={"rationale": "vetted clean"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 422 and "MAL-2026-9008" in answer.text
    assert registry.get(entry.id).status is Status.REQUESTED


@pytest.mark.parametrize("spelling", ["LiteLLM", "Langchain_Chatchat"])
def test_the_refresh_keeps_a_platform_package_spelled_otherwise(tmp_path: Path, spelling: str) -> None:
    # PyPI names are compared normalised (PEP 503) when matched, but the refresh kept a platform
    # package's record only under the exact spelling of mcpward's list: GHSA spells some
    # packages as their project does, and the advisory was dropped at refresh.
    source = tmp_path / "feed.json"
    source.write_text(
        json.dumps(
            osv(
                "GHSA-plat-0000-0001",
                "PyPI",
                spelling,
                ranges=[{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "99.0"}]}],
            )
        )
    )
    assert update_snapshot([str(source)], tmp_path / "snap.json")[1] == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_in_place_of_the_snapshot_is_refused_without_waiting(tmp_path: Path) -> None:
    user_snapshot_path().parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(user_snapshot_path(), 0o600)
    # Opened for reading, a FIFO blocks until a writer comes: every scan and vet would hang.
    code = (
        "from mcpward.advisories import AdvisoryError, load_advisories\n"
        "try:\n    load_advisories()\nexcept AdvisoryError as exc:\n    print(exc)\n"
    )
    refused = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, env=os.environ
    )
    assert "not a regular file" in refused.stdout


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_a_folder_export_with_a_link_to_a_device_is_refused_not_read_for_ever(tmp_path: Path) -> None:
    # An unpacked export (a tarball keeps links) with `x.json -> /dev/zero`: its size reads 0, so
    # the bound passed, and read_bytes() filled memory until the process died.
    export = tmp_path / "export"
    export.mkdir()
    (export / "GHSA-good.json").write_text(
        json.dumps(osv("GHSA-good-0000-0001", "npm", "evil-mcp", **ALL_VERSIONS))
    )
    (export / "zz.json").symlink_to("/dev/zero")
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
        "from mcpward.advisories import AdvisoryError, update_snapshot\n"
        "try:\n    update_snapshot([sys.argv[1]], __import__('pathlib').Path(sys.argv[2]))\n"
        "except AdvisoryError as exc:\n    print('refused:', exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(export), str(tmp_path / "snap.json")],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ,
    )
    assert "refused:" in done.stdout and "not a regular file" in done.stdout, done.stderr[-500:]


def test_advisories_are_not_fetched_over_plain_http_off_this_machine(tmp_path: Path) -> None:
    """Anyone on the path could rewrite a plain-http answer: a record with a later ``modified``
    replaces the bundled one, so a forged "affects nothing" silenced a malicious package. The
    source is refused before any connection (a name that does not resolve, so nothing is sent)."""
    snapshot = tmp_path / "advisories.json"
    snapshot.write_text('{"vulns": []}')
    done = subprocess.run(
        [sys.executable, "-m", "mcpward", "advisories", "update", "--source",
         "HTTP://advisories.example.invalid/npm/all.zip", "--output", str(snapshot)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0 and "https only" in done.stderr and "Traceback" not in done.stderr
    assert snapshot.read_text() == '{"vulns": []}'


def test_a_refresh_that_cannot_be_written_leaves_the_old_snapshot_and_nothing_beside_it(
    tmp_path: Path,
) -> None:
    """A full disk mid-write (the child may write 4 KB a file): the old snapshot stands, the
    command says why in one line, and no partial ``.tmp`` is left in the data folder."""
    import resource
    import signal

    folder = tmp_path / "data"
    folder.mkdir()
    snapshot = folder / "advisories.json"
    snapshot.write_text('{"vulns": []}')
    source = tmp_path / "source.json"
    records = [osv(f"MAL-2026-{n}", "npm", f"evil-mcp-{n}", **ALL_VERSIONS) for n in range(9100, 9200)]
    source.write_text(json.dumps({"vulns": records}))

    def full_disk() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    done = subprocess.run(
        [*MCPWARD, "advisories", "update", "--source", str(source), "--output", str(snapshot)],
        capture_output=True, text=True, timeout=60, preexec_fn=full_disk,
    )  # fmt: skip
    assert done.returncode != 0 and "cannot write" in done.stderr and "Traceback" not in done.stderr
    assert snapshot.read_text() == '{"vulns": []}'
    assert sorted(path.name for path in folder.iterdir()) == ["advisories.json"]
