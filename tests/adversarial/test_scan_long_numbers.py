"""A number of more than 4,300 digits in a config file (JSON, JSONC, TOML or YAML): Python
refuses to convert so long a decimal to an integer (CVE-2020-10735's limit) with a ValueError,
which none of the parsers' error handling expected.

Before, one such number anywhere in any config the scan read (``"timeout": 1111...``, 5 KB)
ended the whole scan with an internal error (exit 70) and no inventory, in a home or in a
tree; the same for every command that reads a client config. Now it is that file's parse error,
worded without the document, and the rest of the inventory is kept.

YAML 1.1 also reads ``1:2:3`` as a base-60 integer, one multiplication per part of a number that
grows: a 160 KB scalar ``1:1:1:...`` took 1.9 s to load, as the square of its length (a 32 MB
one, most of a day). A plain YAML scalar that reads as a number longer than Python converts
is now refused before it is built."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_kit import mcpward_in_home

from mcpward._documents import DocumentError, DocumentFormat, parse_text

LONG = "1" * 5_000

#: A config of each format, where its host reads it, holding a long number.
CONFIGS = {
    "json": (".cursor/mcp.json", '{"mcpServers": {"x": {"command": "npx", "timeout": ' + LONG + "}}}"),
    "jsonc": (".config/zed/settings.json", '{"context_servers": {}, "n": ' + LONG + ", // c\n}"),
    "toml": (".codex/config.toml", "[mcp_servers.x]\ncommand = 'npx'\ntimeout = " + LONG + "\n"),
    "yaml": (
        ".config/goose/config.yaml",
        "extensions:\n  x: {type: stdio, cmd: npx, timeout: " + LONG + "}\n",
    ),
}


@pytest.mark.parametrize("fmt", list(CONFIGS))
def test_a_long_number_is_the_files_parse_error(tmp_path: Path, fmt: str) -> None:
    relative, text = CONFIGS[fmt]
    (tmp_path / relative).parent.mkdir(parents=True)
    (tmp_path / relative).write_text(text, encoding="utf-8")
    (tmp_path / ".gemini").mkdir()
    kept = {"mcpServers": {"kept": {"command": "npx", "args": ["-y", "kept-mcp@1.0.0"]}}}
    (tmp_path / ".gemini" / "settings.json").write_text(json.dumps(kept), encoding="utf-8")
    done = mcpward_in_home(tmp_path, "scan", "--home", str(tmp_path), "-f", "json", timeout=60)
    assert done.returncode == 0, done.stderr[-500:]
    report = json.loads(done.stdout)
    assert [s["name"] for s in report["servers"]] == ["kept"]
    errors = [e["message"] for e in report["errors"] if e["path"].endswith(relative.rsplit("/", 1)[-1])]
    assert len(errors) == 1 and "number" in errors[0], report["errors"]


def test_a_long_number_in_a_trees_config_does_not_end_the_scan(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / ".cursor").mkdir(parents=True)
    (tree / ".cursor" / "mcp.json").write_text(CONFIGS["json"][1], encoding="utf-8")
    done = mcpward_in_home(tmp_path, "scan", "--only-paths", "--path", str(tree), "-f", "json", timeout=60)
    assert done.returncode == 0, done.stderr[-500:]
    assert len(json.loads(done.stdout)["errors"]) == 1


@pytest.mark.parametrize("fmt", ["json", "jsonc", "toml", "yaml"])
def test_the_message_quotes_nothing(fmt: str) -> None:
    with pytest.raises(DocumentError) as raised:
        parse_text(CONFIGS[fmt][1], DocumentFormat(fmt))
    assert "1111" not in str(raised.value)


def test_a_long_base_60_number_costs_its_length(tmp_path: Path) -> None:
    import time

    (tmp_path / ".config" / "goose").mkdir(parents=True)
    text = "extensions: {}\nx: 1" + ":1" * 1_000_000 + "\n"  # 2 MB: hours, as a number
    (tmp_path / ".config" / "goose" / "config.yaml").write_text(text, encoding="utf-8")
    started = time.monotonic()
    done = mcpward_in_home(tmp_path, "scan", "--home", str(tmp_path), "-f", "json", timeout=60)
    assert done.returncode == 0, done.stderr[-500:]
    assert time.monotonic() - started < 20
    errors = [e["message"] for e in json.loads(done.stdout)["errors"]]
    assert any("number" in message for message in errors), errors


@pytest.mark.parametrize(
    "text",
    [
        "a: 0x" + "f" * 5_000,
        "a: " + "1_" * 3_000 + "1",
        "a: 1.5e+" + "1" * 5_000,
        "a: !!int '" + "1:" * 3_000 + "1'",
    ],
)
def test_long_numbers_of_every_yaml_spelling_are_refused(text: str) -> None:
    with pytest.raises(DocumentError, match="number"):
        parse_text(text, DocumentFormat.YAML)


def test_a_long_quoted_string_of_digits_is_still_text() -> None:
    assert parse_text("a: '" + "1" * 5_000 + "'", DocumentFormat.YAML) == {"a": "1" * 5_000}


def test_a_long_hex_number_in_one_entry_costs_only_that_entry(tmp_path: Path) -> None:
    """TOML and JSON5 spell integers in hex, which Python converts at any length, but then
    writes in decimal only up to 4,300 digits: one entry's ``args = [0xfff...]`` made writing
    it raise, and every server of the file was lost to "unexpected structure"."""
    (tmp_path / ".codex").mkdir()
    text = (
        "[mcp_servers.hexed]\ncommand = 'npx'\nargs = [0x" + "f" * 5_000 + "]\n"
        "[mcp_servers.plain]\ncommand = 'npx'\nargs = ['-y', 'plain-mcp@1.0.0']\n"
    )
    (tmp_path / ".codex" / "config.toml").write_text(text, encoding="utf-8")
    done = mcpward_in_home(tmp_path, "scan", "--home", str(tmp_path), "-f", "json", timeout=60)
    assert done.returncode == 0, done.stderr[-500:]
    report = json.loads(done.stdout)
    assert sorted(s["name"] for s in report["servers"]) == ["hexed", "plain"], report["errors"]
