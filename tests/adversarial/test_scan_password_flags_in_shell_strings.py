"""A listed program's password flag inside a shell string: the script of ``sh -c``, ``bash
-lc`` (one word of the launch line, or of a running process's command line).

Before (2026-12-06): the string was judged as one word, where ``-p`` glued to a password is no
secret name and the password of no known format: ``sh -c "mysql -uroot -pPASSWORD shop |
mcp-bridge"`` and ``bash -lc "redis-cli -a PASSWORD monitor"`` were printed whole and made no
finding, while the same words given apart were masked. Now a word with white space in which a
listed program is named is read as the shell's words; a password there is masked (the word
shown as those words, masked) and a finding. Other strings print as written: a description
naming the program (``"the mysql -p flag asks for the password"``), a script with none."""

from __future__ import annotations

import pytest
from cli_kit import assert_password_masked

from mcpward.dlp import redact_argv, redact_command_line

SECRET = "Xq7vR2mK9pL4wZ8tQ3"

ATTACKS = [
    ("sh", ["-c", f"mysql -uroot -p{SECRET} shop | mcp-bridge"]),
    ("bash", ["-lc", f"exec redis-cli -h cache -a {SECRET} monitor"]),
    ("bash", ["-c", f"docker exec -i db mongosh -u admin -p '{SECRET}' --quiet"]),
    ("sh", ["-c", f"sshpass -p {SECRET} ssh deploy@db mcp-server-sql"]),
    ("docker", ["run", "--rm", "-i", "img", "sh", "-c", f"mysqldump -p{SECRET} shop"]),
    # The program's name spelled as a shell reads it: escaped, quoted, a Windows path in quotes,
    # upper case with a suffix (the string is searched for a name before it is split).
    ("sh", ["-c", f"redis-cli\\.exe -a {SECRET} monitor"]),
    ("sh", ["-c", f"my'sql' -p{SECRET} shop"]),
    ("cmd", ["/c", f"'C:\\Program Files\\MySQL\\bin\\mysql.exe' -p{SECRET} shop"]),
    ("sh", ["-c", f"cd /srv && /usr/bin/MYSQL.EXE/ -p{SECRET} shop"]),
]


@pytest.mark.parametrize(("command", "args"), ATTACKS, ids=lambda x: str(x)[:40])
def test_the_password_in_the_script_is_masked(command: str, args: list[str]) -> None:
    assert_password_masked(command, args, SECRET)


def test_a_process_command_line_masks_it() -> None:
    line = f"/bin/sh -c 'mysql -uroot -p{SECRET} shop | mcp-bridge'"
    assert SECRET not in redact_command_line(line)


BENIGN = [
    ("sh", ["-c", "mysql -uroot -p shop < schema.sql"]),
    ("node", ["server.js", "--help-text", "the mysql -p flag asks for the password"]),
    ("bash", ["-lc", "cd /srv/app && exec node server.js --port 8080"]),
    ("sh", ["-c", "redis-cli -h cache -p 6379 ping"]),
]


@pytest.mark.parametrize(("command", "args"), BENIGN, ids=lambda x: str(x)[:40])
def test_other_scripts_print_as_written(command: str, args: list[str]) -> None:
    assert redact_argv(args, command=command) == (tuple(args), [])
