"""``wrap --move-secrets FILE`` with FILE one of the configs wrap rewrites (a slip of the
tab key: ``--move-secrets ~/.claude.json``): the secret lines were written into that config,
which its client could no longer parse, or the config written over them, so the moved secret
was left nowhere but in the backup. Such a FILE is refused and nothing changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_kit import mcpward_with_data

TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"


@pytest.mark.parametrize("target", [".claude.json", ".cursor/mcp.json"])
def test_a_secrets_file_that_is_a_config_is_refused(tmp_path: Path, target: str) -> None:
    home = tmp_path / "home"
    (home / ".cursor").mkdir(parents=True)
    plain = {"mcpServers": {"a": {"command": "node", "args": ["a.js"]}}}
    (home / ".claude.json").write_text(json.dumps(plain))
    entry = {"command": "node", "args": ["b.js"], "env": {"GITHUB_TOKEN": TOKEN}}
    (home / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": {"github": entry}}))
    before = {p: p.read_bytes() for p in (home / ".claude.json", home / ".cursor" / "mcp.json")}
    done = mcpward_with_data(
        tmp_path / "data", "wrap", "--home", str(home), "--move-secrets", str(home / target)
    )
    for config in before:
        json.loads(config.read_text())  # still a config its client reads
    assert done.returncode != 0 and "--move-secrets" in done.stderr
    assert {p: p.read_bytes() for p in before} == before
