"""``agent remove --root DIR`` run by root over a tree another account can change (a staging
tree in ``/tmp`` it made, as ``install --root`` writes one): remove deleted each named file
through whatever was on the way, so that account's link ``DIR/etc -> /etc`` had root delete
the machine's own agent settings and units (the fleet agent stopped, unseen). ``install``
refused such a tree (place_file); remove now refuses it the same way, deleting nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_kit import mcpward

OTHER = 4399


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to act for others")
def test_remove_does_not_follow_another_accounts_link(tmp_path: Path) -> None:
    machine = tmp_path / "machine"  # stands for /
    for name in ("mcpward/agent.toml", "systemd/system/mcpward-agent.service"):
        (machine / "etc" / name).parent.mkdir(parents=True, exist_ok=True)
        (machine / "etc" / name).write_text("the machine's own\n")
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "etc").symlink_to(machine / "etc")
    for path in (staging, staging / "etc"):
        os.chown(path, OTHER, OTHER, follow_symlinks=False)
    done = mcpward("agent", "remove", "--root", str(staging))
    assert (machine / "etc" / "mcpward" / "agent.toml").exists(), done.stdout
    assert (machine / "etc" / "systemd" / "system" / "mcpward-agent.service").exists(), done.stdout
    assert done.returncode != 0 and "another account" in done.stderr, done.stdout + done.stderr


def test_remove_still_removes_what_install_wrote(tmp_path: Path) -> None:
    root = tmp_path / "root"
    done = mcpward("agent", "install", "--registry", "https://r.example.internal",
                   "--token-file", "/etc/mcpward/agent.token", "--root", str(root))  # fmt: skip
    assert done.returncode == 0, done.stderr
    done = mcpward("agent", "remove", "--root", str(root))
    assert done.returncode == 0 and done.stdout.count("removed") == 3, done.stdout + done.stderr
