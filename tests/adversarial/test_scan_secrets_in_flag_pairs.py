"""A secret given to a secret-named flag as ``name:secret`` (``--auth admin:PASSWORD``,
``--basic-auth elastic:PASSWORD``, ``--credentials user:PASSWORD``, ``--password p:PASSWORD``):
how HTTP basic credentials are passed on a command line, in a config or in another user's
process seen by ``scan --processes``.

Before 2026-12-06 the value was split as a header (``admin: PASSWORD``), judged by the header
name ``admin`` (no secret word), and the flag's name was forgotten: the password was printed
in clear in the record's arguments by every output format, and in the command line of a
running server. Now a value that its own split does not find secret is judged under the flag
before it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from cli_kit import mcpward_in_home, processes_scan_beside

from mcpward.dlp import redact_argv

PASSWORD = "Xq7vR2mK9pL4wZ8t"


@pytest.mark.parametrize(
    "argv",
    [
        ("--auth", f"admin:{PASSWORD}"),
        ("--basic-auth", f"elastic:{PASSWORD}"),
        ("--credentials", f"user:{PASSWORD}"),
        ("--password", f"p:{PASSWORD}"),
        ("--token", f"ghx:{PASSWORD}"),
    ],
)
def test_a_pair_given_to_a_secret_flag_is_masked(argv: tuple[str, str]) -> None:
    masked, hits = redact_argv(argv)
    assert PASSWORD not in " ".join(masked)
    assert masked[0] == argv[0] and hits


@pytest.mark.parametrize(
    "argv",
    [
        ("--host", "db.internal:5432"),
        ("--listen", "127.0.0.1:8080"),
        ("--header", "Accept: application/json"),
        ("--env", "LOG_LEVEL=debug"),
    ],
)
def test_a_pair_given_to_another_flag_is_kept(argv: tuple[str, str]) -> None:
    assert redact_argv(argv) == (argv, [])


@pytest.mark.parametrize("output", ["table", "json", "csv", "sarif", "cyclonedx"])
def test_no_format_prints_the_password_of_a_configured_server(tmp_path: Path, output: str) -> None:
    (tmp_path / ".cursor").mkdir()
    servers = {
        "search": {
            "command": "npx",
            "args": [
                "-y",
                "es-mcp@1.0.0",
                "--url",
                "https://es.example.com",
                "--basic-auth",
                f"elastic:{PASSWORD}",
            ],
        }
    }
    (tmp_path / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    done = mcpward_in_home(tmp_path, "scan", "--home", str(tmp_path), "-f", output, timeout=60)
    assert done.returncode in (0, 1), done.stderr[-500:]
    assert "search" in done.stdout
    assert PASSWORD not in done.stdout + done.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_no_process_command_line_prints_the_password(tmp_path: Path) -> None:
    pid, done = processes_scan_beside(tmp_path, "mcp-server-basic", "--auth", f"admin:{PASSWORD}")
    assert f"pid {pid}" in done.stdout, done.stderr[-500:]
    assert PASSWORD not in done.stdout + done.stderr
