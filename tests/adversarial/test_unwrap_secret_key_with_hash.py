"""A moved secret of a server whose name holds ``#`` (a name is any key of the config): wrap
writes ``--secret VAR=file:SECRETS#team#1.VAR``, which the gateway reads as it must, cutting the
reference at its first ``#`` (the secrets file's path holds none: wrap refuses such a path).

Before 2026-12-05 unwrap of such a config edited since cut at the last ``#``, read the file
``SECRETS#team`` and the key ``1.VAR``, found neither in the restore list and refused the file as
if the reference had been forged: the user could leave the gateway only with ``--force``,
losing every edit. It now reads the reference as the gateway does."""

from __future__ import annotations

import json
from pathlib import Path

from mcpward.gateway import unwrap, wrap
from mcpward.scan import ScanOptions

TOKEN = "ghp_" + "Fd8s7A6p5O4i3U2y1T0r9E8w7Q6a5S4d3F2g"


def test_a_server_named_with_a_hash_gets_its_secret_back(tmp_path: Path) -> None:
    home, data, secrets = tmp_path / "home", tmp_path / "data", tmp_path / "secrets.env"
    config = home / ".cursor" / "mcp.json"
    config.parent.mkdir(parents=True)
    entry = {"command": "npx", "args": ["server-github"], "env": {"GITHUB_TOKEN": TOKEN}}
    config.write_text(json.dumps({"mcpServers": {"team#1": entry}}, indent=2))
    outcome = wrap(ScanOptions(home=home), data, secrets_file=secrets)
    assert outcome.moved == [(str(config), "team#1", "GITHUB_TOKEN")] and TOKEN not in config.read_text()
    assert f"GITHUB_TOKEN=file:{secrets}#team#1.GITHUB_TOKEN" in config.read_text()
    config.write_text(config.read_text().replace("{", '{"edited": true, ', 1))
    restored, problems = unwrap(data)
    assert restored == [str(config)] and not problems, problems
    assert json.loads(config.read_text()) == {"edited": True, "mcpServers": {"team#1": entry}}
    assert not secrets.exists() or TOKEN not in secrets.read_text()
