"""Hostile files given to the command line where it reads a file: a FIFO no one writes to, a
device that never ends (/dev/zero), JSON nested 10,000 levels deep, a path below a file. Each
must end at once with exit 2 and one line naming the input, never hang, never an internal error
(exit 70), and leave no output behind."""

from __future__ import annotations

import os
import random
import string
import subprocess
import sys
from pathlib import Path

import pytest
from cli_kit import SRC, mcpward_in_home

DEEP_ARRAY = b"[" * 10_000 + b"]" * 10_000
DEEP_OBJECT = b'{"a":' * 10_000 + b"1" + b"}" * 10_000


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``mcpward ARGS`` with its own home and data folder; a hang fails the test in seconds."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return mcpward_in_home(home, *args, timeout=20)


def hostile(tmp_path: Path, kind: str) -> str:
    if kind == "fifo":
        os.mkfifo(tmp_path / "fifo")
        return str(tmp_path / "fifo")
    if kind == "devzero":
        return "/dev/zero"
    if kind == "under-a-file":
        (tmp_path / "plain").write_text("{}")
        return str(tmp_path / "plain" / "sub")
    (tmp_path / kind).write_bytes(
        {
            "deep": DEEP_ARRAY,
            "deep.json": DEEP_ARRAY,
            "latin1": b'issuer = "caf\xe9"\n',
            "deepobj": DEEP_OBJECT,
            "empty-object": b"{}",
        }[kind]
    )
    return str(tmp_path / kind)


def refused(result: subprocess.CompletedProcess[str], named: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr[-500:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mcpward: "), result.stderr[-500:]
    assert named in lines[0] and "internal error" not in lines[0]


# (command family, hostile kind): each read the file without a bound, blocked on the FIFO, or
# let the JSON parser's RecursionError out as an internal error.
CASES = [
    ("dlp-source", "devzero"),
    ("dlp-policy", "fifo"),
    ("dlp-policy", "devzero"),
    ("identity-source", "fifo"),
    ("identity-source", "devzero"),
    ("identity-source", "deep"),
    ("identity-source", "deepobj"),
    ("registry-import", "deep"),
    ("registry-import", "deepobj"),
    ("audit-verify", "fifo"),
    ("audit-verify", "devzero"),
    ("report-previous", "fifo"),
    ("report-previous", "devzero"),
    ("report-previous", "deep"),
    ("pins-store", "fifo"),
    ("pins-store", "devzero"),
    ("pins-store", "deep"),
    ("pins-store", "under-a-file"),
    ("inspect-pins", "fifo"),
    ("inspect-pins", "devzero"),
    ("inspect-pins", "deepobj"),
    ("inspect-pins", "under-a-file"),
    ("enforce-policy", "fifo"),
    ("enforce-policy", "deep"),
    ("enforce-policy", "empty-object"),
    ("scan-enforcement", "fifo"),
    ("gateway-config", "fifo"),
    ("gateway-config", "devzero"),
    ("sandbox-profile", "deep.json"),
    ("agent-config", "fifo"),
    ("agent-config", "devzero"),
    ("registry-oidc", "fifo"),
    ("registry-oidc", "devzero"),
    ("registry-oidc", "latin1"),
]


def command(family: str, path: str, tmp_path: Path) -> list[str]:
    database = f"sqlite:///{tmp_path}/registry.db"
    tools = tmp_path / "tools.json"
    tools.write_text('{"tools": []}')
    return {
        "dlp-source": ["dlp", "scan", path],
        "dlp-policy": ["dlp", "scan", "--policy", path, str(tools)],
        "identity-source": ["identity", "update", "--source", path, "-o", str(tmp_path / "out.json")],
        "registry-import": ["registry", "import", path, "--database", database],
        "audit-verify": ["audit", "verify", path],
        "report-previous": [
            "report",
            "audit",
            "--previous",
            path,
            "--database",
            database,
            "-o",
            str(tmp_path / "out.json"),
        ],
        "pins-store": ["pins", "approve", "server", "--store", path],
        "inspect-pins": ["inspect", "--tools-file", str(tools), "--pins", path, "--pin"],
        "enforce-policy": ["enforce", "--policy", path, "--root", str(tmp_path / "root")],
        "gateway-config": ["gateway", "run", "--config", path, "--", "true"],
        "registry-oidc": ["registry", "serve", "--port", "1", "--database", database, "--oidc-config", path],
        "agent-config": ["agent", "run", "--config", path, "--no-jitter"],
        "sandbox-profile": ["sandbox", "run", "--profile", path, "--", "true"],
        "scan-enforcement": ["scan", "--only-paths", "--path", str(tmp_path / "home"), "--enforcement", path],
    }[family]


@pytest.mark.parametrize(("family", "kind"), CASES)
def test_a_hostile_file_is_refused_in_one_line(tmp_path: Path, family: str, kind: str) -> None:
    path = hostile(tmp_path, kind)
    result = run(tmp_path, *command(family, path, tmp_path))
    refused(result, path)
    assert not (tmp_path / "out.json").exists()
    assert not (tmp_path / "root").exists()  # enforce wrote no managed file
    if kind == "devzero":
        assert not Path("/dev/zero.lock").exists()  # the pin store's lock was made there


def test_dlp_still_reads_a_pipe_and_a_plain_file(tmp_path: Path) -> None:
    # The refusal of devices keeps pipes: standard input and a regular file scan as before.
    sample = tmp_path / "sample.txt"
    chooser = random.Random(7)  # noqa: S311 - a fake token, seeded
    fake = "ghp_" + "".join(chooser.choice(string.ascii_letters + string.digits) for _ in range(36))
    sample.write_text(f"token: {fake}\n")
    piped = subprocess.run(
        [sys.executable, "-m", "mcpward", "dlp", "scan", "-", "-f", "json"],
        input=sample.read_text(),
        capture_output=True,
        text=True,
        timeout=20,
        env=dict(os.environ, PYTHONPATH=SRC),
    )
    assert piped.returncode == 0 and "github" in piped.stdout.lower(), piped.stderr
    direct = run(tmp_path, "dlp", "scan", str(sample), "-f", "json")
    assert direct.returncode == 0 and "github" in direct.stdout.lower(), direct.stderr
