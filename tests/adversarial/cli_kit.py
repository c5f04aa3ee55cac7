"""The attack tests' shared steps around the real CLI: ``mcpward`` in a child process (this
checkout's code), with a data folder of its own, a command's peak memory, and a registry entry
a requester asked for and a reviewer decided."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from mcpward.registry import DataScope, EntryRequest, Identity, Registry, VetOutcome

SRC = str(Path(__file__).resolve().parents[2] / "src")


def mcpward(
    *args: str, preexec_fn: Callable[[], None] | None = None, cwd: Path | None = None, **variables: str
) -> subprocess.CompletedProcess[str]:
    """``mcpward ARGS`` in a child process of this checkout's code, with these environment
    ``variables`` added."""
    return subprocess.run(
        [sys.executable, "-m", "mcpward", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, PYTHONPATH=SRC, **variables),
        preexec_fn=preexec_fn,
        cwd=cwd,
    )


def on_a_terminal(
    *args: str, env: Mapping[str, str] | None = None, stderr: bool = True, timeout: float = 120
) -> tuple[int, str]:
    """``mcpward ARGS`` with a pseudo-terminal for its standard output (and error, unless
    ``stderr`` is false), as a person runs it: its exit code and everything it wrote there.
    ``env``: variables added to this process's (``PYTHONPATH`` is this checkout's code)."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "mcpward", *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower if stderr else subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": SRC, **(env or {})},
    )
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 1)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the follower closed: the process ended
                break
            if not chunk:
                break
            chunks.append(chunk)
        elif process.poll() is not None:
            break
    os.close(leader)
    code = process.wait(timeout=30)
    return code, b"".join(chunks).decode("utf-8", "replace")


#: Runs its arguments after the first, then writes their peak resident memory (KB) to the first
#: and exits with their status.
_PEAK = """
import resource, subprocess, sys
status = subprocess.run(sys.argv[2:]).returncode
with open(sys.argv[1], "w") as figure:
    figure.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(status)
"""


def with_peak_memory(
    command: Sequence[str], *, env: Mapping[str, str], timeout: float
) -> tuple[subprocess.CompletedProcess[str], int]:
    """``command`` run from a parent of its own (the test's other children would count in the
    test's own figure): what it did, and its peak resident memory in KB, as the kernel counts it."""
    with tempfile.TemporaryDirectory() as folder:
        figure = Path(folder) / "peak"
        done = subprocess.run(
            [sys.executable, "-c", _PEAK, str(figure), *command],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
        return done, int(figure.read_text())


def mcpward_in_home(
    home: Path, *args: str, data: Path | None = None, timeout: float = 30, max_file_bytes: int | None = None
) -> subprocess.CompletedProcess[str]:
    """``mcpward ARGS`` as a fresh user would run it: ``home`` its home and working folder, its
    data in ``data`` (``home/data`` unless told), no database URL of this environment, nothing
    on standard input; a hang fails the test within ``timeout`` seconds. ``max_file_bytes``: no
    file it writes may grow past this (a full disk, as the kernel's file size limit: a write
    past it fails with EFBIG)."""
    env = dict(os.environ, PYTHONPATH=SRC, HOME=str(home), MCPWARD_DATA_DIR=str(data or home / "data"))
    env.pop("MCPWARD_DATABASE_URL", None)

    def limited() -> None:
        import resource

        if max_file_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    return subprocess.run(
        [sys.executable, "-m", "mcpward", *args],
        preexec_fn=limited if max_file_bytes is not None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        stdin=subprocess.DEVNULL,
        cwd=home,
    )


def processes_scan_beside(home: Path, name: str, *args: str) -> tuple[int, subprocess.CompletedProcess[str]]:
    """``mcpward scan --processes -f json`` run as :func:`mcpward_in_home` while a process named
    ``name`` runs with ``args`` on its command line (Python sleeping, under that name); the
    process's pid and the scan."""
    started = subprocess.Popen(
        [name, "-c", "import time; time.sleep(60)", *args],
        executable=sys.executable,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.3)
        done = mcpward_in_home(
            home, "scan", "--processes", "--home", os.fspath(home), "-f", "json", timeout=60
        )
    finally:
        started.kill()
        started.wait(timeout=10)
    return started.pid, done


def mcpward_with_data(data: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``mcpward ARGS`` keeping its data (wrap's backups and restore list) in ``data``."""
    return mcpward(*args, cwd=cwd, MCPWARD_DATA_DIR=str(data))


def decided(
    registry: Registry,
    name: str,
    identity: Identity,
    *,
    approve: bool = True,
    write: bool = True,
    checked: bool = True,
) -> int:
    """The id of an entry Mallory asked for and Bob approved (with write access unless
    ``write`` is false, so not on probation) or rejected. ``checked=False``: stored as a
    registry stored it before it refused identities enforce cannot write or past its bounds
    (2026-12-06), which enforce still meets in older registries."""
    fields: dict[str, Any] = {"name": name, "identity": identity, "owner": "team", "scope": DataScope(),
                              "vet": VetOutcome(verdict="pass")}  # fmt: skip
    if checked:
        entry = registry.request(EntryRequest(**fields), "mallory")
    else:
        from mcpward.registry import _service

        unchecked = EntryRequest.model_construct(**fields, tier=None, pins={}, inspect_findings=(),
                                                 title=None, description=None, repository=None,
                                                 server_json=None)  # fmt: skip
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(_service, "_check_storable", lambda _identity: None)
            entry = registry.request(unchecked, "mallory")
    if not approve:
        registry.reject(entry.id, "bob", "no")
    else:
        registry.approve(entry.id, "bob", "reviewed", override=True)
        if write:
            registry.grant_write(entry.id, "bob", "reviewed")
    return entry.id


def npm(name: str, version: str = "1.0.0") -> Identity:
    return Identity(kind="package", ecosystem="npm", name=name, version=version)


def fleet_of_one_laptop(tmp_path: Path) -> str:
    """A registry database (its URL) whose fleet is one laptop with one local server, as the
    reports read it."""
    from mcpward.registry import InventoryUpload, ObservedServer

    database = f"sqlite:///{tmp_path / 'registry.db'}"
    registry = Registry.open(database)
    server = ObservedServer(host="cursor", name="files", kind="local", launch="node files.js")
    registry.record_inventory(
        InventoryUpload(machine_id="m1", hostname="laptop-1", servers=(server,)), "agent"
    )
    registry.database.dispose()
    return database


def assert_password_masked(command: str, args: list[str], secret: str) -> None:
    """``command args`` as scan prints it: ``secret`` masked, a finding made, no word lost."""
    from mcpward.dlp import redact_argv

    masked, hits = redact_argv(args, command=command)
    assert hits
    assert secret not in " ".join(masked)
    assert len(masked) == len(args)
