"""What the attacks on processes a server under the Landlock backend leaves running share: the
server's script where the sandbox may read it, and the processes found by a marker in their
command line."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path


def server_script(tmp_path: Path, source: str) -> Path:
    """``source`` as ``tmp_path / "server.py"``, which the sandbox's uid may read."""
    tmp_path.chmod(0o755)
    script = tmp_path / "server.py"
    script.write_text(source, encoding="utf-8")
    script.chmod(0o644)
    return script


def holders(marker: str) -> list[int]:
    """The processes with ``marker`` for one argument, but for a ``sandbox run`` naming it."""
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            line = (entry / "cmdline").read_bytes().split(b"\0")
            if entry.name.isdigit() and marker.encode() in line and b"sandbox" not in line:
                found.append(int(entry.name))
    return found


def holders_after(marker: str, seconds: float) -> list[int]:
    """:func:`holders` once there are none, or after ``seconds``."""
    deadline = time.monotonic() + seconds
    while holders(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    return holders(marker)


@contextlib.contextmanager
def fresh_marker(prefix: str) -> Iterator[str]:
    """A marker no process holds yet; after, whatever holds it (the test's own leftover, if the
    sandbox left it) is killed."""
    text = f"{prefix}-{os.urandom(6).hex()}"
    yield text
    for pid in holders(text):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
