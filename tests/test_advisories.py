"""The offline OSV snapshot: range semantics, and refreshing it from local OSV exports."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from mcpward.advisories import AdvisoryError, advisories_for, load_advisories, update_snapshot
from mcpward.model import Ecosystem, PackageRef, Severity


def npm(name: str, version: str | None) -> PackageRef:
    return PackageRef(ecosystem=Ecosystem.NPM, name=name, version=version, pinned=version is not None)


def record(
    vuln_id: str, ecosystem: str, name: str, events: list[dict[str, str]], **extra: object
) -> dict[str, object]:
    return {
        "id": vuln_id,
        "modified": "2026-01-01T00:00:00Z",
        "summary": f"{vuln_id} summary",
        "affected": [
            {
                "package": {"ecosystem": ecosystem, "name": name},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
            }
        ],
        **extra,
    }


@pytest.mark.parametrize(
    "version,hit",
    [
        ("0.0.4", False),
        ("0.0.5", True),
        ("0.1.15", True),
        ("0.1.16", False),
        ("0.1.29", False),
        ("v0.1.10", True),
    ],
)
def test_bundled_mcp_remote_advisory_range(version: str, hit: bool) -> None:
    ids = [a.id for a in advisories_for(npm("mcp-remote", version))]
    assert (ids == ["GHSA-6xpm-ggf7-wc3p"]) is hit


def test_ranges_last_affected_multiple_ranges_and_pypi_normalisation() -> None:
    records = [
        record(
            "X-1",
            "npm",
            "pkg",
            [
                {"introduced": "1.0.0"},
                {"last_affected": "1.2.0"},
                {"introduced": "2.0.0"},
                {"fixed": "2.1.0"},
            ],
        ),
        record(
            "X-2",
            "PyPI",
            "Some_Package",
            [{"introduced": "0"}, {"fixed": "1.0rc1"}],
            database_specific={"severity": "MODERATE"},
        ),
        {
            "id": "X-3",
            "affected": [{"package": {"ecosystem": "npm", "name": "pkg"}, "versions": ["3.0.0-beta.1"]}],
        },
    ]
    hits = {
        v: [a.id for a in advisories_for(npm("pkg", v), records)]
        for v in ("0.9.0", "1.0.0", "1.2.0", "1.2.1", "2.0.5", "2.1.0", "3.0.0-beta.1", "not-a-version")
    }
    assert hits == {
        "0.9.0": [],
        "1.0.0": ["X-1"],
        "1.2.0": ["X-1"],
        "1.2.1": [],
        "2.0.5": ["X-1"],
        "2.1.0": [],
        "3.0.0-beta.1": ["X-3"],
        "not-a-version": [],
    }
    py = PackageRef(ecosystem=Ecosystem.PYPI, name="some-package", version="0.9", pinned=True)
    [advisory] = advisories_for(py, records)
    assert advisory.severity is Severity.MEDIUM and advisory.fixed == ("1.0rc1",)
    assert (
        advisories_for(
            PackageRef(ecosystem=Ecosystem.PYPI, name="some-package", version="1.0", pinned=True), records
        )
        == []
    )


def test_update_from_a_local_osv_zip_keeps_only_mcp_records(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "GHSA-new1.json",
            json.dumps(
                record("GHSA-new1", "npm", "mcp-server-kubernetes", [{"introduced": "0"}, {"fixed": "2.5.0"}])
            ),
        )
        archive.writestr(
            "GHSA-other.json", json.dumps(record("GHSA-other", "npm", "left-pad", [{"introduced": "0"}]))
        )
        archive.writestr(
            "MAL-2026-1.json",
            json.dumps(record("MAL-2026-1", "npm", "@evil/mcp-helper", [{"introduced": "0"}])),
        )
        archive.writestr("README.txt", "not json")
    export = tmp_path / "all.zip"
    export.write_bytes(buffer.getvalue())
    pypi = tmp_path / "pypi.json"
    pypi.write_text(
        json.dumps([record("PYSEC-1", "PyPI", "fastmcp", [{"introduced": "0"}, {"fixed": "2.0.0"}])])
    )
    target = tmp_path / "snap.json"

    written, count = update_snapshot([str(export), str(pypi)], target)
    assert (written, count) == (target, 3)
    ids = {r["id"] for r in json.loads(target.read_text())["vulns"]}
    assert ids == {"GHSA-new1", "MAL-2026-1", "PYSEC-1"}

    merged = load_advisories(target)
    assert {"GHSA-new1", "GHSA-6xpm-ggf7-wc3p"} <= {r["id"] for r in merged}  # bundled records stay
    [malicious] = advisories_for(npm("@evil/mcp-helper", "1.0.0"), merged)
    assert malicious.malicious and malicious.severity is Severity.CRITICAL


def test_refreshed_snapshot_in_the_data_folder_is_used_by_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MCPWARD_DATA_DIR", str(tmp_path / "data"))
    source = tmp_path / "one.json"
    source.write_text(
        json.dumps(
            record("GHSA-k8s", "npm", "mcp-server-kubernetes", [{"introduced": "0"}, {"fixed": "2.5.0"}])
        )
    )
    result = cli("advisories", "update", "--source", str(source))
    assert result.exit_code == 0 and "wrote 1 MCP advisories" in result.stdout
    home = tmp_path / "home"
    (home / ".cursor").mkdir(parents=True)
    (home / ".cursor" / "mcp.json").write_text(
        json.dumps({"mcpServers": {"k8s": {"command": "npx", "args": ["-y", "mcp-server-kubernetes@2.4.0"]}}})
    )
    data = cli("scan", "--home", str(home), "--os", "linux", "--format", "json").json()
    assert [f["identifiers"] for f in data["findings"] if f["rule"] == "known-vulnerable"] == [["GHSA-k8s"]]


@pytest.mark.parametrize(
    "content,message",
    [
        (b"PK\x03\x04garbage", "not a readable zip archive"),
        (b"{not json", "not OSV JSON"),
    ],
)
def test_bad_sources_give_clear_errors_and_keep_the_old_snapshot(
    tmp_path: Path, content: bytes, message: str
) -> None:
    target = tmp_path / "snap.json"
    target.write_text('{"vulns": []}')
    bad = tmp_path / "bad"
    bad.write_bytes(content)
    with pytest.raises(AdvisoryError, match=message):
        update_snapshot([str(bad)], target)
    with pytest.raises(AdvisoryError, match="no such file"):
        update_snapshot([str(tmp_path / "missing.zip")], target)
    assert target.read_text() == '{"vulns": []}'


def test_a_damaged_user_snapshot_is_an_error_not_the_bundled_one_alone(tmp_path: Path) -> None:
    # Falling back to the bundled records dropped every refreshed advisory without a word
    # (tests/adversarial/test_advisories_fail_open.py); deleting the file is the way back to them.
    damaged = tmp_path / "snap.json"
    damaged.write_text("{broken")
    with pytest.raises(AdvisoryError, match="cannot be read"):
        load_advisories(damaged)
    damaged.unlink()
    assert any(r["id"] == "GHSA-6xpm-ggf7-wc3p" for r in load_advisories(damaged))


def test_update_from_a_url(tmp_path: Path) -> None:
    from vet_fixtures import FakeRegistry, serve

    registry = FakeRegistry()
    registry.routes["/npm/all.json"] = json.dumps(
        [record("GHSA-url1", "npm", "@acme/mcp-tools", [{"introduced": "0"}, {"fixed": "1.0.1"}])]
    ).encode()
    with serve(registry) as base:
        written, count = update_snapshot([f"{base}/npm/all.json"], tmp_path / "snap.json")
        assert count == 1
        with pytest.raises(AdvisoryError, match="not found"):
            update_snapshot([f"{base}/missing.zip"], tmp_path / "snap.json")
    assert json.loads(written.read_text())["vulns"][0]["id"] == "GHSA-url1"
