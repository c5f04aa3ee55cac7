"""A SARIF plain text message may hold embedded links, ``[text](target)``, the target any URI
(SARIF 2.1.0, 3.11.6), and Microsoft's SARIF viewers render them: VS Code's Sarif Viewer and the
sarif-web-component replace each match of ``\\[([^\\]]*)\\]\\(([^)]+)\\)`` whose target is not a
number with ``<a href=target>text</a>``. The scan's results quote what configs say (a server's
name, its package) and the files' paths: a server named ``[Approve it in the registry](https://
evil.example/)`` was a link to the attacker's page in the result a reviewer opens, its address
hidden behind its text; a newline in the name pushed the finding off the alert's first line,
the only one a list shows. Each SARIF text is now one line no such viewer reads as a link."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

#: The viewers' expression (sarif-vscode-extension, src/panel/widgets.tsx).
VIEWER_LINK = re.compile(r"\[([^\]]*)\]\(([^)]+)\)")

NAME = "[Approve it in the registry](https://evil.example/approve)"


def _texts(node: Any) -> list[str]:
    """Every ``text`` of a message or a multiformat message string in the document."""
    if isinstance(node, dict):
        found = [node["text"]] if isinstance(node.get("text"), str) else []
        return found + [text for value in node.values() for text in _texts(value)]
    if isinstance(node, list):
        return [text for value in node for text in _texts(value)]
    return []


def test_a_server_name_is_no_link_in_the_sarif_a_viewer_shows(cli: Any, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / ".cursor").mkdir(parents=True)
    (tree / ".cursor" / "mcp.json").write_text(
        json.dumps(
            {
                "mcpServers": {
                    NAME: {"command": "npx", "args": ["-y", "[docs](javascript:alert(1))"]},
                    "ok\n\n": {"command": "npx", "args": ["-y", "some-mcp"]},
                }
            }
        ),
        encoding="utf-8",
    )
    # A file that cannot be read, under a folder so named: its path is a notification's text.
    broken = tree / "[fix](https:evil.example)" / ".cursor"
    broken.mkdir(parents=True)
    (broken / "mcp.json").write_text("{not json", encoding="utf-8")
    out = tmp_path / "scan.sarif"
    result = cli("scan", "--only-paths", "--path", str(tree), "--format", "sarif", "--output", str(out))
    assert result.exit_code == 0, result.stderr
    texts = _texts(json.loads(out.read_text(encoding="utf-8")))
    links = [(m[1], m[2]) for text in texts for m in VIEWER_LINK.finditer(text) if not m[2].isdigit()]
    assert links == [], links
    messages = [text for text in texts if "Approve it in the registry" in text]
    assert messages and all("evil.example/approve" in text for text in messages)  # shown, as text
    assert not [text for text in texts if "\n" in text]
