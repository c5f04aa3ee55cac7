"""The sandbox's engine (``bwrap``, ``podman``, ``docker``) looked up on ``PATH``: the gateway
``wrap`` writes, and the sandbox runner it starts, run with the client's entry's ``env``, and a
project's config (anyone's who writes the repository) sets ``"PATH": "./bin:/usr/bin:/bin"``
with the client starting the server in the project's folder. Before 2026-12-05 the
repository's ``bin/bwrap`` (or ``podman``, ``docker``) was found first: run as the probe and as
the sandbox itself, it started the server with no confinement while the audit log said
``sandbox-start backend bubblewrap``. The engines are now looked up in the system's folders
only."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mcpward.sandbox._backends import bubblewrap, container

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX engines")


@pytest.mark.parametrize("program", ["bwrap", "podman", "docker"])
def test_an_engine_on_a_projects_path_is_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, program: str
) -> None:
    project_bin = tmp_path / "bin"
    project_bin.mkdir()
    marker = tmp_path / "RAN"
    fake = project_bin / program
    fake.write_text(f"#!/bin/sh\necho {program} >> {marker}\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", f"./bin:{project_bin}:/usr/bin:/bin")
    monkeypatch.setenv("HOME", str(tmp_path))  # a probe kept is kept here, not in the user's
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    if program == "bwrap":
        bubblewrap.Bubblewrap().check()
    else:
        container._probe.cache_clear()
        try:
            container._probe(program, program, "cgroupfs")
        finally:
            container._probe.cache_clear()
    assert not marker.exists(), f"the project's {program} ran"
