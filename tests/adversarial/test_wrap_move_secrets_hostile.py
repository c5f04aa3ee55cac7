"""``wrap --move-secrets FILE`` where FILE cannot take the secrets (a FIFO, a folder, a path
below a file, a file that is not UTF-8): one line and exit 2, and the config keeps its secret
(it was an internal error, exit 70)."""

from __future__ import annotations

import json
import os
import random
import string
import subprocess
import sys
from pathlib import Path

import pytest
from cli_kit import SRC


def _fake_token() -> str:
    chooser = random.Random(3)  # noqa: S311 - a fake token, seeded
    return "ghp_" + "".join(chooser.choice(string.ascii_letters + string.digits) for _ in range(36))


def target(tmp_path: Path, kind: str) -> Path:
    if kind == "fifo":
        os.mkfifo(tmp_path / "fifo")
        return tmp_path / "fifo"
    if kind == "folder":
        (tmp_path / "folder").mkdir()
        return tmp_path / "folder"
    if kind == "below-a-file":
        (tmp_path / "plain").write_text("x")
        return tmp_path / "plain" / "secrets"
    (tmp_path / "latin1").write_bytes(b"A=caf\xe9\n")
    return tmp_path / "latin1"


@pytest.mark.parametrize("kind", ["fifo", "folder", "below-a-file", "latin1"])
def test_move_secrets_to_an_unusable_file_keeps_the_secret(tmp_path: Path, kind: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    config = home / ".claude.json"
    entry = {"command": "npx", "args": ["-y", "@acme/mcp"], "env": {"GITHUB_TOKEN": _fake_token()}}
    config.write_text(json.dumps({"mcpServers": {"s": entry}}))
    before = config.read_bytes()
    secrets = target(tmp_path, kind)
    result = subprocess.run(
        [sys.executable, "-m", "mcpward", "wrap", "--home", str(home), "--move-secrets", str(secrets)],
        capture_output=True,
        text=True,
        timeout=30,
        env=dict(os.environ, PYTHONPATH=SRC, HOME=str(home), MCPWARD_DATA_DIR=str(tmp_path / "data")),
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2, (result.returncode, result.stderr[-400:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"mcpward: --move-secrets {secrets}: cannot ")
    assert config.read_bytes() == before  # the secret is where it was, nothing lost
