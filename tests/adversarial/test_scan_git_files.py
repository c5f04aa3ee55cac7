"""The scan names the git remote of each project config it reports, reading the project's
``.git`` without running git. A tree the scan walks may be anyone's (an unpacked archive, a
folder another account writes to), and so are the ``.git`` files in it and above it.

Before, those reads were the only ones in the scan not made through the bounded reader: a
``.git/config`` that is a FIFO held ``scan --path`` forever (the open blocked); one that is a
link to ``/dev/zero`` was read as one endless line until memory ran out (its size is 0, which
passed the 1 MB check): both ended the scan with an internal error (MemoryError) under a 1 GB
limit, with no report; a ``.git`` file (``gitdir:``) or a worktree's ``commondir`` of 8 GB was
read whole, to memory, before its first 4,096 characters were kept. Now each is read as a config is: a regular file only (a FIFO is opened
without blocking), at most 1 MB; anything else gives no remote, and the server is reported."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_kit import SRC

SERVERS = {"mcpServers": {"repo-server": {"command": "npx", "args": ["-y", "repo-mcp@1.0.0"]}}}


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / ".cursor").mkdir(parents=True)
    (project / ".cursor" / "mcp.json").write_text(json.dumps(SERVERS), encoding="utf-8")
    return project


def _fifo_config(project: Path) -> None:
    (project / ".git").mkdir()
    os.mkfifo(project / ".git" / "config")


def _endless_config(project: Path) -> None:
    (project / ".git").mkdir()
    (project / ".git" / "config").symlink_to("/dev/zero")


def _sparse(path: Path) -> None:
    with path.open("wb") as sparse:  # 8 GB of nothing, on no disk
        sparse.truncate(8 << 30)


def _huge_gitdir_file(project: Path) -> None:
    _sparse(project / ".git")


def _huge_commondir(project: Path) -> None:
    worktree = project / "elsewhere"
    worktree.mkdir()
    _sparse(worktree / "commondir")
    (project / ".git").write_text(f"gitdir: {worktree}\n", encoding="utf-8")


HOSTILE: dict[str, Callable[[Path], None]] = {
    ".git/config is a FIFO": _fifo_config,
    ".git/config is a link to /dev/zero": _endless_config,
    ".git is an 8 GB sparse file": _huge_gitdir_file,
    "the worktree's commondir is an 8 GB sparse file": _huge_commondir,
}


def _limited() -> None:
    # An endless read must fail here, not take the machine's memory.
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_git_file_neither_holds_nor_ends_the_scan(tmp_path: Path, name: str) -> None:
    project = _project(tmp_path)
    HOSTILE[name](project)
    done = subprocess.run(
        [sys.executable, "-m", "mcpward", "scan", "--only-paths", "--path", str(project), "-f", "json"],
        capture_output=True,
        text=True,
        timeout=30,
        env=dict(os.environ, PYTHONPATH=SRC),
        stdin=subprocess.DEVNULL,
        preexec_fn=_limited,
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-500:])
    servers = json.loads(done.stdout)["servers"]
    assert [(s["name"], s["repository"]) for s in servers] == [("repo-server", None)]


def test_a_plain_repository_and_a_worktree_still_name_their_remote(tmp_path: Path) -> None:
    from mcpward.scan._owner import git_remote

    plain = tmp_path / "plain"
    (plain / ".git").mkdir(parents=True)
    (plain / ".git" / "config").write_text(
        '[remote "origin"]\n\turl = https://user:hunter2@git.example.com/team/repo.git\n', encoding="utf-8"
    )
    remote = git_remote(plain)
    assert remote is not None and "git.example.com/team/repo" in remote and "hunter2" not in remote
    linked = tmp_path / "linked"
    linked.mkdir()
    worktree = plain / ".git" / "worktrees" / "linked"
    worktree.mkdir(parents=True)
    (worktree / "commondir").write_text("../..\n", encoding="utf-8")
    (linked / ".git").write_text(f"gitdir: {worktree}\n", encoding="utf-8")
    assert git_remote(linked) == remote
