"""How ``wrap`` writes: a file it cannot write (a read-only folder, a full disk, here a folder
in the way of its backup) stopped the run with a traceback after the earlier configs were
already rewritten, and the restore list was saved only at the end, so ``unwrap`` had nothing
to restore them from. Root wrapping another user's home (``--home``) made each config root's:
mode 600 kept, the user's own client could no longer read it."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from cli_kit import mcpward_with_data


def configs(home: Path) -> dict[Path, bytes]:
    (home / ".cursor").mkdir(parents=True)
    written = {}
    for config, script in ((home / ".claude.json", "a.js"), (home / ".cursor" / "mcp.json", "b.js")):
        config.write_text(json.dumps({"mcpServers": {"s": {"command": "node", "args": [script]}}}))
        written[config] = config.read_bytes()
    return written


def test_a_file_that_cannot_be_written_leaves_the_others_restorable(tmp_path: Path) -> None:
    home, data = tmp_path / "home", tmp_path / "data"
    before = configs(home)
    second = str(home / ".cursor" / "mcp.json")
    in_the_way = data / "wrap-backups" / (hashlib.sha256(second.encode()).hexdigest()[:32] + ".bak")
    (in_the_way / "x").mkdir(parents=True)
    done = mcpward_with_data(data, "wrap", "--home", str(home))
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr[-500:]
    assert (home / ".claude.json").read_bytes() != before[home / ".claude.json"]
    assert Path(second).read_bytes() == before[Path(second)] and "cannot write" in done.stdout
    restored = mcpward_with_data(data, "unwrap")
    assert restored.returncode == 0, restored.stderr
    assert {config: config.read_bytes() for config in before} == before


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_root_wrapping_another_users_home_leaves_the_files_theirs(tmp_path: Path) -> None:
    home, data = tmp_path / "home", tmp_path / "data"
    before = configs(home)
    for config in before:
        os.chown(config, 4321, 4321)
        config.chmod(0o600)
    assert mcpward_with_data(data, "wrap", "--home", str(home)).returncode == 0
    for config in before:
        info = config.stat()
        assert config.read_bytes() != before[config]
        assert (info.st_uid, info.st_gid, info.st_mode & 0o777) == (4321, 4321, 0o600), config
    assert mcpward_with_data(data, "unwrap").returncode == 0
    for config in before:
        assert config.read_bytes() == before[config] and config.stat().st_uid == 4321


def test_unwrap_through_a_config_since_made_a_link_keeps_the_files_mode(tmp_path: Path) -> None:
    """A link's own mode is 777: taken as the file's, the original (secrets and all) would be
    written readable and writable by every local user."""
    home, data = tmp_path / "home", tmp_path / "data"
    before = configs(home)
    config = home / ".cursor" / "mcp.json"
    config.chmod(0o600)
    assert mcpward_with_data(data, "wrap", "--home", str(home)).returncode == 0
    kept = tmp_path / "dotfiles" / "mcp.json"
    kept.parent.mkdir()
    config.rename(kept)
    config.symlink_to(kept)
    assert mcpward_with_data(data, "unwrap").returncode == 0
    assert config.read_bytes() == before[config] and (config.stat().st_mode & 0o777) == 0o600


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_root_moving_another_users_secrets_leaves_them_a_server_that_starts(tmp_path: Path) -> None:
    """The secrets file root writes is root's; the user's gateway reads only a file of the
    user's own (``chmod 600``, theirs), so each moved secret's server could not start."""
    home, data = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    token = "ghp_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"
    config = home / ".claude.json"
    entry = {"command": "node", "args": ["a.js"], "env": {"GITHUB_TOKEN": token}}
    config.write_text(json.dumps({"mcpServers": {"github": entry}}))
    for path in (tmp_path, home, config):
        os.chown(path, 4321, 4321)
    tmp_path.chmod(0o755)
    done = mcpward_with_data(data, "wrap", "--home", str(home), "--move-secrets", str(home / "mcp.env"))
    assert done.returncode == 0, done.stderr
    written = json.loads(config.read_text())["mcpServers"]["github"]
    assert "gateway" in written["args"]
    if written.get("env", {}).get("GITHUB_TOKEN") == token:
        assert "another user's" in done.stdout
        return
    source = written["args"][written["args"].index("--secret") + 1].partition("=")[2]
    # The gateway's own rule (sandbox/_secrets.py): a regular file of the reading user's, 600.
    info = Path(source.removeprefix("file:").partition("#")[0]).stat()
    assert info.st_uid == 4321, "the user's gateway cannot read the moved secret (the file is root's)"
