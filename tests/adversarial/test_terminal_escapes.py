"""What an attacker names reaches the user's terminal: a server name in a client config on the
scanned machine, a tool name a server lists, a file name in a scanned tree. The real CLI runs
on a pseudo-terminal, as a user runs it (click strips some escapes only when the output is no
terminal): an OSC 52 in a config's server name, printed raw by `mcpward wrap`, wrote the
user's clipboard in every terminal that honours it; a tool named with cursor moves, printed by
`pins approve`, rewrote the lines above; a LF in a file name began a line of the scan's own in
its list of files that could not be read. Every such line is printed through one sanitiser
(``mcpward.output.text.printable``): controls and invisible characters shown escaped."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import orjson
import pytest
from cli_kit import on_a_terminal
from gateway_attack_kit import MCPWARD

#: A clipboard write (OSC 52), the cursor one line up and the line erased, a LF and a CR that
#: begin a forged line, and a right-to-left override.
HOSTILE = "ok\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\x07\x1b[1A\x1b[2K\nall clear\r\u202etxt.exe"
#: What must never reach the terminal raw.
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


def _lines_naming(text: str, word: str) -> list[str]:
    return [line for line in text.replace("\r\n", "\n").split("\n") if word in line]


def test_a_server_name_in_a_config_cannot_write_the_clipboard_through_wrap(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".cursor").mkdir(parents=True)
    (home / ".cursor" / "mcp.json").write_text(
        json.dumps({"mcpServers": {HOSTILE: {"command": "npx", "args": ["-y", "some-mcp@1.0.0"]}}}),
        encoding="utf-8",
    )
    code, shown = on_a_terminal(
        "wrap", "--dry-run", "--home", str(home), env={"MCPWARD_DATA_DIR": str(tmp_path / "data")}
    )
    assert code == 0, shown
    assert not any(raw in shown for raw in RAW), shown
    # One line for the server (skipped: a control character cannot be passed in an argument),
    # where its name is shown escaped; no line of the name's own.
    assert len(_lines_naming(shown, "\\x1b]52;c;")) == 1 and "skipped" in shown
    assert not [line for line in shown.replace("\r\n", "\n").split("\n") if line.startswith("all clear")]
    assert "\r" not in shown.replace("\r\n", "\n")


def _session(pins: Path, tools: list[str]) -> list[str]:
    from mcpward.gateway import GatewayConfig, build_interceptors
    from mcpward.gateway._audit import AuditLog
    from mcpward.gateway._relay import Relay
    from mcpward.gateway.interface import Session

    config = GatewayConfig.model_validate({"pins": {"store": str(pins)}, "baseline": {"enabled": False}})
    relay = Relay(
        Session(server="notes", target="t"),
        build_interceptors(config, audit_log=AuditLog(pins.parent / "audit.jsonl")),
        max_message=1 << 16,
    )
    relay.client_message(orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}))
    listed = [{"name": name, "description": "Notes.", "inputSchema": {"type": "object"}} for name in tools]
    answer = relay.server_message(orjson.dumps({"jsonrpc": "2.0", "id": 1, "result": {"tools": listed}}))
    return [tool["name"] for tool in orjson.loads(answer[0].data)["result"]["tools"]]


def test_a_tool_name_a_server_lists_cannot_rewrite_the_terminal_through_pins_approve(tmp_path: Path) -> None:
    pins = tmp_path / "pins.json"
    assert _session(pins, ["get_notes"]) == ["get_notes"]  # pinned on first use
    assert _session(pins, ["get_notes", HOSTILE]) == ["get_notes"]  # the new tool is withheld
    code, shown = on_a_terminal("pins", "approve", "notes", "--store", str(pins))
    assert code == 0, shown
    assert not any(raw in shown for raw in RAW), shown
    assert len(_lines_naming(shown, "approved")) == 1 and "\\x1b[1A\\x1b[2K\\x0aall clear" in shown


def test_a_file_name_in_a_scanned_tree_cannot_forge_a_line_of_the_scan(tmp_path: Path) -> None:
    forged = "0 servers, 0 findings, 0 errors."
    folder = tmp_path / "tree" / f"project\n{forged}" / ".cursor"
    folder.mkdir(parents=True)
    (folder / "mcp.json").write_text("{not json", encoding="utf-8")
    # A terminal wide enough for the whole path: at 80 columns a path of the right length is
    # folded just after its escaped newline (the temporary folder's name decides where), and the
    # fold, not the name, starts a line with the forged words (failed on such paths).
    wide = {"COLUMNS": "1000"}
    code, shown = on_a_terminal("scan", "--only-paths", "--path", str(tmp_path / "tree"), env=wide)
    assert code == 0, shown
    assert "Files that could not be read" in shown
    lines = shown.replace("\r\n", "\n").split("\n")
    assert not [line for line in lines if "0 servers, 0 findings" in line and "\\x0a" not in line], shown


def test_a_report_printed_whole_on_a_terminal_carries_no_control(tmp_path: Path) -> None:
    # JSON escapes C0 but not C1 (U+009B is CSI to xterm and VTE); CSV escapes nothing.
    name = "ok\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\x07\u009b2J"
    (tmp_path / ".cursor").mkdir()
    (tmp_path / ".cursor" / "mcp.json").write_text(
        json.dumps({"mcpServers": {name: {"command": "npx", "args": ["-y", "some-mcp@1.0.0"]}}}),
        encoding="utf-8",
    )
    for fmt in ("json", "csv", "sarif"):
        # Standard error has the walk's progress line, drawn with escapes of mcpward's own.
        code, shown = on_a_terminal(
            "scan", "--only-paths", "--path", str(tmp_path), "--format", fmt, stderr=False
        )
        assert code == 0, shown
        assert not any(raw in shown for raw in (*RAW, "\x9b")), fmt
        if fmt == "json":  # the same document: the escapes are JSON's own
            assert [s["name"] for s in json.loads(shown.replace("\r\n", "\n"))["servers"]] == [name]


def test_printable_escapes_every_character_a_person_does_not_see() -> None:
    # printable passes a text Python calls printable without its table (a plain name costs no
    # 20 ms build): every character of the class must still be escaped, alone or in a name.
    import unicodedata

    from mcpward.output.text import printable

    astral = (
        (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
        (0xE0000, 0xE0FFF), (0xF0000, 0x10FFFF), (0xFE00, 0xFE0F),
        # default-ignorable letters and marks (test_output_default_ignorable.py)
        (0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x2060, 0x206F),
        (0x3164, 0x3164), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8),
    )  # fmt: skip

    def unseen(code: int) -> bool:
        if code < 0x10000 and unicodedata.category(chr(code)) in ("Cc", "Cf", "Co", "Cs", "Zl", "Zp"):
            return True
        return any(low <= code <= high for low, high in astral)

    wrong = [
        hex(code)
        for code in range(0x110000)
        if (printable(f"a{chr(code)}") == f"a{chr(code)}") == unseen(code)
    ]
    assert wrong == []
    assert [printable(c) for c in ("\u200b", "\ufe0f", "\U000e0041", "\U000e0100", "\ud800", "\n")] == [
        "\\u200b", "\\ufe0f", "\\U000e0041", "\\U000e0100", "\\ud800", "\\x0a",
    ]  # fmt: skip


@pytest.mark.parametrize("backend", ["bubblewrap", "landlock"])
def test_a_command_that_cannot_start_in_the_sandbox_is_named_escaped(tmp_path: Path, backend: str) -> None:
    """The sandbox's launchers (standard library only, apart from the rest of mcpward) printed a
    config's command raw when it could not start: an OSC 52 in it wrote the clipboard of the
    terminal that ran ``sandbox run`` or ``gateway run --sandbox``."""
    from needs import sandbox_backend

    sandbox_backend(backend)
    command = "/nonexistent/x\x1b]52;c;aGk=\x07y"
    done = subprocess.run(
        [*MCPWARD, "sandbox", "run", "--backend", backend, "--audit-log", str(tmp_path / "audit.jsonl"), "--", command],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=120, env=dict(os.environ, HOME=str(tmp_path)),
    )  # fmt: skip
    assert b"cannot start" in done.stderr, done.stderr
    assert b"\x1b" not in done.stderr and b"\x07" not in done.stderr
    assert b"\\x1b]52" in done.stderr  # named, escaped
