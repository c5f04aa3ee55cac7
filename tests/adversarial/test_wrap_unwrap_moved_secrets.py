"""``wrap --move-secrets FILE`` moves literal secrets into FILE as ``SERVER.VAR=value`` lines;
``unwrap`` put the config back (literal secret included) and left every moved line in FILE, so
each unwrap left one more copy of the user's tokens behind, in a file the user may not know of.
unwrap now removes the lines of the entries it restores: only keys wrap moved, only while the
value is still the one moved (a token the user rotated there stays), and only when no config
still wrapped reads the key."""

from __future__ import annotations

import json
from pathlib import Path

from cli_kit import mcpward_with_data

GITHUB = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"
OTHER = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
ROTATED = "ghp_" + "R0t4t3dR0t4t3dR0t4t3dR0t4t3dR0t4t3dX"


def cursor_config(home: Path, servers: dict[str, tuple[str, str]]) -> bytes:
    entries = {
        name: {"command": "node", "args": ["i.js"], "env": {var: value}}
        for name, (var, value) in servers.items()
    }
    (home / ".cursor").mkdir(parents=True)
    (home / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": entries}))
    return (home / ".cursor" / "mcp.json").read_bytes()


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_unwrap_removes_the_lines_it_moved_and_keeps_the_users(tmp_path: Path) -> None:
    home, data, secrets = tmp_path / "home", tmp_path / "data", tmp_path / "mcp.env"
    before = cursor_config(home, {"github": ("GITHUB_TOKEN", GITHUB), "other": ("GITHUB_TOKEN", OTHER)})
    secrets.write_text("mine.TOKEN=kept-by-the-user\n")
    done = mcpward_with_data(data, "wrap", "--home", str(home), "--move-secrets", str(secrets))
    assert done.returncode == 0 and "moved the literal secret" in done.stdout, done.stderr
    assert sorted(lines(secrets)) == sorted(
        ["mine.TOKEN=kept-by-the-user", f"github.GITHUB_TOKEN={GITHUB}", f"other.GITHUB_TOKEN={OTHER}"]
    )
    # The user rotates one token in the secrets file; that value is theirs now.
    secrets.write_text(secrets.read_text().replace(OTHER, ROTATED))
    restored = mcpward_with_data(data, "unwrap")
    assert restored.returncode == 0, restored.stderr
    assert (home / ".cursor" / "mcp.json").read_bytes() == before
    assert sorted(lines(secrets)) == ["mine.TOKEN=kept-by-the-user", f"other.GITHUB_TOKEN={ROTATED}"]
    assert (secrets.stat().st_mode & 0o777) == 0o600


def test_a_key_a_config_still_wrapped_reads_is_kept_until_that_one_is_unwrapped(tmp_path: Path) -> None:
    first, second, data, secrets = tmp_path / "one", tmp_path / "two", tmp_path / "data", tmp_path / "mcp.env"
    originals = {home: cursor_config(home, {"github": ("GITHUB_TOKEN", GITHUB)}) for home in (first, second)}
    for home in (first, second):  # the same server and token: one key, read by both
        done = mcpward_with_data(data, "wrap", "--home", str(home), "--move-secrets", str(secrets))
        assert done.returncode == 0 and "moved the literal secret" in done.stdout, done.stdout
    assert lines(secrets) == [f"github.GITHUB_TOKEN={GITHUB}"]
    assert mcpward_with_data(data, "unwrap", "--home", str(first)).returncode == 0
    assert (first / ".cursor" / "mcp.json").read_bytes() == originals[first]
    assert lines(secrets) == [f"github.GITHUB_TOKEN={GITHUB}"]  # the second config still reads it
    assert mcpward_with_data(data, "unwrap").returncode == 0
    assert (second / ".cursor" / "mcp.json").read_bytes() == originals[second]
    assert GITHUB not in "\n".join(lines(secrets))


def test_a_config_wrap_cannot_write_leaves_no_copy_of_its_secrets(tmp_path: Path) -> None:
    """The secrets go to the file before the config is written: a config then refused (a number
    JSON cannot write back) kept its literal token and the file a second copy of it."""
    home, data, secrets = tmp_path / "home", tmp_path / "data", tmp_path / "mcp.env"
    (home / ".cursor").mkdir(parents=True)
    config = home / ".cursor" / "mcp.json"
    entry = {"command": "node", "args": ["i.js"], "env": {"GITHUB_TOKEN": GITHUB}}
    config.write_text(json.dumps({"mcpServers": {"github": entry}, "limit": 0}).replace("0}", "1e999}"))
    before = config.read_bytes()
    done = mcpward_with_data(data, "wrap", "--home", str(home), "--move-secrets", str(secrets))
    assert done.returncode == 0 and "skipped github" in done.stdout, done.stdout
    assert config.read_bytes() == before
    assert GITHUB not in "\n".join(lines(secrets))
