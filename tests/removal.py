"""Throwaway folders of the tests' own servers removed after the test run has moved on."""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path


def remove_later(folder: Path, *, once_ended: subprocess.Popen[bytes] | None = None) -> None:
    """``folder`` removed in the background, once ``once_ended`` (a server asked to stop) has
    ended (killed if it still runs after 30 s): a worker's last test waited 8 to 10 s for the
    files of PostgreSQL's 200 databases, or of a Docker engine that ran containers, to be
    removed. Removed here and now where there is no ``sh``."""
    shell = shutil.which("sh")
    if shell is None:
        if once_ended is not None:
            once_ended.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
        return
    pid = 0
    if once_ended is not None:
        pid = once_ended.pid
        # Reaped here when it ends (the thread holds it: no warning of a process left running).
        threading.Thread(target=once_ended.wait, daemon=True).start()
    script = (
        'i=0; while [ "$2" != 0 ] && kill -0 "$2" 2>/dev/null && [ "$i" -lt 300 ]; do sleep 0.1; '
        'i=$((i+1)); done; [ "$2" = 0 ] || kill -9 "$2" 2>/dev/null; rm -rf -- "$1"'
    )
    # The shell starts the removal as a job of its own and ends at once.
    subprocess.run(
        [shell, "-c", f"({script}) </dev/null >/dev/null 2>&1 &", "remove-later", str(folder), str(pid)],
        start_new_session=True,
        check=False,
        timeout=30,
    )
