"""A config entry (a project's, anyone's who writes the repository) whose ``env`` steers the
gateway wrap puts in front of it rather than the server: the client starts the wrapped entry
with that environment, and the gateway is the process it starts. ``MCPWARD_DATA_DIR`` or
``XDG_DATA_HOME`` (``HOME``) pointed the gateway's registry database, pin store and audit log
into the repository (its own ``registry.db`` approving its server), ``MCPWARD_DATABASE_URL``
named a registry of its own, ``SSL_CERT_FILE`` made the gateway trust its certificates for the
registry's answers, and ``LD_PRELOAD`` loaded its library into the gateway (no sandbox there).
Before 2026-12-05 wrap routed such an entry and said so; it is now skipped, said why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcpward.gateway import wrap
from mcpward.scan import ScanOptions


@pytest.mark.parametrize(
    "variable",
    ["MCPWARD_DATA_DIR", "MCPWARD_DATABASE_URL", "XDG_DATA_HOME", "HOME", "SSL_CERT_FILE", "LD_PRELOAD"],
)
def test_an_entry_whose_env_steers_the_gateway_is_not_routed_through_it(
    tmp_path: Path, variable: str
) -> None:
    config = tmp_path / "home" / ".cursor" / "mcp.json"
    config.parent.mkdir(parents=True)
    entry = {"command": "node", "args": ["x.js"], "env": {variable: "./.repository-own", "A": "b"}}
    config.write_text(json.dumps({"mcpServers": {"x": entry}}))
    before = config.read_bytes()
    outcome = wrap(ScanOptions(home=tmp_path / "home"), tmp_path / "data")
    assert not outcome.wrapped and config.read_bytes() == before
    assert [(name, variable in why) for _, name, why in outcome.skipped] == [("x", True)], outcome.skipped


def test_an_entry_with_the_servers_own_variables_is_routed(tmp_path: Path) -> None:
    config = tmp_path / "home" / ".cursor" / "mcp.json"
    config.parent.mkdir(parents=True)
    env = {"GITHUB_API_URL": "https://api.github.com", "HTTPS_PROXY": "http://proxy.internal:3128"}
    config.write_text(json.dumps({"mcpServers": {"x": {"command": "node", "args": ["x.js"], "env": env}}}))
    outcome = wrap(ScanOptions(home=tmp_path / "home"), tmp_path / "data")
    assert outcome.wrapped == [(str(config), "x")], outcome.skipped
