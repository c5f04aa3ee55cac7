"""The container probe is written to the cache folder through a file of a predictable name
(``engines.json.<pid>.tmp``), opened without ``O_EXCL`` or ``O_NOFOLLOW``: where someone else
can write that folder (a cache folder set to a shared place, ``MCPWARD_CACHE_DIR`` or
``XDG_CACHE_HOME`` on /tmp, or a ``sandbox`` folder made there by another user), a symbolic
link planted under that name made the probe overwrite, and narrow to 0600, any file of the
user's the link pointed to. The file is now made anew under a name no one can plant."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from mcpward.sandbox._backends import container


def test_a_planted_link_does_not_take_the_probes_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "shared-cache"
    (cache / "sandbox").mkdir(parents=True)
    monkeypatch.setenv("MCPWARD_CACHE_DIR", str(cache))
    victim = tmp_path / "victim.txt"
    victim.write_text("the user's own file\n")
    victim.chmod(0o644)
    os.symlink(victim, cache / "sandbox" / f"engines.json.{os.getpid()}.tmp")
    binary = shutil.which("true")
    assert binary is not None
    kept = container._ProbeCache(binary, [binary, "run"])
    kept.write(container._Engine(True, "podman 5: confined", ()))
    assert victim.read_text() == "the user's own file\n"
    assert victim.stat().st_mode & 0o777 == 0o644
    # The probe itself is kept (through a file of its own) and read back.
    assert kept.read() == container._Engine(True, "podman 5: confined", ())
    assert not (cache / "sandbox" / "engines.json").is_symlink()
