"""A secret that begins with ``-`` given to a secret-named flag as its next word (``--token
-abc...``, ``--password -x...``, ``--client-secret --...``): generated keys and passwords may
begin with a dash, and a launch line passes them as any other value.

Before 2026-12-06 a word beginning with ``-`` was taken for the next flag, never for the value
of the flag before it, so the secret was printed in clear in the record's arguments by every
output format (table, JSON, CSV, CycloneDX) and in a running server's command line, and no
plaintext-secret finding was made. Now such a word is the flag's value unless it is shaped as
a flag name (words: ``--verbose``, ``--log-level``, ``-y``); ``mysql --password --host db``,
where ``--password`` asks for the password, keeps ``--host``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from cli_kit import mcpward_in_home, processes_scan_beside

from mcpward.dlp import redact_argv

SECRET = "Xq7vR2mK9pL4wZ8tQ3"


@pytest.mark.parametrize(
    ("argv", "secret"),
    [
        (("--token", f"-abc{SECRET}"), SECRET),
        (("--password", f"-x{SECRET}"), SECRET),
        (("--api-key", f"-{SECRET}"), SECRET),
        (("--client-secret", f"--{SECRET}"), SECRET),
        (("--password", "-p4ssw0rd!"), "p4ssw0rd"),
        (("--token", f"-{SECRET}=="), SECRET),
        (("--password=-x" + SECRET,), SECRET),
    ],
)
def test_a_dash_value_of_a_secret_flag_is_masked(argv: tuple[str, ...], secret: str) -> None:
    masked, hits = redact_argv(argv)
    assert secret not in " ".join(masked)
    assert masked[0].startswith(argv[0].split("=")[0]) and hits


@pytest.mark.parametrize(
    "argv",
    [
        ("--password", "--host", "db.internal"),
        ("--token", "-y"),
        ("--auth", "--log-level", "debug"),
        ("--no-auth", "--port", "8080"),
        ("--api-key", "--http2"),
        ("--token", "-v", "--read-only"),
        ("--secret", "-Dfile.encoding=UTF-8"),
        ("--offset", "-5"),
    ],
)
def test_a_flag_after_a_secret_flag_is_kept(argv: tuple[str, ...]) -> None:
    assert redact_argv(argv) == (argv, [])


def test_the_word_after_a_masked_value_is_not_judged_under_it() -> None:
    masked, hits = redact_argv(["--token", f"-{SECRET}", "stdio"])
    assert masked == ("--token", "****", "stdio") and len(hits) == 1


@pytest.mark.parametrize("output", ["table", "json", "csv", "sarif", "cyclonedx"])
def test_no_format_prints_a_dash_secret_of_a_configured_server(tmp_path: Path, output: str) -> None:
    (tmp_path / ".cursor").mkdir()
    servers = {
        "search": {"command": "npx", "args": ["-y", "es-mcp@1.0.0", "--token", f"-abc{SECRET}"]},
        "db": {"command": "uvx", "args": ["db-mcp==1.0.0", "--password", f"-x{SECRET}"]},
    }
    (tmp_path / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    done = mcpward_in_home(tmp_path, "scan", "--home", str(tmp_path), "-f", output, timeout=60)
    assert done.returncode in (0, 1), done.stderr[-500:]
    assert "search" in done.stdout and "db" in done.stdout
    assert SECRET not in done.stdout + done.stderr


def test_a_dash_secret_is_a_plaintext_secret_finding(tmp_path: Path) -> None:
    (tmp_path / ".cursor").mkdir()
    servers = {"search": {"command": "npx", "args": ["-y", "es-mcp@1.0.0", "--api-key", f"-{SECRET}"]}}
    (tmp_path / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    done = mcpward_in_home(tmp_path, "scan", "--home", str(tmp_path), "-f", "json", timeout=60)
    report = json.loads(done.stdout)
    rules = {f["rule"] for f in report["findings"] if f.get("server") == "search"}
    assert "secret-by-key-name" in rules


def test_flags_after_flags_print_as_written(tmp_path: Path) -> None:
    (tmp_path / ".cursor").mkdir()
    args = ["-y", "es-mcp@1.0.0", "--no-auth", "--port", "8080", "--log-level", "debug"]
    servers = {"search": {"command": "npx", "args": args}}
    (tmp_path / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    done = mcpward_in_home(tmp_path, "scan", "--home", str(tmp_path), "-f", "json", timeout=60)
    (server,) = json.loads(done.stdout)["servers"]
    assert server["args"] == args
    assert not [f for f in json.loads(done.stdout)["findings"] if f["category"] == "plaintext-secret"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_no_process_command_line_prints_a_dash_secret(tmp_path: Path) -> None:
    pid, done = processes_scan_beside(tmp_path, "mcp-server-dash", "--token", f"-abc{SECRET}")
    assert f"pid {pid}" in done.stdout, done.stderr[-500:]
    assert SECRET not in done.stdout + done.stderr
