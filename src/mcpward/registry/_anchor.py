"""What anchors the registry's audit trail outside its database.

Whoever can write the database can rewrite a plain hash chain from the first event on, delete
its newest events, or empty it, and it still verifies. Two things kept in files, owner-only, in
the user data folder (``MCPWARD_REGISTRY_KEY`` names another key file), close those:

- a random key: every audit event carries ``HMAC(key, hash)``, so a recomputed chain does not
  verify without the key;
- the newest event each database reached (its seq and hash, per database), advanced after every
  change: a chain that ends before it, or differs at it, was cut or replaced.

Several hosts writing one PostgreSQL database need the same key file; each keeps its own heads.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mcpward._anchor import AnchorError, load_key, seal
from mcpward.registry.interface import RegistryError


def default_key_file() -> Path:
    override = os.environ.get("MCPWARD_REGISTRY_KEY")
    if override:
        return Path(override)
    from mcpward._paths import user_data_dir

    return user_data_dir() / "registry-audit.key"


class AuditAnchor:
    def __init__(self, key_file: Path | None = None) -> None:
        self.key_file = key_file or default_key_file()
        self.heads_file = self.key_file.with_name(self.key_file.name + ".heads")
        self._key: bytes | None = None

    # -- the key -------------------------------------------------------------------------------

    def key(self, *, create: bool) -> bytes | None:
        """The key; made (owner-only) when ``create`` and there is none yet."""
        if self._key is None:
            try:
                self._key = load_key(self.key_file, create=create)
            except AnchorError as exc:
                raise RegistryError(f"the audit key: {exc}") from None
        return self._key

    def mac(self, key: bytes, event_hash: str) -> str:
        return seal(key, "registry-event", event_hash)

    # -- the heads -----------------------------------------------------------------------------

    def head(self, database: str) -> tuple[int, str] | None:
        """The newest (seq, hash) this host recorded for ``database``."""
        with self._locked():
            found = self._heads().get(database)
        if not isinstance(found, dict):
            return None
        seq, event_hash = found.get("seq"), found.get("hash")
        if isinstance(seq, int) and isinstance(event_hash, str):
            return seq, event_hash
        return None

    def advance(self, database: str, seq: int, event_hash: str) -> None:
        """Record (seq, hash) for ``database`` unless a newer event is recorded already."""
        with self._locked():
            heads = self._heads()
            current = heads.get(database)
            if isinstance(current, dict) and isinstance(current.get("seq"), int) and current["seq"] >= seq:
                return
            heads[database] = {"seq": seq, "hash": event_hash}
            temporary = self.heads_file.with_name(self.heads_file.name + ".tmp")
            # Never through a link: whoever can write the folder would have each change
            # truncate and write the file it names.
            descriptor = _opened(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            # Replaced whole, never written in place; not fsynced (6 ms a change): a head lost
            # in a crash only lags, which weakens the truncation check for that moment.
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(heads, handle, sort_keys=True)
            os.replace(temporary, self.heads_file)

    def _heads(self) -> dict[str, Any]:
        try:
            loaded = json.loads(self.heads_file.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            raise RegistryError(f"cannot read {self.heads_file}: the audit heads are damaged") from None
        return loaded if isinstance(loaded, dict) else {}

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        lock = self.heads_file.with_name(self.heads_file.name + ".lock")
        try:
            self.heads_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise RegistryError(f"cannot open {lock}: {exc.strerror}") from None
        descriptor = _opened(lock, os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)


def _opened(path: Path, flags: int) -> int:
    """``path`` opened owner-only, not through a symbolic link."""
    try:
        return os.open(path, flags | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        why = "it is a symbolic link" if exc.errno == errno.ELOOP else exc.strerror
        raise RegistryError(f"cannot open {path}: {why}") from None
