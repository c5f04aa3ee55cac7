"""Dockerfiles in a tree the scan walks (a cloned repository's): anyone's text.

Before: a ``CMD`` in exec form nested 100,000 brackets deep (200 KB) let the JSON parser's
RecursionError out of the manifest reader, and the whole scan ended with an internal error
(exit 70), no inventory; and dockerfile_parse appends each continued line to the instruction's
text, so one ``RUN`` continued over 160,000 short lines (640 KB) took 5.5 s, as the square of
its lines: 8 million in a 32 MB file, hours. Now a CMD that is no JSON list is taken in shell
form, a manifest reader meeting a shape it did not expect is that file's error line (as a
config's host module is), and continued lines are joined before parsing, in one pass."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from cli_kit import mcpward_in_home

from mcpward.scan._manifests.container import _joined

KEPT = {"mcpServers": {"kept": {"command": "npx", "args": ["-y", "kept-mcp@1.0.0"]}}}


def _scan(tmp_path: Path, dockerfile: str) -> dict[str, list[dict[str, object]]]:
    tree = tmp_path / "tree"
    (tree / ".cursor").mkdir(parents=True)
    (tree / ".cursor" / "mcp.json").write_text(json.dumps(KEPT), encoding="utf-8")
    (tree / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    started = time.monotonic()
    done = mcpward_in_home(tmp_path, "scan", "--only-paths", "--path", str(tree), "-f", "json", timeout=60)
    assert done.returncode == 0, done.stderr[-500:]
    assert time.monotonic() - started < 20
    report: dict[str, list[dict[str, object]]] = json.loads(done.stdout)
    return report


def test_a_deeply_nested_exec_form_does_not_end_the_scan(tmp_path: Path) -> None:
    report = _scan(tmp_path, "FROM mcp/server\nCMD " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert "kept" in [s["name"] for s in report["servers"]]


def test_a_long_continued_instruction_costs_its_length(tmp_path: Path) -> None:
    report = _scan(tmp_path, "FROM mcp/server\nRUN echo \\\n" + "  a \\\n" * 500_000 + "  b\n")
    names = [s["name"] for s in report["servers"]]
    assert "kept" in names and "tree" in names, names


@pytest.mark.parametrize(
    ("text", "instructions"),
    [
        ("RUN a \\\n  b \\\n  c\nCMD x\n", [("RUN", "a   b   c"), ("CMD", "x")]),
        # A comment inside a continued instruction is left out, as Docker leaves it out.
        ("RUN a \\\n# note\n  b\n", [("RUN", "a   b")]),
        ("RUN a \\  \t\r\n  b\n", [("RUN", "a   b")]),
        # With the escape directive, a backslash is a path character (Windows images).
        ("# escape=`\nRUN dir C:\\\nCMD a `\n  b\n", [("RUN", "dir C:\\"), ("CMD", "a   b")]),
    ],
)
def test_joined_lines_parse_as_the_continued_ones(text: str, instructions: list[tuple[str, str]]) -> None:
    import io

    from dockerfile_parse import DockerfileParser

    parsed = DockerfileParser(fileobj=io.BytesIO(_joined(text).encode("utf-8"))).structure
    assert [(i["instruction"], i["value"]) for i in parsed if i["instruction"] != "COMMENT"] == instructions
