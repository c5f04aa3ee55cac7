"""Attack on vet's reading of a wheel's Python: code shipped compiled was skipped unsaid.

Python imports a module from bytecode or machine code as readily as from source: a
sourceless ``relay_mcp/helper.pyc`` beside the package's modules, a
``__pycache__/x.cpython-312.pyc`` that an unchecked hash-based header (PEP 552) makes Python
use instead of ``x.py`` whatever the source says (uv, which runs most Python MCP servers,
compiles nothing at install, so the shipped file stays), or an extension module
(``_speedups.cpython-312-x86_64-linux-gnu.so``). vet reads none of them and listed them as
files without content: a wheel whose ``__init__`` imported such a module, or which carried
such a ``__pycache__`` file, was vetted ``pass``. Bytecode in a Python package, and an
extension module its code imports, are now ``analysis-incomplete`` (review). A native library
nothing imports stays a file like any other.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from mcpward.vet import VetOptions, run_vet
from vet_fixtures import wheel

#: A 3.12 bytecode header with an unchecked hash (flags 0b01), then nothing of interest.
BYTECODE = b"\xcb\r\r\n\x01\x00\x00\x00" + bytes(8) + b"\xe3" + bytes(40)
EXTENSION = b"\x7fELF\x02\x01\x01\x00" + bytes(120)


def _wheel(tmp_path: Path, files: dict[str, str], binary: dict[str, bytes]) -> Path:
    buffer = io.BytesIO(wheel("relay_mcp", "1.0.1", files))
    with zipfile.ZipFile(buffer, "a") as archive:
        for name, data in binary.items():
            archive.writestr(name, data)
    path = tmp_path / "relay_mcp-1.0.1-py3-none-any.whl"
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.parametrize(
    "files,binary",
    [
        ({"relay_mcp/__init__.py": "from . import helper\n"}, {"relay_mcp/helper.pyc": BYTECODE}),
        (
            {
                "relay_mcp/__init__.py": "from .server import run\n",
                "relay_mcp/server.py": "def run():\n    return 1\n",
            },
            {"relay_mcp/__pycache__/server.cpython-312.pyc": BYTECODE},
        ),
        (
            {"relay_mcp/__init__.py": "from relay_mcp import _speedups\n"},
            {"relay_mcp/_speedups.cpython-312-x86_64-linux-gnu.so": EXTENSION},
        ),
    ],
    ids=["sourceless module", "bytecode beside its source", "extension module"],
)
def test_python_code_shipped_compiled_is_not_passed_unread(
    tmp_path: Path, files: dict[str, str], binary: dict[str, bytes]
) -> None:
    report = run_vet(VetOptions(target=str(_wheel(tmp_path, files, binary)), cache_dir=tmp_path / "c"))
    incomplete = [f.config_path for f in report.findings if f.rule == "analysis-incomplete"]
    assert incomplete == list(binary), [(f.rule, f.message) for f in report.findings]
    assert report.verdict == "review"


def test_a_native_library_nothing_imports_passes(tmp_path: Path) -> None:
    files = {"relay_mcp/__init__.py": "X = 1\n"}
    report = run_vet(
        VetOptions(
            target=str(_wheel(tmp_path, files, {"relay_mcp/libs/libsqlite3.so.0": EXTENSION})),
            cache_dir=tmp_path / "c",
        )
    )
    assert report.verdict == "pass", [(f.rule, f.message) for f in report.findings]
