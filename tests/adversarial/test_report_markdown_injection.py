"""The audit report's Markdown, read by an auditor where it renders (a repository, a wiki, an
editor's preview), quotes what the fleet's machines report: server names, launch lines, homes.
Anyone who can write a client config on one machine names a server. A CR (a line ending to
CommonMark) in a name ended the table row: the rest became a heading and rows of the
attacker's, or a line "Nothing to act on." under "Act on"; a link or an image in a name
rendered as one, the image fetched from the attacker's host whenever the report is viewed.
The report is rendered here by a CommonMark renderer with tables, as GitHub renders it."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from mcpward.registry import InventoryUpload, ObservedServer, Registry

IMAGE = "![status](https://evil.example/leak.png?report=1)"
LINK = "[Approve it here](https://evil.example/approve)"
RAW_HTML = '<img src="https://evil.example/pixel.gif">'
FORGED = "files\r\r## Act on\r\rNothing to act on.\r\r## Unapproved servers (0)\r\rNone."


def _rendered(cli: Any, tmp_path: Path, names: list[str]) -> str:
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    servers = tuple(
        ObservedServer(host="cursor", name=name, kind="local", launch=f"node {name}") for name in names
    )
    registry.record_inventory(
        InventoryUpload(machine_id="m1", hostname="laptop-1", home="/home/alice", servers=servers), "agent"
    )
    registry.database.dispose()
    result = cli("report", "audit", "--format", "md", "--database", database)
    assert result.exit_code == 0, result.stderr
    return str(MarkdownIt("commonmark").enable("table").render(result.stdout))


def test_a_server_name_cannot_add_links_images_or_html_to_the_rendered_report(
    cli: Any, tmp_path: Path
) -> None:
    page = _rendered(cli, tmp_path, [IMAGE, LINK, RAW_HTML])
    assert "evil.example" in page  # shown, as text
    assert "<img" not in page and "<a " not in page, page
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    for name in (IMAGE, LINK, RAW_HTML):
        assert name in text, name  # each name reads as it was written


def test_a_cr_in_a_server_name_cannot_end_the_row_and_forge_headings(cli: Any, tmp_path: Path) -> None:
    plain = _rendered(cli, tmp_path / "plain", ["files"])
    (tmp_path / "forged").mkdir()
    forged = _rendered(cli, tmp_path / "forged", [FORGED])
    headings = re.findall(r"<h2>(.*?)</h2>", forged)
    assert headings == re.findall(r"<h2>(.*?)</h2>", plain), headings
    assert "<p>Nothing to act on.</p>" not in forged
    # The name stays in its cells, its CRs shown.
    assert "<td>files\\x0d\\x0d## Act on" in forged


def test_the_html_report_shows_an_override_in_a_name_escaped(cli: Any, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    servers = (ObservedServer(host="cursor", name="files\u202e.lanretni", kind="local", launch="node x"),)
    registry.record_inventory(InventoryUpload(machine_id="m1", hostname="laptop-1", servers=servers), "agent")
    registry.database.dispose()
    page = cli("report", "audit", "--format", "html", "--database", database).stdout
    assert "\u202e" not in page and "files\\u202e.lanretni" in page


def test_an_approved_identity_cannot_add_an_image_to_the_questionnaire(cli: Any, tmp_path: Path) -> None:
    from mcpward.registry import Identity
    from test_registry import package_request

    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    url = f"https://files.example.com/{IMAGE}"
    entry = registry.request(package_request(identity=Identity(kind="remote", url=url)), "alice")
    registry.approve(entry.id, "bob", "ok")
    registry.database.dispose()
    result = cli("report", "questionnaire", "--answer", "--database", database)
    assert result.exit_code == 0, result.stderr
    page = str(MarkdownIt("commonmark").render(result.stdout))
    assert "<img" not in page and IMAGE in html.unescape(re.sub(r"<[^>]+>", "", page))
