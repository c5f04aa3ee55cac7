"""A password given to a program's ``-p``: the MySQL and MariaDB clients' ``-pPASSWORD`` (glued:
``-p`` alone asks for it, and the next word is the database) and sshpass's ``-p PASSWORD`` or
``-pPASSWORD`` (a remote MCP server started over ssh: ``sshpass -p ... ssh host mcp-server``).

Before (2026-12-06): ``-p`` is no secret name, and a glued short flag's value was judged as a
keyed pair only (``-eAPI_KEY=...``), so each password was printed in clear in the record's
arguments by every output format, in a running process's command line, and made no
plaintext-secret finding. Now ``-p`` of these programs (named as the command or as a word of the
line, ``docker exec db mysql -p...``) is a password. ``-p`` of any other program (a port,
``-p8080``, ``-p 3000:3000``) and ``mysql -p dbname`` print as written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_kit import assert_password_masked, mcpward_in_home

from mcpward.dlp import redact_argv, redact_command_line

SECRET = "Xq7vR2mK9pL4wZ8tQ3"

ATTACKS = [
    ("mysql", ["-uroot", f"-p{SECRET}", "-h", "db", "inventory"]),
    ("mariadb", ["--user=app", f"-pS3cret!{SECRET}"]),
    ("sshpass", ["-p", SECRET, "ssh", "deploy@db", "mcp-server-sql"]),
    ("sshpass", [f"-p{SECRET}", "ssh", "deploy@db", "mcp-server-sql"]),
    ("docker", ["exec", "-i", "db", "mysql", "-uroot", f"-p{SECRET}"]),
    ("/usr/bin/sshpass", ["-p", SECRET, "ssh", "h", "mcp"]),
]


@pytest.mark.parametrize(("command", "args"), ATTACKS, ids=lambda x: str(x)[:40])
def test_a_password_after_p_is_masked(command: str, args: list[str]) -> None:
    assert_password_masked(command, args, SECRET)


def test_a_process_command_line_masks_it() -> None:
    masked, hits = redact_argv(["/usr/bin/mysql", "-uroot", f"-p{SECRET}", "inventory"])
    assert hits and SECRET not in " ".join(masked)
    assert SECRET not in redact_command_line(f"sshpass -p {SECRET} ssh deploy@db mcp-server")


BENIGN = [
    ("docker", ["run", "-i", "--rm", "-p", "3000:3000", "mcp/server"]),
    ("docker", ["run", "-p127.0.0.1:8080:80", "mcp/server"]),
    ("npx", ["-y", "mcp-server-http", "-p8080"]),
    ("mysql", ["-uroot", "-p", "inventory"]),
    ("python", ["-m", "http.server", "-p", "8000"]),
    ("sshpass", ["-e", "ssh", "deploy@db", "mcp-server-sql"]),
]


@pytest.mark.parametrize(("command", "args"), BENIGN, ids=lambda x: str(x)[:40])
def test_other_p_flags_print_as_written(command: str, args: list[str]) -> None:
    assert redact_argv(args, command=command) == (tuple(args), [])


@pytest.mark.parametrize("output", ["json", "csv"])
def test_no_format_prints_the_password(tmp_path: Path, output: str) -> None:
    (tmp_path / ".cursor").mkdir()
    servers = {
        "remote-sql": {"command": "sshpass", "args": ["-p", SECRET, "ssh", "deploy@db", "mcp-server-sql"]},
        "db": {"command": "mysql", "args": ["-uroot", f"-p{SECRET}", "inventory"]},
    }
    (tmp_path / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    done = mcpward_in_home(tmp_path, "scan", "--home", str(tmp_path), "-f", output, timeout=60)
    assert done.returncode in (0, 1), done.stderr[-500:]
    assert "remote-sql" in done.stdout
    assert SECRET not in done.stdout + done.stderr


def test_the_password_is_a_plaintext_secret_finding(tmp_path: Path) -> None:
    (tmp_path / ".cursor").mkdir()
    servers = {
        "remote-sql": {"command": "sshpass", "args": ["-p", SECRET, "ssh", "deploy@db", "mcp-server-sql"]}
    }
    (tmp_path / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    done = mcpward_in_home(tmp_path, "scan", "--home", str(tmp_path), "-f", "json", timeout=60)
    findings = json.loads(done.stdout)["findings"]
    assert any(f["category"] == "plaintext-secret" and f.get("server") == "remote-sql" for f in findings)
