"""A sandboxed server never holds the host's root identity (issue 19): when mcpward runs as
root, the server runs under the sandbox's own unprivileged uid and gid on every backend, so
that file permissions themselves refuse it every root-only file of the host, wherever it is
(no folder is searched for them). Tried as a hostile server would: read root-only files in new
folders, become uid 0 by setuid(), by a setuid-root program and by a program with file
capabilities, and look at what it holds."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from needs import sandbox_backend
from test_sandbox import BACKENDS, docker_host

__all__ = ["docker_host"]  # the fixture the docker backend needs, used through `backend`

MCPWARD = [sys.executable, "-m", "mcpward"]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name = str(request.param)
    if name == "docker":
        request.getfixturevalue("docker_host")
    sandbox_backend(name)
    return name


@pytest.fixture()
def root() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root: the attack is a server run by a gateway that runs as root")


#: What the server reports: who it is, what it holds, and each attempt to read or to rise.
_PROBE = r"""
import json, os, subprocess, sys
outcome = {"resuid": list(os.getresuid()), "resgid": list(os.getresgid()), "groups": os.getgroups()}
with open("/proc/self/status") as status:
    for line in status:
        if line.startswith(("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs")):
            key, value = line.split(":")
            outcome[key] = value.strip()
reads = {}
for path in sys.argv[1].split(","):
    try:
        with open(path) as handle:
            reads[path] = handle.read()
    except OSError as exc:
        reads[path] = exc.errno
outcome["reads"] = reads
try:
    os.setuid(0)
    outcome["setuid"] = "became 0"
except OSError as exc:
    outcome["setuid"] = exc.errno
rises = {}
for program in filter(None, sys.argv[2].split(",")):
    try:
        ran = subprocess.run([program, "-c", "import os; print(os.geteuid()); os.setuid(0); print('uid 0')"],
                             capture_output=True, timeout=30)
        rises[program] = ran.stdout.decode() + ran.stderr.decode()[-300:]
    except OSError as exc:
        rises[program] = exc.errno
