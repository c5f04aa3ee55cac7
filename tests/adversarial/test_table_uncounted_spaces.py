"""``scan``'s table named a server as its config names it: a planted ``"github "`` (a space at
its end) or ``"github\\u3000"`` beside the real ``github`` read as the same server twice, in the
inventory a person checks, until 2026-12-06. The table's cells show such spaces escaped, as the
registry's pages do (``output.text.one_line``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


@pytest.mark.parametrize("twin", ["github ", "github\u3000", " github", "git  hub"])
def test_a_name_spaced_to_look_like_another_is_told_apart(cli: Any, tmp_path: Path, twin: str) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    servers = {name: {"command": "npx", "args": ["-y", "@acme/files@1.2.3"]} for name in ("github", twin)}
    (tree / ".mcp.json").write_text(json.dumps({"mcpServers": servers}), "utf-8")
    home = tmp_path / "home"
    home.mkdir()
    shown = cli("scan", "--home", str(home), "--only-paths", "--path", str(tree)).stdout
    rows = [line for line in shown.splitlines() if "github" in line or "git" in line]
    assert len(rows) == 2, shown
    assert any("\\x20" in row or "\\u3000" in row for row in rows), shown


def test_a_launch_line_with_single_spaces_is_shown_as_it_is(cli: Any, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    servers = {"files": {"command": "npx", "args": ["-y", "@acme/files@1.2.3", "--root", "/srv/data"]}}
    (tree / ".mcp.json").write_text(json.dumps({"mcpServers": servers}), "utf-8")
    home = tmp_path / "home"
    home.mkdir()
    shown = cli("scan", "--home", str(home), "--only-paths", "--path", str(tree)).stdout
    assert "npx -y @acme/files@1.2.3 --root /srv/data" in shown and "\\x20" not in shown
