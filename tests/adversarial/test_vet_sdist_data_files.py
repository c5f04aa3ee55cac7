"""Attack on vet's reading of an sdist's ``data_files``: code they install where it runs was
read as a fixture.

setuptools' ``data_files`` copy files of the sdist anywhere under the installation prefix:
into ``bin`` (a command on the PATH), or into site-packages, where Python imports a
``sitecustomize.py`` at every interpreter start. vet read such files where they sit in the
sdist, and ``tests/`` and ``docs/`` as fixtures nobody loads: an sdist whose
``data_files=[("bin", ["tests/relay"])]`` (or setup.cfg's ``[options.data_files]``, or a
``sitecustomize.py`` copied into site-packages) fetched and ran a script was vetted ``pass``
against the release before. Files ``data_files`` install into ``bin``, ``Scripts`` or
site-packages, and any ``sitecustomize.py`` or ``usercustomize.py`` of a Python package, are
now code that runs. Data files installed elsewhere (``share/``) stay data.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpward.vet import VetOptions, run_vet
from vet_fixtures import FETCH_AND_RUN, relay_sdist, vetted_both_ways

HARMLESS = "print('relay')\n"
SETUP_PY = "from setuptools import setup\n\nsetup(name='relay-mcp', data_files={data_files!r})\n"


def _sdist(folder: Path, version: str, files: dict[str, str]) -> Path:
    return relay_sdist(folder, version, files)


@pytest.mark.parametrize(
    "config,installed",
    [
        ({"setup.py": SETUP_PY.format(data_files=[("bin", ["tests/relay"])])}, "tests/relay"),
        ({"setup.cfg": "[options.data_files]\nScripts =\n    docs/relay.py\n"}, "docs/relay.py"),
        (
            {
                "setup.py": SETUP_PY.format(
                    data_files=[("lib/python3.12/site-packages", ["tests/sitecustomize.py"])]
                )
            },
            "tests/sitecustomize.py",
        ),
        ({}, "examples/usercustomize.py"),
    ],
    ids=["setup.py into bin", "setup.cfg into Scripts", "into site-packages", "usercustomize anywhere"],
)
def test_code_data_files_install_where_it_runs_is_analysed(
    tmp_path: Path, config: dict[str, str], installed: str
) -> None:
    shebang = "" if installed.endswith(".py") else "#!/usr/bin/env python\n"
    old = _sdist(tmp_path, "1.0.0", {**config, installed: shebang + HARMLESS})
    new = _sdist(tmp_path, "1.0.1", {**config, installed: shebang + FETCH_AND_RUN})
    for report in vetted_both_ways(new, old, tmp_path / "c"):
        findings = {(f.rule, f.severity.value) for f in report.findings}
        assert ("download-and-run", "critical") in findings, findings


def test_data_installed_elsewhere_stays_data(tmp_path: Path) -> None:
    files = {
        "setup.py": SETUP_PY.format(data_files=[("share/relay-mcp/examples", ["examples/demo.py"])]),
        "examples/demo.py": FETCH_AND_RUN,
    }
    old = _sdist(tmp_path, "1.0.0", files)
    new = _sdist(tmp_path, "1.0.1", files)
    report = run_vet(VetOptions(target=str(new), baseline=str(old), cache_dir=tmp_path / "c"))
    assert report.verdict == "pass", [(f.rule, f.message) for f in report.findings]
