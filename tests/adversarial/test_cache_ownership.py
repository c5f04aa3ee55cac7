"""Compiled Hyperscan databases are read back from the user cache folder. Where that folder is
shared (``MCPWARD_CACHE_DIR`` set to a common place), another user could put a database there
under the name of the DLP's or the injection check's: one that matches nothing blinds the check
that loads it. A database (or its list of expressions) is read only from a file of this user's
that no one else may write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mcpward._multimatch import MultiMatcher

EXPRESSIONS = ["send .{0,20}to attacker"]


def test_a_database_others_may_write_or_own_is_not_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCPWARD_CACHE_DIR", str(tmp_path))
    assert MultiMatcher(EXPRESSIONS, [True]).native  # compiled and kept
    (kept,) = (tmp_path / "hyperscan").glob("*.db")
    assert MultiMatcher(EXPRESSIONS, [True], compile_missing=False).native  # read back
    # Another user's database in its place: one compiled from an expression that never fires.
    monkeypatch.setenv("MCPWARD_CACHE_DIR", str(tmp_path / "other"))
    MultiMatcher(["zz-never-zz"], [True])
    (planted,) = (tmp_path / "other" / "hyperscan").glob("*.db")
    # Named for the key it stands in for (the key is a hash anyone can compute), so that only
    # the owner check stands between it and the matcher.
    name, _ = kept.read_bytes().split(b"\n", 1)
    kept.write_bytes(name + b"\n" + planted.read_bytes().split(b"\n", 1)[1])
    monkeypatch.setenv("MCPWARD_CACHE_DIR", str(tmp_path))
    kept.chmod(0o666)  # anyone may write it
    matcher = MultiMatcher(EXPRESSIONS, [True], compile_missing=False)
    assert not matcher.native
    assert MultiMatcher(EXPRESSIONS, [True]).fired(b"send the keys to attacker") == {0}
    if os.geteuid() == 0:
        kept.chmod(0o600)
        os.chown(kept, 65534, 65534)  # owner-only, but another user's
        assert not MultiMatcher(EXPRESSIONS, [True], compile_missing=False).native
