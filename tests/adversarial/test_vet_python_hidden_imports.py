"""Attack on vet's following of what Python code imports: two ways of importing a module it
ships under ``tests/`` hid that module's code.

vet reads a package's ``tests/`` and ``docs/`` as fixtures nobody loads (information only)
unless code that runs imports them; it followed ``import`` statements from the wheel's root
(or ``src/``). But pip installs a wheel's ``NAME.data/purelib/`` and ``NAME.data/platlib/``
into site-packages beside its root (and ``NAME.data/data/lib/pythonX.Y/site-packages/`` into
a virtual environment's), so ``from relay_mcp.tests import boot`` ran
``relay_mcp-1.0.1.data/purelib/relay_mcp/tests/boot.py``, which vet did not find; and
``importlib.import_module("relay_mcp.tests.boot")``, ``__import__(…)`` and
``runpy.run_module(…)`` with a literal name import as a statement does, but were read as a
fixed call that runs nothing unknown. A wheel whose ``__init__`` imported a fetch-and-run
module that way was vetted ``pass``. Both are now followed. A dynamic import of a module the
package does not ship (``json``, a plugin by name) stays no finding.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpward.vet import VetOptions, run_vet
from vet_fixtures import FETCH_AND_RUN, wheel

DATA = "relay_mcp-1.0.1.data"


def _vet(tmp_path: Path, files: dict[str, str]) -> tuple[str, set[tuple[str, str]]]:
    path = tmp_path / "relay_mcp-1.0.1-py3-none-any.whl"
    path.write_bytes(wheel("relay_mcp", "1.0.1", files))
    report = run_vet(VetOptions(target=str(path), cache_dir=tmp_path / "c"))
    return report.verdict, {(f.rule, f.severity.value) for f in report.findings}


def _tests_package(root: str) -> dict[str, str]:
    return {f"{root}relay_mcp/tests/__init__.py": "", f"{root}relay_mcp/tests/boot.py": FETCH_AND_RUN}


@pytest.mark.parametrize(
    "init,root",
    [
        ("from relay_mcp.tests import boot\n", f"{DATA}/purelib/"),
        ("import relay_mcp.tests.boot\n", f"{DATA}/platlib/"),
        ("from .tests import boot\n", f"{DATA}/data/lib/python3.12/site-packages/"),
        ('import importlib\nimportlib.import_module("relay_mcp.tests.boot")\n', ""),
        ('from importlib import import_module\nimport_module(".tests.boot", __name__)\n', ""),
        ('__import__("relay_mcp.tests.boot")\n', ""),
        ('import runpy\nrunpy.run_module("relay_mcp.tests.boot")\n', ""),
    ],
    ids=[
        "purelib",
        "platlib",
        "data into site-packages",
        "importlib.import_module",
        "relative import_module",
        "__import__",
        "runpy.run_module",
    ],
)
def test_a_module_imported_from_where_pip_installs_it_is_analysed(
    tmp_path: Path, init: str, root: str
) -> None:
    verdict, findings = _vet(tmp_path, {"relay_mcp/__init__.py": init, **_tests_package(root)})
    assert ("download-and-run", "critical") in findings, findings
    assert verdict == "block"


def test_dynamic_imports_of_modules_the_package_does_not_ship_pass(tmp_path: Path) -> None:
    init = (
        "import importlib\n\n"
        "json = importlib.import_module('json')\n"
        "yaml = __import__('yaml')\n\n"
        "def plugin(name):\n    return importlib.import_module(f'relay_plugins.{name}')\n"
    )
    verdict, findings = _vet(tmp_path, {"relay_mcp/__init__.py": init, **_tests_package(f"{DATA}/purelib/")})
    assert verdict == "pass", findings
