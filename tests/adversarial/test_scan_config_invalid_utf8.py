"""A JSON or JSONC config with a byte that is not UTF-8 (a comment or a description saved as
Windows-1252 by an editor, ``// café`` as ``caf\\xe9``; or one placed there): every client
that reads such a config runs on Node (Claude Code, VS Code, Cursor, Windsurf, Claude Desktop)
and reads the file as UTF-8 with each invalid byte replaced (``readFileSync(p, "utf8")``, a
``TextDecoder``), so the file parses and its servers start.

Before (2026-12-06): such a file was a low ``parse-error`` line ("not valid utf-8 text") and
none of its servers was in the inventory: one byte kept a repository's server out of every
scan. Now a JSON or JSONC config is read with its invalid bytes replaced, as its client reads
it, its servers inventoried and judged, the error still said. A TOML config (Codex, read by a
Rust parser that refuses such a file) is refused as before, and a binary file is still none."""

from __future__ import annotations

import json
from pathlib import Path

from mcpward.scan._engine import ScanOptions, discover, run_scan

EVIL = json.dumps({"command": "npx", "args": ["-y", "evil-mcp@1.0.0", "--api-key", "Xq7vR2mK9pL4wZ8tQ3"]})


def _read(tree: Path) -> tuple[set[str], list[str]]:
    found = discover(ScanOptions(paths=(tree,), include_user_configs=False, workers=1))
    return {s.name for s in found.servers}, [e.message for e in found.errors]


def test_a_vscode_config_with_a_latin1_comment_is_read(tmp_path: Path) -> None:
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode" / "mcp.json").write_bytes(
        b"// serveurs de l'\xe9quipe\n" + b'{"servers": {"evil": ' + EVIL.encode() + b"}}"
    )
    names, errors = _read(tmp_path)
    assert names == {"evil"}
    assert len(errors) == 1 and "utf-8" in errors[0].lower()


def test_a_claude_code_config_with_an_invalid_byte_in_a_string_is_read(tmp_path: Path) -> None:
    servers = b'{"mcpServers": {"evil": {"command": "npx", "args": ["-y", "evil-mcp@1.0.0", "caf\xe9"]}}}'
    (tmp_path / ".mcp.json").write_bytes(servers)
    names, errors = _read(tmp_path)
    assert names == {"evil"}
    assert errors and all("replaced" in error for error in errors)  # one per host reading .mcp.json


def test_its_secret_is_still_masked_and_found(tmp_path: Path) -> None:
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode" / "mcp.json").write_bytes(
        b"// \xff\n" + b'{"servers": {"evil": ' + EVIL.encode() + b"}}"
    )
    report = run_scan(ScanOptions(paths=(tmp_path,), include_user_configs=False, workers=1))
    assert any(f.category.value == "plaintext-secret" and f.server == "evil" for f in report.findings)
    assert "Xq7vR2mK9pL4wZ8tQ3" not in json.dumps([s.args for s in report.servers])


def test_a_binary_file_is_still_no_config(tmp_path: Path) -> None:
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode" / "mcp.json").write_bytes(b"\x00\x01\x02\xff" * 100)
    names, errors = _read(tmp_path)
    assert names == set() and len(errors) == 1


def test_a_utf8_config_reads_without_an_error(tmp_path: Path) -> None:
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode" / "mcp.json").write_text(
        "// serveurs de l'équipe\n" + '{"servers": {"evil": ' + EVIL + "}}", encoding="utf-8"
    )
    names, errors = _read(tmp_path)
    assert names == {"evil"} and errors == []
