"""Where the registry lives and how it is opened: SQLite in the user's data folder by default,
PostgreSQL (or another SQLite file) when ``MCPWARD_DATABASE_URL`` names one. Opening a database
brings its schema up to date with the Alembic migrations shipped in the package."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError
from sqlalchemy.orm import Session, sessionmaker

from mcpward._paths import writable_by_anyone
from mcpward.registry.interface import RegistryError

_T = TypeVar("_T")
#: Items a statement names at most: PostgreSQL takes 65,535 parameters a statement (a page of
#: more tools pinned on first use, or more tokens of one name revoked, failed past them).
CHUNK = 1000


def in_chunks(items: Sequence[_T], size: int = CHUNK) -> Iterator[Sequence[_T]]:
    """``items`` in slices of at most ``size``, for statements that name each (``IN``)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


_MIGRATIONS = Path(__file__).with_name("_migrations")
#: Any number that no other program on a shared PostgreSQL is likely to lock.
_MIGRATION_LOCK = 7_160_410_001


def default_url() -> str:
    override = os.environ.get("MCPWARD_DATABASE_URL")
    if override:
        return override
    from mcpward._paths import user_data_dir

    return f"sqlite:///{user_data_dir() / 'registry.db'}"


def _normalise(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean the psycopg 3 driver this package installs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Database:
    """Two engines on one database: SQLite writes take the write lock when they begin
    (``BEGIN IMMEDIATE``) so that two writers queue instead of failing on a stale snapshot;
    reads stay concurrent. On PostgreSQL both are the same engine."""

    def __init__(self, url: str | None = None) -> None:
        raw = _normalise(url or default_url())
        try:
            parsed = make_url(raw)
        except ArgumentError:
            raise RegistryError(f"not a database URL: {_masked(raw)}") from None
        self.dialect = parsed.get_backend_name()
        if self.dialect not in {"sqlite", "postgresql"}:
            raise RegistryError(f"unsupported database {self.dialect!r}: use SQLite or PostgreSQL")
        self.display = parsed.render_as_string(hide_password=True)
        if self.dialect == "sqlite":
            database = parsed.database
            if database and database != ":memory:":
                _create_owner_only(Path(database))
                _refuse_if_anyone_writes(Path(database))
            self.read_engine = self._sqlite_engine(raw, immediate=False)
            self.write_engine = self._sqlite_engine(raw, immediate=True)
        else:
            self.read_engine = self.write_engine = create_engine(
                raw, pool_size=10, max_overflow=20, pool_pre_ping=True
            )
        self._write_lock: AbstractContextManager[object] = (
            threading.Lock() if self.dialect == "sqlite" else nullcontext()
        )
        self._reader = sessionmaker(self.read_engine, expire_on_commit=False)
        self._writer = sessionmaker(self.write_engine, expire_on_commit=False)

    @staticmethod
    def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # SQLAlchemy's begin event issues BEGIN
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._reader() as session, session.begin():
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        # SQLite lets one writer in at a time and makes the others poll with growing sleeps,
        # which gave a 1.8 s p99 under 16 concurrent uploads; threads of this process queue on
        # a lock instead (other processes still wait through busy_timeout).
        with self._write_lock, self._writer() as session, session.begin():
            yield session

    def migrate(self) -> None:
        """Bring the schema to the newest migration; safe when several processes start at once."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        try:
            with self.write_engine.begin() as connection:
                if self.dialect == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except DatabaseError as exc:
            # DatabaseError, not only OperationalError: a file that is not a database (``file
            # is not a database``) was an internal error (exit 70).
            raise RegistryError(f"cannot open the registry database {self.display}: {exc.orig}") from None

    def dispose(self) -> None:
        self.read_engine.dispose()
        self.write_engine.dispose()


def _create_owner_only(path: Path) -> None:
    """Make a new database file (and its folder) readable by its owner only: it holds the
    reviews, the audit trail and token hashes. SQLite gives its -wal and -shm files the mode of
    the database file. An existing file keeps the mode it was given."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        # A folder below a file (MCPWARD_DATA_DIR naming a file) was an internal error (exit 70).
        raise RegistryError(f"cannot create the registry database {path}: {exc.strerror}") from None
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise RegistryError(f"cannot create the registry database {path}: {exc.strerror}") from None


def _refuse_if_anyone_writes(path: Path) -> None:
    """A database file, or a folder on its way (not sticky), that any account can write: any
    local user could approve a server, or take a gateway's pin away, by writing it. A file
    shared with a group (a service account and its admins) is the deployment's choice."""
    place = writable_by_anyone(path)
    if place is not None:
        raise RegistryError(
            f"the registry database {path}: {place} can be written by any account on this "
            "machine (anyone could approve a server by writing it); refused (chmod o-w)"
        )


def _masked(url: str) -> str:
    head, at, tail = url.rpartition("@")
    if not at or "://" not in head:
        return url
    scheme, _, credentials = head.partition("://")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{tail}"
