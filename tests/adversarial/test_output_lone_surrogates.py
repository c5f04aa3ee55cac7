"""One name can cost the whole report: JSON spells a lone surrogate (``"\\ud800"``), Python's and
Node's JSON readers accept it (a client runs the server under that name), and no UTF-8 writer
can encode it. A config in a scanned tree naming a server so made `mcpward scan` fail in every
format (table, json, csv, sarif, cyclonedx) with an internal error, and no report at all: every
other server and finding of the machine went unreported. Now the lone surrogate is replaced
(U+FFFD) where a report is written, shown escaped in the table, and the report is whole."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from mcpward.output import format_names

HOSTILE_CONFIG = (
    '{"mcpServers": {'
    '"lone\\ud800name": {"command": "npx", "args": ["-y", "pkg\\udfff"]},'
    '"github": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"],'
    ' "env": {"GITHUB_TOKEN": "ghp_' + "Wq8Lm2Vb9RtN4pZs1TyW8cUf3HjD6gAe0K5o" + '"}}}}'
)


@pytest.mark.parametrize("fmt", format_names("scan"))
def test_a_lone_surrogate_in_a_server_name_loses_no_report(cli: Any, tmp_path: Path, fmt: str) -> None:
    tree = tmp_path / "tree"
    (tree / ".cursor").mkdir(parents=True)
    (tree / ".cursor" / "mcp.json").write_text(HOSTILE_CONFIG, encoding="utf-8")
    out = tmp_path / f"report.{fmt}"
    result = cli("scan", "--only-paths", "--path", str(tree), "--format", fmt, "--output", str(out))
    assert result.exit_code == 0, result.stderr
    text = out.read_text(encoding="utf-8")  # strict: whole UTF-8
    assert "github" in text and "lone" in text  # both servers, the other one's findings too
    if fmt in ("json", "sarif", "cyclonedx"):
        json.loads(text)
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert {row["name"] for row in rows} == {"lone\ufffdname", "github"}
    if fmt == "json":
        assert {s["name"] for s in json.loads(text)["servers"]} == {"lone\ufffdname", "github"}


def test_the_table_on_standard_output_shows_it_escaped(cli: Any, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / ".cursor").mkdir(parents=True)
    (tree / ".cursor" / "mcp.json").write_text(HOSTILE_CONFIG, encoding="utf-8")
    result = cli("scan", "--only-paths", "--path", str(tree))
    assert result.exit_code == 0, result.stderr
    assert "lone\\ud800name" in result.stdout and "github" in result.stdout


def test_a_folder_name_that_is_not_utf8_loses_no_report(cli: Any, tmp_path: Path) -> None:
    # Python names such a file with lone surrogates (U+DCE9 for the byte 0xE9): the same failure
    # from a name anyone can give a folder of a repository that CI scans.
    folder = Path(os.fsdecode(os.fsencode(tmp_path / "tree") + b"/caf\xe9/.cursor"))
    folder.mkdir(parents=True)
    (folder / "mcp.json").write_text(HOSTILE_CONFIG, encoding="utf-8")
    for fmt in format_names("scan"):
        out = tmp_path / f"report.{fmt}"
        result = cli(
            "scan", "--only-paths", "--path", str(tmp_path / "tree"), "--format", fmt, "--output", str(out)
        )
        assert result.exit_code == 0, (fmt, result.stderr)
        text = out.read_text(encoding="utf-8")  # strict: whole UTF-8
        # The table may cut a long path short to fit its column; every other format keeps it.
        assert "github" in text and ("caf" in text or fmt == "table"), fmt
