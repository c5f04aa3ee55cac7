"""A JSONC config with a syntax error that its client reads around: VS Code parses its settings,
``mcp.json`` files, workspace files and dev containers with a fault-tolerant parser (``parse``
of jsonc-parser, which skips to the next ``,`` or ``}`` after an error and ignores what follows
the first value), so the servers around the error still start, after the trust prompt.

Before 2026-12-06 such a file was a low ``parse-error`` line and none of its servers was in the
inventory: one stray character kept a repository's server out of every scan gated on high
findings. Now a JSONC config that does not parse is read as that parser reads it, its servers
inventoried and judged, and the error still said."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from mcpward.scan._engine import ScanOptions, discover, run_scan

EVIL = json.dumps({"command": "npx", "args": ["-y", "evil-mcp@1.0.0", "--api-key", "Xq7vR2mK9pL4wZ8tQ3"]})
PLAIN = json.dumps({"command": "npx", "args": ["-y", "notes-mcp@1.0.0"]})


def _read(tree: Path) -> tuple[set[str], list[str]]:
    found = discover(ScanOptions(paths=(tree,), include_user_configs=False, workers=1))
    return {s.name for s in found.servers}, [e.message for e in found.errors]


@pytest.mark.parametrize(
    "text",
    [
        '{"servers": {"evil": ' + EVIL + "}}\n}oops",  # after the value
        '{"servers": {"notes": ' + PLAIN + ' "evil": ' + EVIL + "}}",  # a comma left out
        '{"servers": {"notes": ' + PLAIN + ", oops, " + '"evil": ' + EVIL + "}}",  # a stray word
        '{"servers": {"evil": ' + EVIL + ', "notes": ' + PLAIN + "}} /* never closed",
        '{"servers": {"evil": ' + EVIL + ', "notes": {"command": "npx", "args": ["-y", }',  # cut off
    ],
    ids=["trailing", "missing-comma", "stray-word", "open-comment", "cut-off"],
)
def test_servers_around_a_syntax_error_are_inventoried(tmp_path: Path, text: str) -> None:
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode" / "mcp.json").write_text(text)
    names, errors = _read(tmp_path)
    assert "evil" in names
    assert len(errors) == 1 and "JSON syntax error" in errors[0]


def test_a_server_read_around_an_error_is_judged(tmp_path: Path) -> None:
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode" / "mcp.json").write_text('{"servers": {"evil": ' + EVIL + "}} x")
    report = run_scan(ScanOptions(paths=(tmp_path,), include_user_configs=False, workers=1))
    assert any(f.category.value == "plaintext-secret" and f.server == "evil" for f in report.findings)
    assert "Xq7vR2mK9pL4wZ8tQ3" not in json.dumps([s.args for s in report.servers])


def test_a_file_with_nothing_to_read_is_its_error_only(tmp_path: Path) -> None:
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode" / "mcp.json").write_text("{{{{ not json at all")
    (tmp_path / ".cursor").mkdir()
    (tmp_path / ".cursor" / "mcp.json").write_text("[" * 200_000 + "{" * 200_000)
    started = time.process_time()
    names, errors = _read(tmp_path)
    assert time.process_time() - started < 10
    assert names == set() and len(errors) == 2


def test_a_strict_json_config_is_not_read_around_its_error(tmp_path: Path) -> None:
    # Claude Code reads .mcp.json with JSON.parse: one error and none of it runs.
    (tmp_path / ".mcp.json").write_text('{"mcpServers": {"evil": ' + EVIL + "}} x")
    names, errors = _read(tmp_path)
    assert names == set() and errors


def test_a_valid_config_reads_as_before(tmp_path: Path) -> None:
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode" / "mcp.json").write_text(
        '// team servers\n{"servers": {"notes": ' + PLAIN + ",},}\n"  # JSONC: comments, trailing commas
    )
    names, errors = _read(tmp_path)
    assert names == {"notes"} and not errors


def test_reading_around_errors_stops_at_its_budget_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mcpward.scan._tolerant_json.MAX_TOKENS", 60)
    junk = ", ".join(["oops"] * 100)
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode" / "mcp.json").write_text(
        '{"servers": {"evil": ' + EVIL + ", " + junk + ', "late": ' + PLAIN + "}}"
    )
    names, errors = _read(tmp_path)
    assert names == {"evil"}
    assert len(errors) == 1 and "the rest not" in errors[0]


def test_a_large_file_of_errors_is_read_in_bounded_time(tmp_path: Path) -> None:
    (tmp_path / ".vscode").mkdir()
    size = 8 * 1024 * 1024
    (tmp_path / ".vscode" / "mcp.json").write_text('{"servers": {"evil": ' + EVIL + ", " + "x," * (size // 2))
    started = time.process_time()
    names, errors = _read(tmp_path)
    assert time.process_time() - started < 15
    assert names == {"evil"} and len(errors) == 1


@pytest.mark.parametrize("space", ["\u00a0", "\u2028", "\u3000", "\x1c"])
def test_any_white_space_is_read_over(tmp_path: Path, space: str) -> None:
    # jsonc-parser takes these for white space: a reader that stopped at one missed the rest.
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode" / "mcp.json").write_text(
        '{"servers": {"notes": ' + PLAIN + "," + space + '"evil": ' + EVIL + "}} x"
    )
    names, _ = _read(tmp_path)
    assert names == {"notes", "evil"}


def test_a_line_comment_ends_at_a_carriage_return(tmp_path: Path) -> None:
    # Old Mac line ends: jsonc-parser ends a // comment at CR as at LF.
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode" / "mcp.json").write_text(
        '// team servers\r{"servers": {"evil": ' + EVIL + "}}\rx", newline=""
    )
    names, errors = _read(tmp_path)
    assert names == {"evil"} and len(errors) == 1


def test_files_of_errors_share_one_budget_and_the_rest_are_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each file's reading was bounded, the scan's not: a tree of hostile files cost a file's
    budget each (4,000,000 tokens, 5.8 s, a file). Now the files share one, and those past it
    are their error line, saying so."""
    monkeypatch.setattr("mcpward.scan._tolerant_json.MAX_TOKENS", 100)
    monkeypatch.setattr("mcpward.scan._engine.MAX_SCAN_TOKENS", 250)
    junk = ", ".join(["oops"] * 200)
    for number in range(5):
        folder = tmp_path / f"project{number}" / ".vscode"
        folder.mkdir(parents=True)
        (folder / "mcp.json").write_text(
            '{"servers": {"evil' + str(number) + '": ' + EVIL + ", " + junk + "}}"
        )
    names, errors = _read(tmp_path)
    assert names == {"evil0", "evil1", "evil2"}  # 100 + 100 + the last 50 tokens
    assert len(errors) == 5
    assert sum("the rest not" in error for error in errors) == 3
    assert sum("budget for such files is spent" in error for error in errors) == 2
