"""Passwords given to a program's own short flag, past those ``test_scan_password_short_flags``
holds: redis-cli's ``-a PASSWORD`` (the next word only), the MySQL Shell's and MySQL's other
clients' glued ``-pPASSWORD`` (``mysqlsh``, ``mysqlimport``, ``mysqlshow``, ``mysqlcheck``), a
password that begins with a dash after a flag that takes the next word (``sshpass -p -Xq7v...``:
getopt takes it as the flag's value), the program named as Windows or a path names it
(``mysql.cmd``, ``MYSQL.EXE``, ``/usr/bin/mysql``); and a token of a known format in the folder
of a launch command that is a path (``/home/u/ghp_.../bin/server``).

Before (2026-12-06): each password was printed in clear in the record's arguments and in a
running process's command line, and made no plaintext-secret finding (``mysql.cmd`` was no
``mysql`` to DLP, which named programs with a narrower twin of launch's ``program_name``); the
token in the command's path was masked where the command was shown, but made no finding.

Now each is masked and a finding. Not a password, printed as written: ``-a`` of other programs,
``redis-cli`` with no ``-a``, ``mysql -p -e ...`` (``-p`` alone asks for the password; MySQL reads
a separate ``-X...`` as its own options, not as the password), and a path whose folder merely
begins as a token does (``/home/u/projects/ghp_notes``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_kit import assert_password_masked, mcpward_in_home

from mcpward.dlp import redact_argv, redact_command_line

SECRET = "Xq7vR2mK9pL4wZ8tQ3"
TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"

ATTACKS = [
    ("redis-cli", ["-h", "cache", "-a", SECRET, "ping"]),
    ("redis-cli", ["-a", f"-{SECRET}", "--no-auth-warning"]),
    ("docker", ["exec", "-i", "cache", "redis-cli", "-a", SECRET]),
    ("sshpass", ["-p", f"-{SECRET}", "ssh", "deploy@db", "mcp-server-sql"]),
    ("mysqlsh", ["--sql", "-uroot", f"-p{SECRET}", "-h", "db"]),
    ("mysqlimport", ["-uroot", f"-p{SECRET}", "inventory", "rows.csv"]),
    ("mysqlshow", ["-uroot", f"-p{SECRET}"]),
    ("mysqlcheck", ["-uroot", f"-p{SECRET}", "--all-databases"]),
    ("mysql", ["-uroot", f"-p-{SECRET}", "inventory"]),
    ("mysql.cmd", ["-uroot", f"-p{SECRET}", "inventory"]),
    ("MYSQL.EXE", ["-uroot", f"-p{SECRET}", "inventory"]),
    ("/usr/bin/mysql", ["-uroot", f"-p{SECRET}", "inventory"]),
    ("C:\\Program Files\\MySQL\\bin\\mysql.bat", [f"-p{SECRET}"]),
]


@pytest.mark.parametrize(("command", "args"), ATTACKS, ids=lambda x: str(x)[:40])
def test_the_password_is_masked(command: str, args: list[str]) -> None:
    assert_password_masked(command, args, SECRET)


def test_a_process_command_line_masks_it() -> None:
    assert SECRET not in redact_command_line(f"redis-cli -h cache -a {SECRET} ping")
    assert SECRET not in redact_command_line(f"mysql.cmd -uroot -p{SECRET}")
    masked, hits = redact_argv(["C:\\tools\\redis-cli.exe", "-a", SECRET])
    assert hits and SECRET not in " ".join(masked)


BENIGN = [
    ("redis-cli", ["-h", "cache", "-p", "6379", "ping"]),
    ("redis-cli", ["--askpass", "-h", "cache"]),
    ("node", ["server.js", "-a", "all"]),
    ("npx", ["-y", "mcp-server-files", "-a", "/srv/data"]),
    ("mysql", ["-uroot", "-p", "-e", "SELECT 1", "inventory"]),
    ("mysqlsh", ["--sql", "-uroot", "-p", "-h", "db"]),
    ("sshpass", ["-e", "ssh", "deploy@db", "mcp-server-sql"]),
    ("/home/u/projects/ghp_notes/bin/server", ["/home/u/projects/ghp_notes", "--port", "8080"]),
]


@pytest.mark.parametrize(("command", "args"), BENIGN, ids=lambda x: str(x)[:40])
def test_other_flags_print_as_written(command: str, args: list[str]) -> None:
    assert redact_argv(args, command=command) == (tuple(args), [])


def _scan(home: Path, servers: dict[str, object]) -> tuple[str, list[dict[str, object]]]:
    (home / ".cursor").mkdir()
    (home / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    done = mcpward_in_home(home, "scan", "--home", str(home), "-f", "json", timeout=60)
    assert done.returncode in (0, 1), done.stderr[-500:]
    return done.stdout + done.stderr, json.loads(done.stdout)["findings"]


def test_a_scan_finds_each_and_prints_none(tmp_path: Path) -> None:
    servers = {
        "cache": {"command": "redis-cli", "args": ["-h", "cache", "-a", SECRET]},
        "db": {"command": "mysql.cmd", "args": ["-uroot", f"-p{SECRET}", "inventory"]},
        "local": {"command": f"/home/u/{TOKEN}/bin/mcp-server", "args": []},
    }
    printed, findings = _scan(tmp_path, servers)
    assert SECRET not in printed and TOKEN[4:12] not in printed
    found = {f.get("server") for f in findings if f["category"] == "plaintext-secret"}
    assert found >= {"cache", "db", "local"}, findings


def test_ordinary_paths_and_flags_make_no_finding(tmp_path: Path) -> None:
    servers = {
        "notes": {"command": "/home/u/projects/ghp_notes/bin/server", "args": ["/home/u/projects/ghp_notes"]},
        "cache": {"command": "redis-cli", "args": ["-h", "cache", "-p", "6379"]},
    }
    printed, findings = _scan(tmp_path, servers)
    assert not [f for f in findings if f["category"] == "plaintext-secret"], findings
    assert "/home/u/projects/ghp_notes/bin/server" in printed
