"""Attack: someone who can write the folder of the registry's audit key (a folder named by
``MCPWARD_REGISTRY_KEY`` that others can write) puts symbolic links where the registry writes
its heads: the temporary file each change writes and renames, and the lock beside it.

Before (2026-12-05) both were opened through the link: every change of the registry truncated
the file the temporary's link named (a file of the registry's account, the shell's startup file
here) and wrote the heads into it, and the lock made a file where its link pointed. They are now
opened without following a link, and a change whose head cannot be recorded says so."""

from __future__ import annotations

from pathlib import Path

from mcpward.registry import Registry, RegistryError, Role


def _changed_with_a_link(tmp_path: Path, name: str, target: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    registry = Registry.open(f"sqlite:///{tmp_path / 'r.db'}", key_file=shared / "registry-audit.key")
    registry.create_token("carol", Role.VIEWER, "admin")
    (shared / name).unlink(missing_ok=True)
    (shared / name).symlink_to(target)
    try:
        registry.create_token("dave", Role.VIEWER, "admin")
    except RegistryError as exc:
        assert "symbolic link" in str(exc) or "cannot" in str(exc)
    finally:
        registry.database.dispose()


def test_the_heads_are_not_written_through_a_link(tmp_path: Path) -> None:
    victim = tmp_path / "home" / ".bashrc"
    victim.parent.mkdir()
    victim.write_text("export PATH=$HOME/bin:$PATH\n")
    _changed_with_a_link(tmp_path, "registry-audit.key.heads.tmp", victim)
    assert victim.read_text() == "export PATH=$HOME/bin:$PATH\n"


def test_the_heads_lock_is_not_made_through_a_link(tmp_path: Path) -> None:
    planted = tmp_path / "home" / ".config" / "autostart.desktop"
    planted.parent.mkdir(parents=True)
    _changed_with_a_link(tmp_path, "registry-audit.key.heads.lock", planted)
    assert not planted.exists()
