"""A throwaway PostgreSQL server on loopback for the registry tests and benchmark.

``MCPWARD_TEST_POSTGRES_URL`` names an existing server instead. Without either, the PostgreSQL
half of the suite is skipped, unless ``MCPWARD_REQUIRE`` names ``postgres`` (as in CI), where it fails (tests/needs.py).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _binaries() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    from loopback import free_port

    return free_port()


@contextmanager
def postgres_server() -> Iterator[str | None]:
    """Yields a server URL (to its ``postgres`` database), or None when none can be had."""
    existing = os.environ.get("MCPWARD_TEST_POSTGRES_URL")
    if existing:
        yield existing
        return
    binaries = _binaries()
    if binaries is None:
        yield None
        return
    # PostgreSQL refuses to run as root; the Debian package's postgres account runs it then.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    workdir = Path(tempfile.mkdtemp(prefix="mcpward-pg-"))
    data = workdir / "data"
    if as_user:
        shutil.chown(workdir, "postgres")
    port = _free_port()

    def run(*args: str) -> None:
        subprocess.run([*as_user, *args], check=True, capture_output=True, timeout=120)

    try:
        run(
            str(binaries / "initdb"),
            "-D",
            str(data),
            "-U",
            "mcpward",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {workdir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        run(
            str(binaries / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(workdir / "log"),
            "-w",
            "start",
        )
        yield f"postgresql://mcpward@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                capture_output=True,
                timeout=60,
            )
        from removal import remove_later

        remove_later(workdir)


def fresh_database(server_url: str, name: str) -> str:
    """A new empty database on the server; its URL."""
    import psycopg

    with psycopg.connect(
        server_url.replace("postgresql://", "postgresql://", 1), autocommit=True
    ) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')  # type: ignore[arg-type]
        connection.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    return server_url.rsplit("/", 1)[0] + f"/{name}"
