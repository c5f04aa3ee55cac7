"""Attacks on the files ``mcpward enforce`` and ``mcpward agent install`` write (usually as root,
into a package tree or straight onto a machine): a link planted under the temporary name the
file was written through (``.NAME.mcpward-tmp``, ``.NAME.tmp``: the write and the chmod to 644
followed it, so a root run overwrote a file of the link's choosing and made it world-readable),
a link at the target, a symbolic link or a folder another account owns on the way, and the
folders made under a tight umask (0700 folders would keep every user's client from reading its
managed file, which turns the enforcement off)."""

from __future__ import annotations

import json
import os
import resource
import signal
import stat
import subprocess
from pathlib import Path

import pytest
from cli_kit import mcpward
from enforce_kit import one_server_policy

OTHER_UID = 4242


def _policy(tmp_path: Path) -> Path:
    path = tmp_path / "policy.json"
    path.write_text(one_server_policy().to_json())
    return path


def _mcpward(
    *args: str, umask: int | None = None, file_limit: int | None = None
) -> subprocess.CompletedProcess[str]:
    def tighten() -> None:
        if umask is not None:
            os.umask(umask)
        if file_limit is not None:  # a full disk: a write past it fails with EFBIG
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))

    return mcpward(*args, preexec_fn=tighten)


def _enforce(
    tmp_path: Path, root: Path, umask: int | None = None, file_limit: int | None = None
) -> subprocess.CompletedProcess[str]:
    policy = _policy(tmp_path)
    args = ("enforce", "--root", str(root), "--policy", str(policy), "--client", "claude-code")
    return _mcpward(*args, umask=umask, file_limit=file_limit)


def _victim(tmp_path: Path) -> Path:
    victim = tmp_path / "victim" / "shadow"
    victim.parent.mkdir()
    victim.write_text("root:secret-hash:0:0\n")
    victim.chmod(0o600)
    return victim


def _intact(victim: Path) -> bool:
    return victim.read_text() == "root:secret-hash:0:0\n" and stat.S_IMODE(victim.stat().st_mode) == 0o600


def test_a_link_at_the_temporary_name_is_not_followed(tmp_path: Path) -> None:
    victim = _victim(tmp_path)
    folder = tmp_path / "tree" / "etc" / "claude-code"
    folder.mkdir(parents=True)
    for name in ("managed-mcp.json", "managed-settings.json"):
        (folder / f".{name}.mcpward-tmp").symlink_to(victim)
    done = _enforce(tmp_path, tmp_path / "tree")
    assert done.returncode == 0, done.stderr
    assert _intact(victim), "enforce wrote through a planted link (and made its target world-readable)"
    written = folder / "managed-mcp.json"
    assert written.is_file() and not written.is_symlink()
    assert "io-github-acme-files" in json.loads(written.read_text())["mcpServers"]
    assert stat.S_IMODE(written.stat().st_mode) == 0o644
    assert sorted(p.name for p in folder.iterdir() if "tmp" in p.name) == [
        ".managed-mcp.json.mcpward-tmp",
        ".managed-settings.json.mcpward-tmp",
    ], "a temporary file was left behind"


def test_a_link_at_the_target_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = _victim(tmp_path)
    folder = tmp_path / "tree" / "etc" / "claude-code"
    folder.mkdir(parents=True)
    (folder / "managed-mcp.json").symlink_to(victim)
    done = _enforce(tmp_path, tmp_path / "tree")
    assert done.returncode == 0, done.stderr
    assert _intact(victim)
    assert not (folder / "managed-mcp.json").is_symlink()


def test_a_symbolic_link_on_the_way_below_the_root_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "etc").symlink_to(elsewhere)
    done = _enforce(tmp_path, tree)
    assert done.returncode != 0
    assert "link" in done.stderr
    assert list(elsewhere.iterdir()) == [], "enforce wrote outside its root through a link"


def test_the_agent_install_does_not_follow_a_link_at_its_temporary_name(tmp_path: Path) -> None:
    victim = _victim(tmp_path)
    units = tmp_path / "root" / "etc" / "systemd" / "system"
    units.mkdir(parents=True)
    (units / ".mcpward-agent.service.tmp").symlink_to(victim)
    done = _mcpward("agent", "install", "--registry", "https://registry.example.internal",
                    "--token-file", "/etc/mcpward/agent.token", "--root", str(tmp_path / "root"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert _intact(victim), "agent install wrote its unit through a planted link"
    assert "ExecStart=" in (units / "mcpward-agent.service").read_text()


def test_folders_made_under_a_tight_umask_are_readable_by_every_user(tmp_path: Path) -> None:
    done = _enforce(tmp_path, tmp_path / "tree", umask=0o077)
    assert done.returncode == 0, done.stderr
    for folder in (tmp_path / "tree" / "etc", tmp_path / "tree" / "etc" / "claude-code"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o755, oct(folder.stat().st_mode)


def test_a_write_cut_short_leaves_the_previous_file_whole_and_no_partial_file(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    assert _enforce(tmp_path, tree).returncode == 0
    folder = tree / "etc" / "claude-code"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    cut = _enforce(tmp_path, tree, file_limit=64)  # every managed file is longer than 64 bytes
    assert cut.returncode != 0 and "cannot write" in cut.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before, "a file was cut or left behind"


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to own as another uid"
)
def test_a_folder_another_account_can_write_on_the_way_is_refused(tmp_path: Path) -> None:
    # A tree another account made (or can write) first: it could swap the files after the
    # write, or plant links in between. Refused, as root.
    tree = tmp_path / "tree"
    (tree / "etc").mkdir(parents=True)
    os.chown(tree / "etc", OTHER_UID, OTHER_UID)
    done = _enforce(tmp_path, tree)
    assert done.returncode != 0
    assert "another account" in done.stderr
    assert not (tree / "etc" / "claude-code").exists()
    # And a root another account owns (as `--root /tmp/tree` made by someone else first).
    os.chown(tree / "etc", 0, 0)
    os.chown(tree, OTHER_UID, OTHER_UID)
    done = _enforce(tmp_path, tree)
    assert done.returncode != 0 and "another account" in done.stderr
    # A world-writable folder without the sticky bit is another account's too.
    os.chown(tree, 0, 0)
    (tree / "etc").chmod(0o777)
    done = _enforce(tmp_path, tree)
    assert done.returncode != 0 and "another account" in done.stderr
