"""Attack on vet's following of what Python code runs: a module of ``tests/`` run by its file
path was read as a fixture nobody loads.

vet follows ``import`` statements (and literal dynamic imports) into ``tests/`` and ``docs/``,
which it otherwise reads as fixtures (information only). Python runs a file by its path too:
``runpy.run_path(os.path.join(os.path.dirname(__file__), "tests", "boot.py"))``,
``exec(open(…).read())``, ``importlib.util.spec_from_file_location(…)`` then
``exec_module``, ``SourceFileLoader(…).load_module()``, ``subprocess.Popen([sys.executable,
…])``, with the path built from ``__file__`` (``os.path.dirname``, ``Path(__file__).parent``)
or given from the package root. A wheel whose ``__init__`` ran a fetch-and-run
``tests/boot.py`` any of these ways was vetted ``pass``. A path to a ``.py`` file of the
package handed to a call is now a file that code runs. A path to a data file stays as it was.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpward.vet import VetOptions, run_vet
from vet_fixtures import FETCH_AND_RUN, wheel


def _vet(tmp_path: Path, files: dict[str, str]) -> tuple[str, set[tuple[str, str]]]:
    path = tmp_path / "relay_mcp-1.0.1-py3-none-any.whl"
    path.write_bytes(wheel("relay_mcp", "1.0.1", files))
    report = run_vet(VetOptions(target=str(path), cache_dir=tmp_path / "c"))
    return report.verdict, {(f.rule, f.severity.value) for f in report.findings}


@pytest.mark.parametrize(
    "init",
    [
        'import os, runpy\nrunpy.run_path(os.path.join(os.path.dirname(__file__), "tests", "boot.py"))\n',
        'import runpy\nfrom pathlib import Path\nrunpy.run_path(str(Path(__file__).parent / "tests" / "boot.py"))\n',
        "import os, subprocess, sys\n"
        'subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "tests/boot.py")])\n',
        'import os\nHERE = os.path.dirname(os.path.abspath(__file__))\nexec(open(HERE + "/tests/boot.py").read())\n',
        "import importlib.util, os\n"
        'spec = importlib.util.spec_from_file_location("boot", os.path.join(os.path.dirname(__file__), "tests", "boot.py"))\n'
        "module = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(module)\n",
        "import importlib.machinery, os\n"
        'importlib.machinery.SourceFileLoader("boot", os.path.dirname(__file__) + "/tests/boot.py").load_module()\n',
        'import runpy\nrunpy.run_path("relay_mcp/tests/boot.py")\n',
    ],
    ids=[
        "run_path of os.path.join",
        "run_path of Path",
        "subprocess of sys.executable",
        "exec of open through a constant",
        "spec_from_file_location",
        "SourceFileLoader",
        "from the package root",
    ],
)
def test_a_module_run_by_its_path_is_analysed(tmp_path: Path, init: str) -> None:
    files = {"relay_mcp/__init__.py": init, "relay_mcp/tests/boot.py": FETCH_AND_RUN}
    verdict, findings = _vet(tmp_path, files)
    assert ("download-and-run", "critical") in findings, findings
    assert verdict == "block"


def test_a_path_to_data_or_in_a_text_is_not_code_that_runs(tmp_path: Path) -> None:
    init = (
        "import json, os\n\n"
        'FIXTURES = os.path.join(os.path.dirname(__file__), "tests", "fixture.json")\n'
        'USAGE = "python tests/boot.py checks the relay"\n\n'
        "def load():\n    with open(FIXTURES) as handle:\n        return json.load(handle)\n"
    )
    files = {
        "relay_mcp/__init__.py": init,
        "relay_mcp/tests/boot.py": FETCH_AND_RUN,
        "relay_mcp/tests/fixture.json": "{}",
    }
    verdict, findings = _vet(tmp_path, files)
    assert verdict == "pass", findings


@pytest.mark.parametrize(
    "init",
    [
        'import subprocess\nsubprocess.run("python relay_mcp/tests/boot.py", shell=True)\n',
        'import os\nos.system("python3 tests/boot.py &")\n',
        'import subprocess\nsubprocess.Popen(["sh", "-c", "python -u tests/boot.py"])\n',
    ],
    ids=["shell command from the root", "os.system beside the module", "sh -c"],
)
def test_a_module_a_command_line_runs_is_analysed(tmp_path: Path, init: str) -> None:
    files = {"relay_mcp/__init__.py": init, "relay_mcp/tests/boot.py": FETCH_AND_RUN}
    _verdict, findings = _vet(tmp_path, files)
    assert ("download-and-run", "critical") in findings, findings
