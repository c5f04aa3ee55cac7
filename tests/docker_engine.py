"""A throwaway Docker engine for the sandbox tests, as the PostgreSQL tests start their own
server: Debian's dockerd, as root, on a unix socket in a temporary folder, with no bridge and
no firewall rules (the sandbox's containers have no network anyway), its data removed after.

An engine that ``docker`` already reaches (``DOCKER_HOST`` or the default socket) is used as
it is. Without either, the docker half of the sandbox tests is skipped with the reason.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def docker_engine() -> Iterator[str | None]:
    """Yields the ``DOCKER_HOST`` to use ("" for the engine already reachable), or None."""
    client = shutil.which("docker")
    if client and subprocess.run([client, "version"], capture_output=True, timeout=30).returncode == 0:
        yield ""
        return
    daemon = shutil.which("dockerd") or ("/usr/sbin/dockerd" if Path("/usr/sbin/dockerd").exists() else None)
    if client is None or daemon is None or os.geteuid() != 0:
        yield None
        return
    workdir = Path(tempfile.mkdtemp(prefix="mcpward-docker-"))
    host = f"unix://{workdir}/docker.sock"
    with open(workdir / "dockerd.log", "wb") as log:
        process = subprocess.Popen(
            [daemon, "--host", host, "--data-root", str(workdir / "data"), "--exec-root", str(workdir / "exec"),
             "--pidfile", str(workdir / "dockerd.pid"), "--bridge", "none", "--iptables=false",
             "--ip6tables=false"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        for _ in range(300):  # bounded: thirty seconds
            ready = subprocess.run(
                [client, "--host", host, "version"], capture_output=True, timeout=30
            ).returncode
            if ready == 0 or process.poll() is not None:
                break
            time.sleep(0.1)
        yield host if process.poll() is None else None
    finally:
        from removal import remove_later

        with contextlib.suppress(OSError):
            process.send_signal(signal.SIGTERM)
        # Its ending (several seconds once it has run containers) and the removal of its data
        # are waited for by a process of their own, not by the worker's last test.
        remove_later(workdir, once_ended=process)
