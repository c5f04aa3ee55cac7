"""``mcpward report audit --previous FILE`` reads an earlier JSON report for the before and
change columns. Its summary's values were written into the Markdown table as they were found,
and into the HTML's chart as numbers: an earlier report kept where others can write it (a shared
folder, a repository) with a "before" of ``0 |\\r\\r## Act on\\r\\rNothing to act on.`` forged the
report's headings, and one with a string made the HTML report an internal error. Only a count
(an integer) is a count; anything else is no previous value. Real files, the real CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

from cli_kit import fleet_of_one_laptop, mcpward
from markdown_it import MarkdownIt

FORGED = "0 |\r\r## Act on\r\rNothing to act on.\r\r## Unapproved servers (0)\r\rNone."


def _database(tmp_path: Path) -> str:
    return fleet_of_one_laptop(tmp_path)


def test_a_previous_report_cannot_forge_the_markdown_or_break_the_html(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    database = _database(tmp_path)
    previous = tmp_path / "previous.json"
    previous.write_text(json.dumps({"summary": {"unapproved": FORGED, "unpinned": [1], "servers": 4}}))
    common = ("--database", database, "--previous", str(previous))
    markdown = mcpward("report", "audit", "--format", "md", *common, MCPWARD_DATA_DIR=data)
    assert markdown.returncode == 0, markdown.stderr
    page = MarkdownIt("commonmark").enable("table").render(markdown.stdout)
    headings = re.findall(r"<h2>(.*?)</h2>", page)
    assert headings.count("Act on") == 1 and "Unapproved servers (0)" not in headings, headings
    assert "| servers | 1 | 4 | -3 |" in markdown.stdout  # a count still counts
    assert "| unapproved | 1 |  |  |" in markdown.stdout
    html = mcpward("report", "audit", "--format", "html", *common, MCPWARD_DATA_DIR=data)
    assert html.returncode == 0, html.stderr
    document = json.loads(
        mcpward("report", "audit", "--format", "json", *common, MCPWARD_DATA_DIR=data).stdout
    )
    assert document["trends"]["unapproved"] == {"now": 1, "before": None, "change": None}


def test_a_deeply_nested_previous_report_is_refused_not_an_internal_error(tmp_path: Path) -> None:
    previous = tmp_path / "previous.json"
    previous.write_text("[" * 100_000 + "]" * 100_000)
    result = mcpward("report", "audit", "--database", _database(tmp_path), "--previous", str(previous),
                     MCPWARD_DATA_DIR=str(tmp_path / "data"))  # fmt: skip
    assert result.returncode == 2 and "not a JSON audit report" in result.stderr, result.stderr
