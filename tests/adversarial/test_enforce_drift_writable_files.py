"""``scan --enforcement`` (and the agent's scheduled scan) compared a machine's managed files by
content alone: a managed file that a user may write (mode 666, or a folder of the managed path
another account may change: an install that left ``/etc/claude-code`` the user's) passed as
"no drift" while it read as enforce wrote it, though the user could widen the allowlist the
client trusts whenever they liked and put it back before the next scan. Before 2026-12-05 such
a file passed; it is now drift, said why, as a file that differs is."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from enforce_kit import one_server_policy

from mcpward.enforce import Platform, Policy, drift, managed_files

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")


def _written(root: Path) -> Policy:
    policy = one_server_policy()
    for file in managed_files(policy, Platform.LINUX, ["claude-code"]):
        target = root / file.path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        os.chmod(target.parent, 0o755)  # noqa: S103 - as enforce makes its folders
        target.write_bytes(file.content)
        os.chmod(target, 0o644)
    return policy


@pytest.mark.parametrize("what", ["the file", "its folder"])
def test_a_managed_file_another_account_may_write_is_drift(tmp_path: Path, what: str) -> None:
    policy = _written(tmp_path)
    assert drift(policy, Platform.LINUX, tmp_path, ["claude-code"]) == []  # as written: no drift
    managed = tmp_path / "etc" / "claude-code" / "managed-settings.json"
    os.chmod(managed if what == "the file" else managed.parent, 0o666 if what == "the file" else 0o777)
    found = drift(policy, Platform.LINUX, tmp_path, ["claude-code"])
    assert str(managed) in [f.config_path for f in found], found
    assert all("writable" in f.message for f in found), found
