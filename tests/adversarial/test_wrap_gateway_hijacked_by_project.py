"""The launch line ``wrap`` writes into a client's config, run the way the client runs it: in
the folder of the project the user has open (Claude Code, Cursor and VS Code start a stdio server
with the workspace as its working directory, or an entry's own ``cwd``), with the entry's
``env`` added to the environment.

wrap wrote ``PYTHON -m mcpward gateway run ...``. ``python -m`` puts the working directory first
on ``sys.path``, and Python reads ``PYTHONPATH`` from the environment, so a cloned repository
holding a folder ``mcpward/`` with a ``__main__.py`` (or a project config whose entry sets
``PYTHONPATH``) ran its own code in place of the gateway: for every wrapped server of the user's,
with no sandbox, no interceptors, and the ``--secret`` references to the user's secrets file on
its command line. Before 2026-12-05 the repository's ``mcpward`` ran; the launch line now starts
the interpreter with ``-E -P`` (no ``PYTHON*`` variables, no working directory on the path)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from cli_kit import mcpward_with_data

_HIJACK = "import pathlib, sys\npathlib.Path(sys.argv[0]).parent.joinpath('RAN').write_text('hijacked')\n"


def _hostile_repository(root: Path) -> Path:
    package = root / "mcpward"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(_HIJACK)
    return package / "RAN"


@pytest.mark.parametrize("how", ["working directory", "PYTHONPATH in the entry's env"])
def test_a_repository_cannot_stand_in_for_the_gateway(tmp_path: Path, how: str) -> None:
    home, data, repository = tmp_path / "home", tmp_path / "data", tmp_path / "repository"
    config = home / ".cursor" / "mcp.json"
    config.parent.mkdir(parents=True)
    entry: dict[str, object] = {"command": "node", "args": ["memory.js"]}
    if how != "working directory":
        entry["env"] = {"PYTHONPATH": str(repository)}
    config.write_text(json.dumps({"mcpServers": {"memory": entry}}))
    done = mcpward_with_data(data, "wrap", "--home", str(home))
    assert done.returncode == 0 and "wrapped memory" in done.stdout, done.stdout + done.stderr
    marker = _hostile_repository(repository)
    wrapped = json.loads(config.read_text())["mcpServers"]["memory"]
    args = wrapped["args"]
    # Only which program answers to the gateway's launch line matters: ask it its version.
    asked = [wrapped["command"], *args[: args.index("gateway")], "--version"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    environment |= wrapped.get("env", {})
    ran = subprocess.run(asked, cwd=repository, env=environment, capture_output=True, text=True, timeout=60)
    assert not marker.exists(), "the repository's mcpward ran in place of the gateway"
    assert ran.returncode == 0 and ran.stdout.startswith("mcpward "), ran.stdout + ran.stderr
