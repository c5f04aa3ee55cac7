"""The MDM bundle's PowerShell script (``enforce --format mdm``), which an administrator's Intune
or Group Policy runs as SYSTEM on every Windows machine, read as Windows PowerShell 5.1 reads it.

The script was written in UTF-8 without a byte order mark, and Windows PowerShell 5.1 (the
``powershell.exe`` Intune runs) reads such a file in the machine's ANSI code page. A requester's
remote URL holding ``\u0111`` (UTF-8 ``C4 91``) reads there as ``\u00c4\u2018``: the
typographic quote ends the single-quoted literal mcpward wrote, and the rest of the URL is a
command, run as SYSTEM. The request only has to be decided: a rejected one is written to
Claude Code's denied list."""

from __future__ import annotations

import json

import pytest
from cli_kit import decided, mcpward

from mcpward.registry import Identity, Registry
from powershell_literals import ps_literals

PAYLOAD = "https://h.example/a\u0111 ; Start-Process calc.exe ; \u0111\u00e9\U0001f600"


@pytest.fixture(scope="module")
def script(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    tmp_path = tmp_path_factory.mktemp("mdm")
    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    try:
        decided(registry, "io.github.mallory/x", Identity(kind="remote", url=PAYLOAD), approve=False)
    finally:
        registry.database.dispose()
    done = mcpward("enforce", "--root", str(tmp_path / "out"), "--registry", database, "--format", "mdm")
    assert done.returncode == 0, done.stderr
    return (tmp_path / "out" / "windows" / "mcpward-enforce.ps1").read_bytes()


@pytest.mark.parametrize("code_page", ["cp1252", "cp1250", "cp932", "utf-8"])
def test_a_requesters_url_stays_one_literal_in_every_code_page(script: bytes, code_page: str) -> None:
    # As Windows PowerShell 5.1 reads a script without a byte order mark: its ANSI code page.
    text = script.decode(code_page, "replace")
    literals = ps_literals(text)
    at = literals.index("HKLM:\\SOFTWARE\\Policies\\ClaudeCode")
    assert literals[at + 1] == "Settings"
    assert json.loads(literals[at + 2])["deniedMcpServers"] == [{"serverUrl": PAYLOAD}]
    assert "Start-Process" not in "".join(
        line for line in text.splitlines() if not line.startswith(("Set-McpwardValue", "Write-McpwardFile"))
    )
