"""Secrets for a sandboxed server, fetched at launch so that client configs need not hold them:
from the launching environment (``env:NAME``), from a file only its owner can read
(``file:PATH`` with ``KEY=value`` lines, or ``file:PATH#KEY``), or from the OS keyring
(``keyring:SERVICE/USERNAME``, through the keyring library). Values are never logged."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from mcpward.sandbox.interface import SandboxError


def fetch(name: str, source: str) -> str:
    kind, _, where = source.partition(":")
    if kind == "env":
        variable = where or name
        if variable not in os.environ:
            raise SandboxError(f"secret {name}: the environment has no {variable}")
        return os.environ[variable]
    if kind == "file":
        path_text, _, key = where.partition("#")
        return _from_file(Path(path_text).expanduser(), key or name, name)
    if kind == "keyring":
        service, _, user = where.rpartition("/")
        try:
            import keyring
        except ImportError:
            raise SandboxError(
                f"secret {name}: the keyring source needs `pip install 'mcpward[keyring]'`"
            ) from None
        value = keyring.get_password(service or where, user or name)
        if value is None:
            raise SandboxError(f"secret {name}: the keyring has no {service or where}/{user or name}")
        return str(value)
    raise SandboxError(f"secret {name}: unknown source {kind!r}; use env:, file: or keyring:")


def _from_file(path: Path, key: str, name: str) -> str:
    try:
        info = path.stat()
    except OSError as exc:
        raise SandboxError(f"secret {name}: cannot read {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise SandboxError(f"secret {name}: {path} is not a regular file")
    if info.st_mode & 0o077 or info.st_uid != os.geteuid():
        raise SandboxError(f"secret {name}: {path} must be yours and readable by you only (chmod 600)")
    for line in path.read_text("utf-8").splitlines():
        if (pair := secret_line(line)) is not None and pair[0] == key:
            return pair[1]
    raise SandboxError(f"secret {name}: {path} has no {key}")


def secret_line(line: str) -> tuple[str, str] | None:
    """The (key, value) a ``KEY=value`` line of a secrets file gives, quotes and spaces around
    the value dropped; None for a line without ``=``."""
    field, separator, value = line.partition("=")
    return (field.strip(), value.strip().strip("\"'")) if separator else None
