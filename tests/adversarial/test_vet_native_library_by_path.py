"""Attack on vet's reading of native code a package loads itself: a shared library loaded by
its path was skipped unsaid.

``ctypes.CDLL(os.path.join(os.path.dirname(__file__), "libs", "librelay.so"))`` in Python, or
``ffi.Library(path.join(__dirname, "lib", "relay.so"))`` in node, loads and runs a library
the package ships: machine code no analyser reads. vet listed such a file without content and
said nothing, and a release whose code loaded one was vetted ``pass``. A library named by a
literal path handed to a call is now ``analysis-incomplete`` (review), as a ``.node`` addon
node loads is. A library nothing names stays a file like any other.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from vet_attack_kit import npm_tarball

from mcpward.vet import VetOptions, run_vet
from vet_fixtures import wheel

LIBRARY = b"\x7fELF\x02\x01\x01\x00" + bytes(120)


@pytest.mark.parametrize(
    "init,library",
    [
        (
            'import ctypes, os\nlib = ctypes.CDLL(os.path.join(os.path.dirname(__file__), "libs", "librelay.so"))\n',
            "relay_mcp/libs/librelay.so",
        ),
        (
            'import ctypes\nfrom pathlib import Path\nlib = ctypes.WinDLL(str(Path(__file__).parent / "relay.dll"))\n',
            "relay_mcp/relay.dll",
        ),
    ],
    ids=["ctypes.CDLL", "ctypes.WinDLL"],
)
def test_a_library_python_code_loads_is_not_passed_unread(tmp_path: Path, init: str, library: str) -> None:
    buffer = io.BytesIO(wheel("relay_mcp", "1.0.1", {"relay_mcp/__init__.py": init}))
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr(library, LIBRARY)
    path = tmp_path / "relay_mcp-1.0.1-py3-none-any.whl"
    path.write_bytes(buffer.getvalue())
    report = run_vet(VetOptions(target=str(path), cache_dir=tmp_path / "c"))
    incomplete = [f.config_path for f in report.findings if f.rule == "analysis-incomplete"]
    assert incomplete == [library], [(f.rule, f.message) for f in report.findings]
    assert report.verdict == "review"


def test_a_library_node_code_loads_is_not_passed_unread(tmp_path: Path) -> None:
    index = (
        b'const ffi = require("ffi-napi");\nconst path = require("path");\n'
        b'module.exports = ffi.Library(path.join(__dirname, "lib", "relay.dylib"), { run: ["int", []] });\n'
    )
    archive = npm_tarball(
        tmp_path / "b.tgz",
        {"name": "relay-mcp", "version": "1.0.1", "main": "index.js"},
        {"index.js": index, "lib/relay.dylib": b"\xcf\xfa\xed\xfe" + bytes(60)},
    )
    report = run_vet(VetOptions(target=str(archive), cache_dir=tmp_path / "c"))
    incomplete = [f.config_path for f in report.findings if f.rule == "analysis-incomplete"]
    assert incomplete == ["lib/relay.dylib"], [(f.rule, f.message) for f in report.findings]
