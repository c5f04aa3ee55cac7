"""``mcpward wrap`` puts the server's name (and the gateway config's and secrets file's paths)
into the entry's arguments, where the clients replace ``${VAR}`` (Claude Code, Cursor, VS
Code's ``${env:VAR}``) and ``$VAR`` (Gemini CLI) with the user's environment. A key is never
expanded; an argument is: an entry keyed ``${GITHUB_TOKEN}`` was wrapped into
``--server ${GITHUB_TOKEN}``, so the client started the gateway with the user's token on its
command line (which every local user can read) and as the server's name in every audit record.
A NUL in a name made an argument no client can start at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_kit import mcpward_with_data


@pytest.mark.parametrize("name", ["${GITHUB_TOKEN}", "$AWS_SECRET_ACCESS_KEY", "x${env:HOME}", "a\x00b"])
def test_a_name_the_client_would_expand_is_not_put_in_the_arguments(tmp_path: Path, name: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    config = home / ".claude.json"
    servers = {name: {"command": "node", "args": ["a.js"]}, "plain": {"command": "node", "args": ["b.js"]}}
    config.write_text(json.dumps({"mcpServers": servers}))
    done = mcpward_with_data(tmp_path / "data", "wrap", "--home", str(home))
    assert done.returncode == 0, done.stderr
    written = json.loads(config.read_text())["mcpServers"]
    assert written[name] == servers[name], "the name reached the client's arguments"
    assert "gateway" in written["plain"]["args"]
    assert "skipped" in done.stdout
