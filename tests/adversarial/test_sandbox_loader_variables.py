"""A profile's ``env.set`` or ``env.allow`` (the gateway's ``--server-env``: the entry's own
variables) naming a variable the C library acts on as a program starts (``LD_PRELOAD`` and the
other ``LD_*``, ``GCONV_PATH``, ``GLIBC_TUNABLES``, ...). The sandbox put it in the environment
of the programs that start the server, before its confinement: bubblewrap on the host (root's,
every capability), the container engine's client, the Landlock launcher (on the host, before
Landlock), the bridge (holding capabilities as root) and the seccomp filter's launcher. A
library the profile preloaded ran in each, outside the sandbox: here it wrote a file into a
host folder no server may write (bubblewrap, podman and Landlock alike, as root). Now such
variables are held back from all of these and set by the last step alone, for the server's own
program, after every confinement is in force: what they load runs as the server, inside."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from needs import sandbox_backend
from test_sandbox import docker_host

__all__ = ["docker_host"]

#: A library whose loading writes a file named for the program that loaded it into MARKS.
LIBRARY = r"""
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
__attribute__((constructor)) static void loaded(void) {
    char name[64] = "", path[4096];
    int comm = open("/proc/self/comm", O_RDONLY);
    if (comm >= 0) { ssize_t got = read(comm, name, sizeof name - 1); close(comm);
                     if (got > 0) name[got - 1] = 0; }
    snprintf(path, sizeof path, "MARKS/%s-%d", name, (int)getpid());
    int fd = open(path, O_WRONLY | O_CREAT, 0644);
    if (fd >= 0) { write(fd, "loaded\n", 7); close(fd); }
}
"""

#: The server: says whether the variable reached it, and its value.
SERVER = "import json, os, sys; print(json.dumps(os.environ.get(sys.argv[1])), flush=True)"

pytestmark = pytest.mark.skipif(
    shutil.which("cc") is None or sys.platform != "linux", reason="needs a C compiler (Linux)"
)


@pytest.fixture(params=["bubblewrap", "landlock", "podman"])
def backend(request: pytest.FixtureRequest) -> str:
    sandbox_backend(request.param)
    return str(request.param)


@pytest.fixture
def library(tmp_path: Path) -> tuple[Path, Path]:
    """The preloaded library, and the host folder it marks (which no sandboxed server sees)."""
    marks = tmp_path / "marks"
    marks.mkdir()
    source, built = tmp_path / "preload.c", tmp_path / "preload.so"
    source.write_text(LIBRARY.replace("MARKS", str(marks)), encoding="utf-8")
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(built), str(source)], check=True, timeout=60)
    return built, marks


def _run(tmp_path: Path, backend: str, profile: str, variable: str) -> str:
    config = tmp_path / "profile.toml"
    config.write_text(profile, encoding="utf-8")
    command = [sys.executable, "-m", "mcpward", "sandbox", "run", "--profile", str(config), "--backend", backend,
               "--audit-log", str(tmp_path / "audit.jsonl"), "--",
               sys.executable, "-c", SERVER, variable]  # fmt: skip
    result = subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout.decode().strip().splitlines()[-1])


def test_a_library_the_profile_preloads_runs_only_in_the_server(
    tmp_path: Path, backend: str, library: tuple[Path, Path]
) -> None:
    built, marks = library
    profile = f'[env]\nset = {{ LD_PRELOAD = "{built}" }}\n'
    value = _run(tmp_path, backend, profile, "LD_PRELOAD")
    assert sorted(os.listdir(marks)) == [], "the profile's library ran outside the sandbox"
    assert value == str(built)  # the server still has it


def test_a_servers_own_preload_runs_only_in_the_server(
    tmp_path: Path, backend: str, library: tuple[Path, Path]
) -> None:
    """The gateway's path: the entry's LD_PRELOAD set aside (``--server-env``) and allowed."""
    built, marks = library
    (tmp_path / "profile.toml").write_text('[env]\nallow = ["LD_PRELOAD"]\n', encoding="utf-8")
    # The runner is started without it (the gateway's own loader would have acted on it before
    # it could be set aside): it is put in the runner's environment as the gateway's would be.
    aside = tmp_path / "aside.py"
    aside.write_text(
        "import os, runpy, sys\n"
        f"os.environ['LD_PRELOAD'] = {str(built)!r}\n"
        "sys.argv = ['mcpward', *sys.argv[1:]]\n"
        "runpy.run_module('mcpward', run_name='__main__')\n",
        encoding="utf-8",
    )
    config = tmp_path / "profile.toml"
    command = [sys.executable, str(aside), "sandbox", "run", "--profile", str(config), "--backend", backend,
               "--server-env", "LD_PRELOAD", "--audit-log", str(tmp_path / "audit.jsonl"), "--",
               sys.executable, "-c", SERVER, "LD_PRELOAD"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr.decode()
    assert sorted(os.listdir(marks)) == [], "the server's own library ran outside the sandbox"
    assert json.loads(result.stdout.decode().strip().splitlines()[-1]) == str(built)


@pytest.mark.parametrize("variable", ["LD_LIBRARY_PATH", "GCONV_PATH", "GLIBC_TUNABLES", "LOCPATH"])
def test_what_the_c_library_reads_reaches_the_server_alone(tmp_path: Path, variable: str) -> None:
    """Held back from the sandbox's programs, but the server's still (bubblewrap: the
    quickest)."""
    sandbox_backend("bubblewrap")
    profile = f'[env]\nset = {{ {variable} = "/nonexistent/{variable}" }}\n'
    assert _run(tmp_path, "bubblewrap", profile, variable) == f"/nonexistent/{variable}"
