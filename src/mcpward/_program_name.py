"""A command's program name, as every part compares it: launch (which runner a server's line
starts), DLP (which program's ``-p`` is a password) and the package sources. One function, in a
module that imports nothing of mcpward, because launch imports DLP."""

from __future__ import annotations

import ntpath

#: What Windows and scripts add to a program's name.
PROGRAM_SUFFIXES = (".exe", ".cmd", ".bat", ".ps1", ".sh")


def program_name(command: str) -> str:
    """``/usr/local/bin/npx`` and ``C:\\Program Files\\nodejs\\npx.cmd`` both give ``npx``."""
    path = command.replace("\\", "/").rstrip("/")
    # ntpath's basename only where a drive or a share may lead (it is the cost of a long script's
    # million words); elsewhere the last part is the same.
    base = ntpath.basename(path) if path[:2] == "//" or ":" in path else path.rpartition("/")[2]
    base = base.rsplit("/", 1)[-1].lower()
    for suffix in PROGRAM_SUFFIXES:
        if base.endswith(suffix):
            return base[: -len(suffix)]
    return base
