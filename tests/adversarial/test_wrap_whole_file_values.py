"""A config ``wrap --move-secrets`` writes whole (the secret leaves the ``env``) is dumped from
its parsed value. Two values JSON reads but cannot write back: a lone surrogate
(``"\\ud800"``), which made the dump unencodable, and a number too large for a float
(``1e999``), dumped as ``Infinity``, which no client's JSON parser reads. The first crashed wrap
after earlier configs were already rewritten and before the restore list was saved, so
``unwrap`` could restore none of them; the second left a config the client cannot read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_kit import mcpward_with_data

TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"


def _not_json(name: str) -> None:
    pytest.fail(f"{name} is not JSON")


@pytest.mark.parametrize("odd", ['"\\ud800"', "1e999"], ids=["lone-surrogate", "huge-number"])
def test_every_config_stays_readable_and_restorable(tmp_path: Path, odd: str) -> None:
    home = tmp_path / "home"
    (home / ".cursor").mkdir(parents=True)
    first = home / ".claude.json"
    entry = {"command": "node", "args": ["a.js"], "env": {"GITHUB_TOKEN": TOKEN}}
    first.write_text(json.dumps({"mcpServers": {"github": entry}}))
    second = home / ".cursor" / "mcp.json"
    other = json.dumps({"command": "node", "args": ["b.js"], "env": {"GITHUB_TOKEN": "ghp_A" + TOKEN[5:]}})
    second.write_text(f'{{"odd": {odd}, "mcpServers": {{"gh": {other}}}}}')
    before = {first: first.read_bytes(), second: second.read_bytes()}
    data = tmp_path / "data"
    done = mcpward_with_data(
        data, "wrap", "--home", str(home), "--move-secrets", str(tmp_path / "s" / "mcp.env")
    )
    assert "Traceback" not in done.stderr, done.stderr[-600:]
    for config in before:
        text = config.read_bytes().decode("utf-8")  # what every client reads: strict UTF-8 JSON
        json.loads(text, parse_constant=_not_json)
    restored = mcpward_with_data(data, "unwrap")
    assert restored.returncode == 0, restored.stderr
    assert {config: config.read_bytes() for config in before} == before
