"""Compile the hash-pinned lock files from pyproject.toml and requirements-build.in.

    python scripts/compile_locks.py        # needs uv on PATH (pip install uv)

uv writes each requirement that another package asks for with extras as ``name[extra]==version``
(``--no-strip-extras``), and this script adds the same release without its extras beside it, with
the same hashes. Both are needed for the lock to install under every pip: pip before 23.3 (the
23.2 that Python 3.11's venv brings) resolves ``pydantic[email]`` apart from ``pydantic`` and, in
``--require-hashes`` mode, refuses an extra that is not itself pinned; pips since read the two
lines as one requirement. Existing pins are kept (uv prefers the versions already in the file).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCKS = {
    "requirements.lock": [],
    "requirements-test.lock": ["--extra", "test"],
}
# One requirement of the lock: its first line and every indented line after it.
BLOCK = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?P<extras>\[[^\]]+\])?(?P<rest>==.*?)(?=^\S|\Z)", re.M | re.S
)
NOTE = "    # the same release without its extras, for pips before 23.3 (see scripts/compile_locks.py)\n"


def with_base_entries(lock: str) -> str:
    """Add ``name==version`` with the same hashes after each ``name[extras]==version``."""
    names = {m["name"].lower() for m in BLOCK.finditer(lock) if not m["extras"]}
    parts: list[str] = []
    position = 0
    for match in BLOCK.finditer(lock):
        parts.append(lock[position : match.end()])
        position = match.end()
        if match["extras"] and match["name"].lower() not in names:
            pinned = [
                line for line in match["rest"].splitlines() if line.startswith("==") or "--hash=" in line
            ]
            parts.append(match["name"] + "".join(line + "\n" for line in pinned) + NOTE)
            names.add(match["name"].lower())
    parts.append(lock[position:])
    return "".join(parts)


def main() -> int:
    for lock, extra in LOCKS.items():
        command = ["uv", "pip", "compile", "pyproject.toml", "requirements-build.in", *extra,
                   "--generate-hashes", "--no-strip-extras", "--python-version", "3.11",
                   "--quiet", "-o", lock]  # fmt: skip
        subprocess.run(command, cwd=ROOT, check=True)
        path = ROOT / lock
        path.write_text(with_base_entries(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
