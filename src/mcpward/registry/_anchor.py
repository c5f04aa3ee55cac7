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
import fcntl
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mcpward.registry.interface import RegistryError

_KEY_BYTES = 32


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
        if self._key is not None:
            return self._key
        try:
            raw = self.key_file.read_bytes()
        except FileNotFoundError:
            if not create:
                return None
            raw = self._create_key()
        except OSError as exc:
            raise RegistryError(f"cannot read the audit key {self.key_file}: {exc.strerror}") from None
        key = bytes.fromhex(raw.decode("ascii", "replace").strip()) if _is_hex_key(raw) else b""
        if len(key) != _KEY_BYTES:
            raise RegistryError(f"{self.key_file} is not an mcpward audit key")
        self._key = key
        return key

    def _create_key(self) -> bytes:
        raw = (secrets.token_hex(_KEY_BYTES) + "\n").encode()
        try:
            self.key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                descriptor = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process made it first: use theirs
                return self.key_file.read_bytes()
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(raw)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise RegistryError(f"cannot create the audit key {self.key_file}: {exc.strerror}") from None
        return raw

    def mac(self, key: bytes, event_hash: str) -> str:
        return hmac.new(key, b"mcpward-registry-audit:" + event_hash.encode(), hashlib.sha256).hexdigest()

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
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
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
            descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise RegistryError(f"cannot open {lock}: {exc.strerror}") from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)


def _is_hex_key(raw: bytes) -> bool:
    text = raw.strip()
    return len(text) == 2 * _KEY_BYTES and all(c in b"0123456789abcdef" for c in text)