outcome["rises"] = rises
print(json.dumps(outcome))
"""


def _run(tmp_path: Path, backend: str, reads: list[str], programs: list[str]) -> dict[str, Any]:
    ran = subprocess.run(
        [*MCPWARD, "sandbox", "run", "--backend", backend, "--audit-log", str(tmp_path / "audit.jsonl"),
         "--", sys.executable, "-c", _PROBE, ",".join(reads), ",".join(programs)],
        capture_output=True, timeout=180, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr.decode()[-2000:]
    return dict(json.loads(ran.stdout.decode().strip().splitlines()[-1]))


@pytest.fixture()
def planted() -> Iterator[tuple[list[str], list[str]]]:
    """Root-only secrets in folders nobody searches, each with its secret: a 0600 file in a new
    folder under /usr/share, a 0644 file in a new 0700 folder under /usr/lib, and 0600 files in
    new folders under /srv and /var/lib (outside every system folder)."""
    tag = os.urandom(4).hex()
    made: list[Path] = []
    files: list[str] = []
    secrets: list[str] = []
    for folder, folder_mode, file_mode in (
        (Path("/usr/share") / f"mcpward-id-{tag}", 0o755, 0o600),
        (Path("/usr/lib") / f"mcpward-id-{tag}", 0o700, 0o644),
        (Path("/srv") / f"mcpward-id-{tag}", 0o755, 0o600),
        (Path("/var/lib") / f"mcpward-id-{tag}", 0o755, 0o600),
    ):
        folder.mkdir(parents=False, mode=folder_mode)
        folder.chmod(folder_mode)
        made.append(folder)
        secret = "ghp_" + os.urandom(18).hex()
        descriptor = os.open(folder / "token", os.O_WRONLY | os.O_CREAT | os.O_EXCL, file_mode)
        os.write(descriptor, secret.encode())
        os.close(descriptor)
        files.append(str(folder / "token"))
        secrets.append(secret)
    try:
        yield files, secrets
    finally:
        for folder in made:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture()
def risers() -> Iterator[list[str]]:
    """Programs that would make a process uid 0 on the host, in a system folder every backend
    shows: a setuid-root copy of the interpreter, and a copy with file capabilities (setuid,
    reading any file) in its effective set."""
    folder = Path("/usr/local/lib") / f"mcpward-rise-{os.urandom(4).hex()}"
    folder.mkdir(mode=0o755)
    interpreter = os.path.realpath(sys.base_prefix + "/bin/python3")
    setuid, capable = folder / "python-setuid", folder / "python-caps"
    try:
        for copy in (setuid, capable):
            shutil.copy2(interpreter, copy)
        os.chown(setuid, 0, 0)
        setuid.chmod(0o4755)
        # struct vfs_cap_data, revision 2: CAP_SETUID (7) and CAP_DAC_READ_SEARCH (2), effective.
        os.setxattr(
            capable, "security.capability", struct.pack("<IIIII", 0x02000001, (1 << 7) | (1 << 2), 0, 0, 0)
        )
        yield [str(setuid), str(capable)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_the_server_is_never_uid_0_and_cannot_become_it(
    tmp_path: Path, backend: str, root: None, risers: list[str]
) -> None:
    outcome = _run(tmp_path, backend, ["/etc/shadow"], risers)
    assert 0 not in outcome["resuid"] and 0 not in outcome["resgid"], outcome
    from mcpward.sandbox.interface import server_identity

    identity = server_identity()
    assert identity is not None and 0 not in identity
    assert outcome["resuid"] == [identity[0]] * 3, outcome
    assert outcome["resgid"] == [identity[1]] * 3, outcome
    assert 0 not in outcome["groups"], outcome
    for held in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(outcome[held], 16) == 0, (held, outcome)
    assert outcome["NoNewPrivs"] == "1"
    assert isinstance(outcome["reads"]["/etc/shadow"], int), "/etc/shadow was read inside"
    assert outcome["setuid"] != "became 0"
    for program in risers:
        answer = outcome["rises"][program]
        assert "uid 0" not in str(answer) and not str(answer).startswith("0\n"), (program, answer)


def test_root_only_files_in_new_folders_are_unreadable(
    tmp_path: Path, backend: str, root: None, planted: tuple[list[str], list[str]]
) -> None:
    files, secrets = planted
    outcome = _run(tmp_path, backend, files, [])
    for path, secret in zip(files, secrets, strict=True):
        assert isinstance(outcome["reads"][path], int), f"{path} was read inside"
        assert secret not in json.dumps(outcome)


def test_an_id_the_host_gives_to_someone_is_refused(root: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A shared id would give the server what that account owns, and that account's processes
    the server: the sandbox refuses it, with a clear message, and accepts an unused one."""
    import pwd

    from mcpward.sandbox.interface import SandboxError, server_identity

    taken = next(entry for entry in pwd.getpwall() if entry.pw_uid != 0)
    for value, said in ((str(taken.pw_uid), taken.pw_name), ("0", "from 1"), ("x1", "must be a number")):
        monkeypatch.setenv("MCPWARD_SANDBOX_UID", value)
        with pytest.raises(SandboxError, match=said):
            server_identity()
    monkeypatch.setenv("MCPWARD_SANDBOX_UID", "2000000123")
    assert server_identity() == (2000000123, 2000000123)
    ran = subprocess.run(
        [*MCPWARD, "sandbox", "run", "--backend", "landlock", "--", "/bin/true"],
        capture_output=True, timeout=60, check=False, stdin=subprocess.DEVNULL,
        env={**os.environ, "MCPWARD_SANDBOX_UID": str(taken.pw_uid)},
    )  # fmt: skip
    assert ran.returncode != 0 and b"Traceback" not in ran.stderr and taken.pw_name.encode() in ran.stderr
