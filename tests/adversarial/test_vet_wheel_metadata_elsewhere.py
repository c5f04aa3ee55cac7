"""Attack: a wheel carries a second core-metadata file where pip never reads it, in a folder of
its own (``_a/x.dist-info/METADATA``), which sorts before the wheel's real
``NAME-VERSION.dist-info/METADATA``. pip reads only the ``.dist-info`` folder at the wheel's
root (and refuses a wheel with two), but vet read the first ``*.dist-info/METADATA`` anywhere, in
name order (a root ``package.json``, a data file to pip, before either), so the decoy spoke
for the release: a hijacked project's new release named its
previous authors there and no ``maintainers-added`` was found, and a local wheel of a malicious
release called itself another project and version, so its advisory was not looked up (before
2026-12-05). Now only a root ``.dist-info`` folder is read; a wheel with more than one is a
manifest problem, as pip refuses it."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from mcpward.advisories import user_snapshot_path
from mcpward.vet import VetOptions, run_vet
from vet_fixtures import FakeRegistry, serve, wheel

_CODE = {"mail_mcp/s.py": "def send(to):\n    return to\n"}
_ANA = "Author-email: Ana Silva <ana@mailer.dev>\n"


def _decoy(data: bytes, name: str, version: str, headers: str, folder: str = "_a/x.dist-info") -> bytes:
    """``data`` (a wheel) with a core-metadata file at ``folder`` naming ``name`` ``version``
    (``PKG-INFO``: that file at the root; ``package.json``: an npm manifest there instead)."""
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a") as archive:
        if folder == "package.json":
            archive.writestr(folder, json.dumps({"name": name, "version": version}))
        else:
            archive.writestr(
                folder if folder == "PKG-INFO" else f"{folder}/METADATA",
                f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{headers}\nA server.\n",
            )
    return buffer.getvalue()


@pytest.mark.parametrize("folder", ["_a/x.dist-info", "package.json", "PKG-INFO"])
def test_a_decoy_metadata_does_not_hide_new_maintainers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str
) -> None:
    registry = FakeRegistry()
    with serve(registry) as base:
        monkeypatch.setenv("MCPWARD_PYPI_URL", base)
        hijacked = wheel("mail_mcp", "0.2.0", _CODE, "Author-email: mallory <m@proton.example>\n")
        registry.add_pypi(
            "mail-mcp",
            {
                "0.1.0": ("mail_mcp-0.1.0-py3-none-any.whl", wheel("mail_mcp", "0.1.0", _CODE, _ANA)),
                "0.2.0": (
                    "mail_mcp-0.2.0-py3-none-any.whl",
                    _decoy(hijacked, "mail_mcp", "0.2.0", _ANA, folder),
                ),
            },
            base,
        )
        report = run_vet(VetOptions(target="pypi:mail-mcp==0.2.0", cache_dir=tmp_path / "cache"))
    added = [f.message for f in report.findings if f.rule == "maintainers-added"]
    assert added and "m@proton.example" in added[0]


@pytest.mark.parametrize("folder", ["_a/x.dist-info", "package.json"])
def test_a_local_wheel_is_named_by_its_root_metadata(tmp_path: Path, folder: str) -> None:
    path = user_snapshot_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "id": "MAL-2026-0001",
        "modified": "2026-12-01T00:00:00Z",
        "summary": "Malicious code in mail-mcp",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "mail-mcp"}, "versions": ["0.2.0"]}],
    }
    path.write_text(json.dumps({"vulns": [record]}), "utf-8")
    os.chmod(path, 0o600)
    archive = tmp_path / "mail_mcp-0.2.0-py3-none-any.whl"
    archive.write_bytes(_decoy(wheel("mail_mcp", "0.2.0", _CODE), "harmless", "9.9.9", "", folder))
    report = run_vet(VetOptions(target=str(archive)))
    assert report.verdict == "block"
    assert any(f.rule == "known-advisory" and f.evidence == "MAL-2026-0001" for f in report.findings)


def test_a_wheel_with_two_root_metadata_folders_is_a_manifest_problem(tmp_path: Path) -> None:
    archive = tmp_path / "mail_mcp-0.2.0-py3-none-any.whl"
    data = _decoy(wheel("mail_mcp", "0.2.0", _CODE), "harmless", "9.9.9", "", folder="aaa-9.9.9.dist-info")
    archive.write_bytes(data)
    report = run_vet(VetOptions(target=str(archive)))
    assert report.verdict != "pass"
    assert any(f.rule.startswith("manifest-") for f in report.findings)
