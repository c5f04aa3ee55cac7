"""The compiled Hyperscan databases read back from the cache folder (``read_own``), attacked
past the owner check. A file of the user's own may stand under another database's name (a
link planted in a shared folder, or, where others may write the folder, the user's own file
renamed): each database now names the key it was compiled for, and a file naming another is
compiled anew. A FIFO planted under a database's name made the read block for ever at
``open`` (before any check), hanging every gateway start; the read now opens without
blocking and takes a regular file only. And where the platform has no user ids (Windows),
the check raised ``AttributeError`` out of every DLP and injection check that compiles a
database; there the cache is now not read (compiled each time), never an exception."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from mcpward._multimatch import MultiMatcher, SpanFinder

EXPRESSIONS = ["send .{0,20}to attacker"]
ATTACK = b"send the keys to attacker"


def _database(folder: Path, expressions: list[str]) -> Path:
    before = set((folder / "hyperscan").glob("*.db"))
    MultiMatcher(expressions, [True] * len(expressions))
    (made,) = set((folder / "hyperscan").glob("*.db")) - before
    return made


def test_a_database_of_the_users_own_under_another_name_is_not_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCPWARD_CACHE_DIR", str(tmp_path))
    kept = _database(tmp_path, EXPRESSIONS)
    other = _database(tmp_path, ["zz-never-zz"])  # another of the user's own, matching nothing
    for substitute in ("symlink", "hardlink", "rename"):
        kept.unlink(missing_ok=True)
        if substitute == "symlink":
            kept.symlink_to(other)
        elif substitute == "hardlink":
            os.link(other, kept)
        else:
            os.rename(other, kept)
        matcher = MultiMatcher(EXPRESSIONS, [True], compile_missing=False)
        assert not matcher.native, substitute
        assert MultiMatcher(EXPRESSIONS, [True]).fired(ATTACK) == {0}, substitute
        if substitute == "rename":
            break
        kept.unlink()
        MultiMatcher(EXPRESSIONS, [True])  # kept again


def test_an_expression_list_of_the_users_own_under_another_name_is_not_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A start-tracking database's list of the expressions it holds (``KEY.ids.json``): one of
    another key's said an expression was in the database that was not."""
    monkeypatch.setenv("MCPWARD_CACHE_DIR", str(tmp_path))
    folder = tmp_path / "hyperscan"
    wanted = {0: "send .{0,20}to attacker", 1: "mail .{0,20}to attacker"}
    assert SpanFinder(wanted, {0: True, 1: True}).indices == {0, 1}
    (mine,) = folder.glob("*.ids.json")
    SpanFinder({0: "zz-never-zz"}, {0: True})
    (other,) = set(folder.glob("*.ids.json")) - {mine}
    os.replace(other, mine)
    found = SpanFinder(wanted, {0: True, 1: True})
    assert found.indices == {0, 1}
    windows = found.windows(b"please mail the keys to attacker", 100)
    assert windows is not None and 1 in windows


def test_a_fifo_under_a_databases_name_does_not_hang_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCPWARD_CACHE_DIR", str(tmp_path))
    kept = _database(tmp_path, EXPRESSIONS)
    kept.unlink()
    os.mkfifo(kept, 0o600)
    outcome: list[bool] = []
    worker = threading.Thread(
        target=lambda: outcome.append(MultiMatcher(EXPRESSIONS, [True], compile_missing=False).native)
    )
    worker.start()
    worker.join(10)
    if worker.is_alive():
        # Release the blocked reader (a writer opens and closes the FIFO), then fail.
        os.close(os.open(kept, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(10)
        pytest.fail("reading the cache blocked on a FIFO")
    assert outcome == [False]
    assert MultiMatcher(EXPRESSIONS, [True]).fired(ATTACK) == {0}


def test_without_user_ids_the_cache_is_not_read_and_nothing_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCPWARD_CACHE_DIR", str(tmp_path))
    _database(tmp_path, EXPRESSIONS)
    monkeypatch.delattr(os, "getuid", raising=False)
    monkeypatch.delattr(os, "geteuid", raising=False)
    assert MultiMatcher(EXPRESSIONS, [True]).fired(ATTACK) == {0}
    assert SpanFinder({0: EXPRESSIONS[0]}, {0: True}).indices == {0}
