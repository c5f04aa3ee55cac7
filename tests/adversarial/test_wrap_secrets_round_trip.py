"""``mcpward wrap --move-secrets FILE`` writes ``SERVER.VAR=value`` lines and leaves
``--secret VAR=file:FILE#SERVER.VAR`` in the entry; the gateway reads the value back at
launch. What the reader cannot give back exactly was moved anyway, so the server started
with another value: a PEM private key (a GitHub App's, a Snowflake user's: one line per
64 characters) came back as its ``-----BEGIN`` line only, a value in quotes lost them, a key
holding ``=`` was not found, and a secrets file in a folder named with ``#`` was looked for
at the path cut at the ``#``. A secret that would not come back exactly stays in the config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_kit import mcpward_with_data

from mcpward.sandbox import SandboxError, fetch_secret

BODY = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL"
PEM = f"-----BEGIN RSA PRIVATE KEY-----\n{BODY}\n{BODY[::-1]}\n-----END RSA PRIVATE KEY-----\n"
TOKEN = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"


@pytest.mark.parametrize(
    ("server", "variable", "value", "folder"),
    [
        ("github", "GITHUB_APP_PRIVATE_KEY", PEM, "secrets"),
        ("github", "GITHUB_TOKEN", f"'{TOKEN}'", "secrets"),
        ("github", "GITHUB_TOKEN", f" {TOKEN} ", "secrets"),
        ("a=b", "GITHUB_TOKEN", TOKEN, "secrets"),
        ("github", "GITHUB_TOKEN", TOKEN, "my#secrets"),
    ],
    ids=["pem", "quoted", "spaces", "name-with-equals", "hash-in-path"],
)
def test_a_moved_secret_reads_back_exactly_or_is_not_moved(
    tmp_path: Path, server: str, variable: str, value: str, folder: str
) -> None:
    home = tmp_path / "home"
    (home / ".cursor").mkdir(parents=True)
    config = home / ".cursor" / "mcp.json"
    entry = {"command": "node", "args": ["index.js"], "env": {variable: value}}
    config.write_text(json.dumps({"mcpServers": {server: entry}}))
    secrets = tmp_path / folder / "mcp.env"
    before = config.read_bytes()
    done = mcpward_with_data(tmp_path / "data", "wrap", "--home", str(home), "--move-secrets", str(secrets))
    if done.returncode != 0:  # refused whole: nothing changed
        assert "#" in folder and "'#'" in done.stderr and config.read_bytes() == before
        return
    assert value.strip() not in done.stdout + done.stderr
    written = json.loads(config.read_text())["mcpServers"][server]
    assert "gateway" in written["args"]
    if written.get("env", {}).get(variable) == value:
        return  # left in the config: the server still gets it exactly
    args = written["args"]
    sources = [args[i + 1] for i, arg in enumerate(args[: args.index("--")]) if arg == "--secret"]
    assert len(sources) == 1 and sources[0].startswith(f"{variable}=")
    try:
        fetched = fetch_secret(variable, sources[0].partition("=")[2])
    except SandboxError as exc:
        pytest.fail(f"moved, but the gateway cannot read it back: {exc}")
    assert fetched == value, "moved, but the gateway would start the server with another value"


def test_one_server_name_in_two_clients_configs_keeps_each_token(tmp_path: Path) -> None:
    """Claude Code's and Cursor's ``github`` entries, each with its own token: both were moved
    under ``github.GITHUB_TOKEN``, the second replaced the first, and both servers started
    with the second token (a user's work account's server acting as another account)."""
    home = tmp_path / "home"
    (home / ".cursor").mkdir(parents=True)
    tokens = {home / ".claude.json": TOKEN, home / ".cursor" / "mcp.json": "ghp_" + "A" + TOKEN[5:]}
    for config, token in tokens.items():
        entry = {"command": "node", "args": [config.name], "env": {"GITHUB_TOKEN": token}}
        config.write_text(json.dumps({"mcpServers": {"github": entry}}))
    secrets = tmp_path / "secrets" / "mcp.env"
    done = mcpward_with_data(tmp_path / "data", "wrap", "--home", str(home), "--move-secrets", str(secrets))
    assert done.returncode == 0, done.stderr
    for config, token in tokens.items():
        written = json.loads(config.read_text())["mcpServers"]["github"]
        if written.get("env", {}).get("GITHUB_TOKEN") == token:
            continue
        args = written["args"]
        source = args[args.index("--secret") + 1].partition("=")[2]
        assert fetch_secret("GITHUB_TOKEN", source) == token, f"{config.name}'s server gets another token"
