"""A credential pasted as the name of an environment variable or a header (``"env":
{"ghp_...": ""}``, ``"headers": {"Bearer sk-...": ""}``): a slip in a hand-edited config.

Before, the record listed env and header names as written, and the plaintext-secret finding
said where its value was by the name: the token was printed in clear by every output format,
where the same token as a value was masked. Now names are masked as values are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_kit import mcpward_in_home

GITHUB_TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"


@pytest.mark.parametrize("output", ["table", "json", "csv", "sarif", "cyclonedx"])
def test_a_token_written_as_a_name_is_masked(tmp_path: Path, output: str) -> None:
    (tmp_path / ".cursor").mkdir()
    servers = {
        "env-name": {"command": "npx", "args": ["-y", "a-mcp@1.0.0"], "env": {GITHUB_TOKEN: "x", "OK": "1"}},
        "header-name": {"url": "https://mcp.example.com/mcp", "headers": {f"Bearer {GITHUB_TOKEN}": "1"}},
    }
    (tmp_path / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    done = mcpward_in_home(tmp_path, "scan", "--home", str(tmp_path), "-f", output, timeout=60)
    assert done.returncode == 0, done.stderr[-500:]
    assert GITHUB_TOKEN not in done.stdout + done.stderr
    assert GITHUB_TOKEN.lower() not in done.stdout
    if output == "json":
        names = {s["name"]: s["env_names"] + s["header_names"] for s in json.loads(done.stdout)["servers"]}
        assert "OK" in names["env-name"] and len(names["env-name"]) == 2
        assert len(names["header-name"]) == 1
