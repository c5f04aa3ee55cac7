"""``inspect --run --sandbox-profile FILE`` checks that the file is the user's own (not a link,
nobody else's to rewrite) before a server starts with what it grants. The check and the read
were two lookups of the same name: whoever may write the folder the profile is in (a shared
project folder, a group-writable checkout) could put a link to a profile of their own, or a
file of their own, at that name between the two, and the look would mount what they chose (the
user's keys) while the check had passed on the user's file. The file is now opened once, not
following a link, and checked on what was opened."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from mcpward.inspect import load_run_profile
from mcpward.sandbox import SandboxError

MODEST = "[network]\nallow = []\n"


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    folder = tmp_path / "keys"
    folder.mkdir()
    (folder / "id_ed25519").write_text("not a real key\n", encoding="utf-8")
    return folder


def _swapped_after_the_check(
    monkeypatch: pytest.MonkeyPatch, profile: Path, swap: Callable[[], None]
) -> None:
    """``os.lstat`` of the profile answers for the user's file, then the name is swapped: the
    moment between a check by name and an open by name, made certain."""
    real_lstat = os.lstat

    def lstat_then_swap(path: os.PathLike[str] | str, *args: object, **kwargs: object) -> os.stat_result:
        answer = real_lstat(path, *args, **kwargs)  # type: ignore[arg-type]
        if os.fspath(path) == str(profile):
            swap()
        return answer

    monkeypatch.setattr(os, "lstat", lstat_then_swap)


def test_a_link_put_in_place_after_the_check_is_not_followed(
    tmp_path: Path, keys: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = tmp_path / "profile.toml"
    profile.write_text(MODEST, encoding="utf-8")
    theirs = tmp_path / "theirs.toml"
    theirs.write_text(f'[files]\nread = ["{keys}"]\n', encoding="utf-8")

    def to_link() -> None:
        profile.unlink()
        profile.symlink_to(theirs)

    _swapped_after_the_check(monkeypatch, profile, to_link)
    with pytest.raises(SandboxError) as refused:
        load_run_profile(profile)
    assert "link" in str(refused.value), refused.value


def test_a_file_others_may_write_put_in_place_after_the_check_is_refused(
    tmp_path: Path, keys: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profile = tmp_path / "profile.toml"
    profile.write_text(MODEST, encoding="utf-8")

    def to_writable_by_all() -> None:
        # Another user's file cannot be made here without root; a file anyone may rewrite is
        # the same grant to them, and is checked the same way.
        replacement = tmp_path / "replacement.toml"
        replacement.write_text(f'[files]\nread = ["{keys}"]\n', encoding="utf-8")
        replacement.chmod(0o666)
        replacement.replace(profile)

    _swapped_after_the_check(monkeypatch, profile, to_writable_by_all)
    with pytest.raises(SandboxError) as refused:
        load_run_profile(profile)
    assert "another user may change it" in str(refused.value), refused.value


def test_the_users_own_profile_is_read_as_written(tmp_path: Path, keys: Path) -> None:
    profile = tmp_path / "profile.toml"
    profile.write_text(
        f'[network]\nallow = ["registry.test:443"]\n[files]\nread = ["{keys}"]\n', encoding="utf-8"
    )
    profile.chmod(0o644)
    loaded = load_run_profile(profile)
    assert [str(p) for p in loaded.files.read] == [str(keys)]
