"""A variable's default behind a name no shell takes (``${RUN-NER:-npx}``, ``${pkg.name:-evil-mcp}``,
``${1:-...}``): Claude Code reads a ``.mcp.json``'s ``${...}`` as a name and a default parted by
``:-``, whatever the name's characters, so where such a variable is unset (always: no shell sets
it) the default is what starts.

Before (2026-12-06): a default was read only after a shell's variable name, and a name with a
dash was cut at it (``${RUN-NER:-npx}`` was taken for ``${RUN-default}`` with the default
``NER:-npx``): the runner and the package were names nobody publishes, so the server had no
package, no unpinned-package finding, and the advisories and the registry looked for nothing.
A shell's own forms (``${PKG-x}``, ``${PKG:=x}``) are read as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcpward.scan._engine import ScanOptions, run_scan, with_defaults


def _packages(tmp_path: Path, command: str, args: list[str]) -> tuple[object, set[str]]:
    (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": {"x": {"command": command, "args": args}}}))
    report = run_scan(ScanOptions(paths=(tmp_path,), include_user_configs=False, workers=1))
    return report.servers[0].package, {f.rule for f in report.findings if f.server == "x"}


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("${RUN-NER:-npx}", ["-y", "evil-mcp"]),
        ("npx", ["-y", "${pkg.name:-evil-mcp}"]),
        ("${1:-npx}", ["-y", "${MY-PKG:-evil-mcp}"]),
    ],
)
def test_a_default_behind_an_odd_name_is_what_starts(tmp_path: Path, command: str, args: list[str]) -> None:
    package, rules = _packages(tmp_path, command, args)
    assert package is not None and package.name == "evil-mcp", package  # type: ignore[attr-defined]
    assert "npm-unpinned" in rules


@pytest.mark.parametrize(
    ("word", "started"),
    [
        ("${PKG:-evil-mcp}", "evil-mcp"),
        ("${PKG-evil-mcp}", "evil-mcp"),
        ("${PKG:=evil-mcp}", "evil-mcp"),
        ("${RUN-NER:-npx}", "npx"),
        ("${:-npx}", "npx"),
        ("${HOST:-localhost}:${PORT}", "localhost:${PORT}"),
        ("${HOME}/bin/server", "${HOME}/bin/server"),
    ],
)
def test_words_as_they_start(word: str, started: str) -> None:
    assert with_defaults(word) == started
