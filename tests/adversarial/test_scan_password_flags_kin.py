"""Passwords given to the short flag of the listed programs' kin, and a container's name taken
for one of them.

Misses (before 2026-12-06, later the same day): redis-cli's forks (``valkey-cli -a``,
``keydb-cli -a``), the MySQL and MariaDB clients left off the list (``mysqlslap``,
``mysqlpump``, ``mysqlbinlog``, ``mysql_upgrade``, ``mariadb-slap``, ``mariadb-binlog``,
``mariadb-upgrade``: glued ``-p``), the MongoDB shell and tools (``mongosh -p``, ``mongo -p``,
``mongodump -p`` ...: glued or the next word), SQL Server's ``sqlcmd -P`` and ``bcp -P``, and
the OpenLDAP tools' ``-w`` (``ldapsearch -w``) were printed whole, with no finding.

A false positive: a word of the line named a listed program switches to its flags
(``docker exec db mysql -p...``), and so did a container's name: ``docker run --name mysql
-p3306:3306 mysql:8`` printed ``-p****`` and made a plaintext-secret finding of a published
port. The value of ``--name``, ``--hostname`` or ``-h`` names a container or a host, not the
program the next words are given to; with the MongoDB tools on the list, ``docker run --name
mongo -p 27017:27017 mongo`` (the most common way to start one) would have been the same."""

from __future__ import annotations

import pytest
from cli_kit import assert_password_masked

from mcpward.dlp import redact_argv

SECRET = "Xq7vR2mK9pL4wZ8tQ3"

ATTACKS = [
    ("valkey-cli", ["-h", "cache", "-a", SECRET, "ping"]),
    ("keydb-cli", ["-a", SECRET]),
    ("docker", ["exec", "-i", "cache", "valkey-cli", "-a", SECRET]),
    ("mysqlslap", ["-uroot", f"-p{SECRET}", "--concurrency=5"]),
    ("mysqlpump", ["-uroot", f"-p{SECRET}", "shop"]),
    ("mysqlbinlog", ["-uroot", f"-p{SECRET}", "--read-from-remote-server", "binlog.000001"]),
    ("mysql_upgrade", ["-uroot", f"-p{SECRET}"]),
    ("mariadb-slap", [f"-p{SECRET}"]),
    ("mariadb-binlog", [f"-p{SECRET}", "binlog.000001"]),
    ("mongosh", ["--host", "db", "-u", "admin", "-p", SECRET]),
    ("mongo", ["-u", "admin", f"-p{SECRET}", "admin"]),
    ("mongodump", ["-u", "admin", "-p", SECRET, "--out", "/backup"]),
    ("mongorestore", ["-u", "admin", "-p", SECRET, "/backup"]),
    ("mongoexport", ["-u", "admin", "-p", SECRET, "-c", "orders"]),
    ("mongoimport", ["-u", "admin", "-p", SECRET, "-c", "orders"]),
    ("docker", ["exec", "-it", "mongo", "mongosh", "-u", "admin", "-p", SECRET]),
    ("sqlcmd", ["-S", "db", "-U", "sa", "-P", SECRET, "-Q", "SELECT 1"]),
    ("sqlcmd", ["-S", "db", "-U", "sa", f"-P{SECRET}"]),
    ("bcp", ["dbo.orders", "out", "o.dat", "-S", "db", "-U", "sa", "-P", SECRET]),
    ("ldapsearch", ["-x", "-H", "ldap://dir", "-D", "cn=admin,dc=corp", "-w", SECRET, "uid=jo"]),
    ("ldapmodify", ["-x", "-D", "cn=admin,dc=corp", f"-w{SECRET}", "-f", "change.ldif"]),
    ("mysql", ["-h", "mysql", f"-p{SECRET}"]),  # a host named as the program: still its flags
]


@pytest.mark.parametrize(("command", "args"), ATTACKS, ids=lambda x: str(x)[:40])
def test_the_password_is_masked(command: str, args: list[str]) -> None:
    assert_password_masked(command, args, SECRET)


BENIGN = [
    ("docker", ["run", "--name", "mysql", "-p3306:3306", "-d", "mysql:8"]),
    ("docker", ["run", "--name", "mongo", "-p", "27017:27017", "-d", "mongo"]),
    ("docker", ["run", "--hostname", "mongo", "-p", "27017:27017", "mongo:7"]),
    ("podman", ["run", "-h", "redis-cli", "-a", "stdout", "redis"]),
    ("mongosh", ["--host", "db", "-u", "admin", "-p"]),  # asks for it
    ("mongodump", ["--uri", "mongodb://db", "--out", "/backup"]),
    ("sqlcmd", ["-S", "db", "-E", "-Q", "SELECT 1", "-p"]),  # -p: print statistics
    ("ldapsearch", ["-x", "-H", "ldap://dir", "-b", "dc=corp", "-W", "uid=jo"]),  # -W asks for it
    ("valkey-cli", ["-h", "cache", "-p", "6379", "ping"]),
    ("npx", ["-y", "mcp-server-mongodb", "-p", "3000"]),
]


@pytest.mark.parametrize(("command", "args"), BENIGN, ids=lambda x: str(x)[:40])
def test_ports_names_and_other_flags_print_as_written(command: str, args: list[str]) -> None:
    assert redact_argv(args, command=command) == (tuple(args), [])
