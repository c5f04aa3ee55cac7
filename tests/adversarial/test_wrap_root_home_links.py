"""Root running ``wrap --home`` (or ``unwrap``) over another user's home wrote each config
through the folders of that home as they resolved: the user, who owns those folders, made one
a symbolic link (``~/.cursor -> /home/bob/.cursor``, or to a folder only root may write), and
root's write landed there: another account's config rewritten (and owned by it), and at
``unwrap --force`` the user's bytes written into a folder of root's. Folders in such a home are
now walked without following a link (``_paths.place_file``, as ``enforce`` writes), and a
config is read only if the home's owner owns it (as the agent reads)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cli_kit import mcpward, mcpward_with_data

pytestmark = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to own homes as others"
)

ALICE, BOB = 4311, 4312


def config(server: str) -> bytes:
    return json.dumps({"mcpServers": {server: {"command": "node", "args": [f"{server}.js"]}}}).encode()


def owned(top: Path, uid: int) -> None:
    for path in (top, *top.rglob("*")):
        os.chown(path, uid, uid, follow_symlinks=False)


@pytest.mark.parametrize("how", ["--home", "sudo keeping HOME"])
def test_a_folder_link_in_the_home_does_not_carry_roots_write_elsewhere(tmp_path: Path, how: str) -> None:
    alice, bob, data = tmp_path / "alice", tmp_path / "bob", tmp_path / "data"
    (bob / ".cursor").mkdir(parents=True)
    (bob / ".cursor" / "mcp.json").write_bytes(config("bob-private"))
    alice.mkdir()
    (alice / ".cursor").symlink_to(bob / ".cursor")  # planted by alice
    (alice / ".claude.json").write_bytes(config("alice-own"))
    owned(bob, BOB)
    owned(alice, ALICE)
    if how == "--home":
        done = mcpward_with_data(data, "wrap", "--home", str(alice))
    else:  # ``sudo mcpward wrap`` where sudo keeps the user's HOME
        done = mcpward(
            "wrap", "--host", "cursor", "--host", "claude-code", MCPWARD_DATA_DIR=str(data), HOME=str(alice)
        )
    assert done.returncode == 0, done.stderr
    assert (bob / ".cursor" / "mcp.json").read_bytes() == config("bob-private")  # bob's file untouched
    assert (bob / ".cursor").stat().st_uid == BOB and sorted(os.listdir(bob / ".cursor")) == ["mcp.json"]
    assert "bob-private" not in done.stdout.replace(f"skipped bob-private in {alice}", "")  # not wrapped
    wrapped = (alice / ".claude.json").read_bytes()  # alice's own file is wrapped as before
    assert wrapped != config("alice-own") and (alice / ".claude.json").stat().st_uid == ALICE
    assert mcpward_with_data(data, "unwrap").returncode == 0
    assert (alice / ".claude.json").read_bytes() == config("alice-own")


def test_unwrap_force_does_not_restore_into_a_folder_swapped_for_a_link(tmp_path: Path) -> None:
    alice, data = tmp_path / "alice", tmp_path / "data"
    (alice / ".cursor").mkdir(parents=True)
    (alice / ".cursor" / "mcp.json").write_bytes(config("alice-own"))
    owned(alice, ALICE)
    assert mcpward_with_data(data, "wrap", "--home", str(alice)).returncode == 0
    roots = tmp_path / "root-only"  # a folder only root may write (/etc/cron.d, /root/.ssh)
    roots.mkdir(mode=0o700)
    (alice / ".cursor").rename(alice / "kept")
    (alice / ".cursor").symlink_to(roots)
    os.chown(alice / ".cursor", ALICE, ALICE, follow_symlinks=False)
    done = mcpward_with_data(data, "unwrap", "--force")
    assert os.listdir(roots) == [], done.stdout  # nothing of alice's written where root keeps files
    assert done.returncode != 0 and "symbolic link" in done.stderr, done.stderr
