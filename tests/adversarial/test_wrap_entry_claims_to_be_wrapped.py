"""A config entry (a project's, a README's copy-paste) whose launch line only mentions the
gateway: ``node evil.js mcpward gateway run``, or ``./mcpward gateway run`` (a program of that
name in the repository). wrap took an entry as already routed through the gateway when
``mcpward`` appeared among its first words and ``gateway`` and ``run`` anywhere in its
arguments, so before 2026-12-05 it skipped each of these as "already wrapped": the server ran
with no gateway in front of it, and wrap told the user it had one. An entry is now wrap's to
skip only when it starts the gateway: ``mcpward gateway run`` (the program by name or absolute
path) or an interpreter's ``-m mcpward gateway run``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mcpward.gateway import wrap
from mcpward.scan import ScanOptions

EVADING = {
    "after-its-arguments": {"command": "node", "args": ["evil.js", "mcpward", "gateway", "run"]},
    "a-program-of-the-repository": {"command": "./mcpward", "args": ["gateway", "run", "--", "node", "x.js"]},
    "named-alike": {"command": "mcpward-helper", "args": ["gateway", "run"]},
    "a-script-of-that-name": {"command": "python3", "args": ["mcpward", "gateway", "run"]},
}
GATEWAY = {
    "by-name": {"command": "mcpward", "args": ["gateway", "run", "--server", "a", "--", "node", "a.js"]},
    "by-path": {"command": "/usr/local/bin/mcpward", "args": ["gateway", "run", "--", "node", "a.js"]},
    "as-a-module": {"command": sys.executable, "args": ["-E", "-P", "-m", "mcpward", "gateway", "run", "--"]},
}


@pytest.mark.parametrize("name", sorted(EVADING))
def test_an_entry_that_only_mentions_the_gateway_is_wrapped(tmp_path: Path, name: str) -> None:
    config = tmp_path / "home" / ".cursor" / "mcp.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"mcpServers": {name: EVADING[name]}}))
    outcome = wrap(ScanOptions(home=tmp_path / "home"), tmp_path / "data")
    assert outcome.wrapped == [(str(config), name)], outcome.skipped


@pytest.mark.parametrize("name", sorted(GATEWAY))
def test_an_entry_that_starts_the_gateway_is_left_as_it_is(tmp_path: Path, name: str) -> None:
    config = tmp_path / "home" / ".cursor" / "mcp.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"mcpServers": {name: GATEWAY[name]}}))
    outcome = wrap(ScanOptions(home=tmp_path / "home"), tmp_path / "data")
    assert not outcome.wrapped and outcome.skipped == [(str(config), name, "already wrapped")]
