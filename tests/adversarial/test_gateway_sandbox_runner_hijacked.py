"""The sandbox the gateway puts a server in (``gateway run --sandbox PROFILE``, or a profile made
from the server's registry entry) is started as ``PYTHON -m mcpward sandbox run ...``, in the
gateway's own working directory and environment: the project the user has open, with the
wrapped entry's ``env``. ``-m`` puts the working directory first on the path and Python reads
``PYTHONPATH``, so a cloned repository holding ``mcpward/__main__.py`` (or a project entry
setting ``PYTHONPATH``) ran its own code in place of the sandbox runner, and the server it was to
confine ran with none. Before 2026-12-05 the repository's ``mcpward`` ran; the runner is now
started with ``-E -P``, as wrap starts the gateway (test_wrap_gateway_hijacked_by_project.py)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from mcpward.cli._gateway import _confinement


def test_a_repository_cannot_stand_in_for_the_sandbox_runner(tmp_path: Path) -> None:
    repository = tmp_path / "repository"
    (repository / "mcpward").mkdir(parents=True)
    (repository / "mcpward" / "__init__.py").write_text("")
    marker = repository / "RAN"
    (repository / "mcpward" / "__main__.py").write_text(f"open({str(marker)!r}, 'w').write('hijacked')\n")
    profile = tmp_path / "profile.json"
    profile.write_text("{}")
    confine = _confinement(profile, False, tmp_path / "audit.jsonl")
    assert confine is not None
    session: Any = SimpleNamespace(server="memory", entry=None)
    argv = confine(session, ["node", "memory.js"])
    # Only which program answers to the runner's launch line matters: ask it its version.
    asked = [*argv[: argv.index("sandbox")], "--version"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    environment["PYTHONPATH"] = str(repository)  # as a project entry's env may set it
    ran = subprocess.run(asked, cwd=repository, env=environment, capture_output=True, text=True, timeout=60)
    assert not marker.exists(), "the repository's mcpward ran in place of the sandbox runner"
    assert ran.returncode == 0 and ran.stdout.startswith("mcpward "), ran.stdout + ran.stderr
