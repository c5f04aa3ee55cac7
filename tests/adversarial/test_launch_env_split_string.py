"""Attack: ``env`` given its variables, or another folder, in a form the launch's parse took for a
flag. GNU env (coreutils 9.1, run here) splits ``-S STRING`` / ``--split-string=STRING`` into
arguments in place, options, variables and command alike (``env -SNODE_OPTIONS=--require=x.js
npx ...``, ``env '-S --chdir /tmp/x' npx ...``, a cluster ``-iS...``), and takes any unambiguous
prefix of a long option (``--s=...`` is ``--split-string``, ``--ch=DIR`` is ``--chdir``). The
parse skipped ``-S...`` as a flag and knew ``--chdir=`` spelled out only: the variables went
unjudged, the folder unread, and the gateway started the line as the approved entry (the scan
approved it) until 2026-12-05. Now the split string is read as env reads it, and a long option
by any prefix.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_launch_program_of_its_own import _gateway_refuses, _scan_approves

NPX = ("npx", "-y", "ok-mcp@1.0.0")


@pytest.mark.parametrize(
    "env",
    [
        ("env", "-SNODE_OPTIONS=--require=/tmp/evil.js"),
        ("env", "-S", "npm_config_registry=http://127.0.0.1:9/"),
        ("env", "-S npm_config_registry=http://127.0.0.1:9/"),
        ("env", "--split-string=npm_config_registry=http://127.0.0.1:9/"),
        ("env", "--s=npm_config_registry=http://127.0.0.1:9/"),
        ("env", "-iSnpm_config_registry=http://127.0.0.1:9/"),
        ("env", "-S --chdir /tmp/x"),
        ("env", "--ch=/tmp/x"),
        ("env", "--chd", "/tmp/x"),
        ("env", "-S", "-S npm_config_registry=http://127.0.0.1:9/"),
    ],
    ids=" ".join,
)
def test_what_env_reads_in_a_split_string_or_an_abbreviation_is_judged(
    env: tuple[str, ...], tmp_path: Path
) -> None:
    command = (*env, *NPX)
    assert _gateway_refuses(command, {}, tmp_path)
    assert not _scan_approves(command)


def test_a_harmless_split_string_still_starts(tmp_path: Path) -> None:
    command = ("env", "-S", "LOG_LEVEL=debug npx", "-y", "ok-mcp@1.0.0")
    assert not _gateway_refuses(command, {}, tmp_path)
    assert _scan_approves(command)
