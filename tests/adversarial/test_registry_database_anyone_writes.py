"""The registry's SQLite file holds every approval, review and token hash, and gateways read it
as their source of approved pins. A file (or a folder on its way) that any account on the
machine can write was opened as it was: any local user could approve a server, or take a pin
away, by writing the file, until 2026-12-06. Such a database is now refused in one line. A file
of the owner's own, and one shared with a group (a team's service account and its admins), are
taken."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mcpward.registry import Database, Registry, RegistryError


def _made(path: Path) -> None:
    registry = Registry.open(f"sqlite:///{path}")
    registry.database.dispose()


def test_a_database_anyone_can_write_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "registry.db"
    _made(path)
    os.chmod(path, 0o666)  # noqa: S103 - the attack: a database anyone can write
    with pytest.raises(RegistryError, match="any account") as refused:
        Database(f"sqlite:///{path}")
    assert str(path) in str(refused.value)


def test_a_database_in_a_folder_anyone_can_write_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    _made(folder / "registry.db")
    os.chmod(folder, 0o777)  # noqa: S103 - not sticky: anyone can replace the file with their own
    with pytest.raises(RegistryError, match="any account"):
        Database(f"sqlite:///{folder / 'registry.db'}")


def test_the_owners_database_and_a_group_shared_one_are_taken(tmp_path: Path) -> None:
    path = tmp_path / "registry.db"
    _made(path)
    Database(f"sqlite:///{path}").dispose()
    os.chmod(path, 0o660)
    Database(f"sqlite:///{path}").dispose()


def test_the_cli_says_so_in_one_line(tmp_path: Path, cli: object) -> None:
    path = tmp_path / "registry.db"
    _made(path)
    os.chmod(path, 0o666)  # noqa: S103 - the attack: a database anyone can write
    result = cli("registry", "list", "--database", f"sqlite:///{path}")  # type: ignore[operator]
    assert result.exit_code != 0 and "any account" in result.stderr and "Traceback" not in result.stderr
