"""``mcpward agent``: a scheduled scan of every home on a machine, each reported to the registry
as its own fleet record, installed as a systemd timer, a launchd daemon or a Windows scheduled
task. Each scheduler is one module (a :class:`Scheduler`); ``_run`` is one run."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from mcpward._paths import below, changeable_by_others, place_at
from mcpward._plugins import implementations
from mcpward.agent._run import RunOutcome, Spool, homes, read_token, run
from mcpward.agent.interface import CONFIG_PATH, AgentConfig, AgentError, Scheduler, SchedulerFile

__all__ = [
    "CONFIG_PATH",
    "AgentConfig",
    "AgentError",
    "RunOutcome",
    "Scheduler",
    "SchedulerFile",
    "Spool",
    "homes",
    "install",
    "read_token",
    "remove",
    "run",
    "scheduler",
]


def scheduler(platform: str) -> Scheduler:
    found: list[Scheduler] = implementations(__name__, __path__, Scheduler)
    for candidate in found:
        if candidate.platform == platform:
            return candidate
    known = ", ".join(sorted(c.platform for c in found))
    raise AgentError(f"unknown platform {platform!r}; choose from {known}")


def _config_path(platform: str) -> str:
    return "C:/ProgramData/mcpward/agent.toml" if platform == "windows" else CONFIG_PATH


#: The most of a program read for its ``#!`` line.
_SHEBANG_BYTES = 512


def _programs(root: Path, command: tuple[str, ...]) -> list[Path]:
    """The files ``command`` runs, below ``root``: its program and the interpreter a ``#!`` line
    of that program names (a venv's Python: whoever may change it changes its packages too).
    A name the scheduler looks up in its own system path is left out."""
    if not command[0].startswith("/"):
        return []
    program = _checkable(root, command[0], "program")
    found = [program]
    try:
        # Without blocking: a FIFO planted at the name held the install.
        descriptor = os.open(program, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError):
        return found
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return found
        first = handle.read(_SHEBANG_BYTES).split(b"\n", 1)[0]
    words = first[2:].decode("utf-8", "replace").split() if first.startswith(b"#!") else []
    if words and words[0].startswith("/"):
        found.append(_checkable(root, words[0], "program's interpreter"))
    return found


def _checkable(root: Path, path: str, what: str) -> Path:
    try:
        return below(root, path)
    except ValueError:
        # Checked below ``root`` part by part, a ``..`` cannot be followed there (it ended
        # install with an internal error); the scheduler runs the path as it is written.
        raise AgentError(f"the agent's {what} {path}: give it without . or .. parts") from None


def _placeable_by_others(root: Path, program: Path) -> Path | None:
    """``changeable_by_others`` of ``program``; for one not there yet (or a link to nothing),
    of the folder that will hold it, which no other account may add a name to, sticky or not:
    the units once written, it put its own program there."""
    own = getattr(os, "geteuid", None)
    if own is None or os.path.exists(program):
        return changeable_by_others(program)
    if not root.exists():
        return None  # a package's folder, which install makes: nothing of the machine's there
    target = Path(os.path.realpath(program))
    for start in (program, target):  # links on the way, as written and as followed
        exposed = changeable_by_others(_nearest(start.parent))
        if exposed is not None:
            return exposed
    folder = _nearest(target.parent)
    facts = os.stat(folder)
    return folder if facts.st_uid not in (own(), 0) or facts.st_mode & 0o022 else None


def _nearest(path: Path) -> Path:
    """``path`` or the nearest folder above it that is there."""
    while not os.path.lexists(path):
        path = path.parent
    return path


def install(config: AgentConfig, platform: str, root: Path) -> tuple[list[Path], list[list[str]]]:
    """Write the agent's settings and the scheduler's files under ``root`` (``/`` for this
    machine); the commands that enable them, which are left to the caller."""
    chosen = scheduler(platform)
    for program in _programs(root, config.command):
        # The scheduler runs it as the agent, which reads every home and holds the fleet's token:
        # a pipx or venv install in a user's home, or Homebrew's /usr/local/bin, is that user's
        # to replace, and their code then ran with the agent's rights.
        exposed = _placeable_by_others(root, program)
        if exposed is not None:
            raise AgentError(
                f"the agent's program {program}: {exposed} can be changed by another account; "
                "refused (install mcpward where only root can change it)"
            )
    config_path = _config_path(platform)
    files = [SchedulerFile(config_path, config.to_toml().encode(), 0o644), *chosen.files(config, config_path)]
    written = []
    for file in files:
        target = below(root, file.path)
        try:
            # Never through a link planted at a temporary name or on the way (see place_file).
            place_at(root, file.path, file.content, file.mode)
        except OSError as exc:
            raise AgentError(f"cannot write {target}: {exc.strerror}") from None
        written.append(target)
    return written, chosen.enable()


def remove(platform: str, root: Path) -> list[Path]:
    """Delete what ``install`` wrote (the spool and the token file are left)."""
    chosen = scheduler(platform)
    # Only the files' paths are read, from settings the platform's scheduler takes: the Windows
    # task refuses a program not ending in .exe (as the default /usr/bin/mcpward).
    command = ("mcpward.exe",) if platform == "windows" else AgentConfig.model_fields["command"].default
    placeholder = AgentConfig(registry="https://registry.invalid", token_file="-", command=command)  # noqa: S106 - a path
    paths = [
        _config_path(platform),
        *(file.path for file in chosen.files(placeholder, _config_path(platform))),
    ]
    targets = [below(root, path) for path in paths]
    for target in targets:
        # As install refuses it (place_file): another account's link on the way (DIR/etc ->
        # /etc) had root delete the machine's own settings and units. Checked before any.
        exposed = changeable_by_others(target.parent)
        if exposed is not None:
            raise AgentError(f"{exposed} can be changed by another account; refused")
        if target.is_dir() and not target.is_symlink():
            raise AgentError(f"{target} is a folder, not the file install wrote; refused")
    removed = []
    for target in targets:
        if target.exists():
            try:
                target.unlink()
            except OSError as exc:  # read-only, immutable: was an internal error
                raise AgentError(f"cannot remove {target}: {exc.strerror}") from None
            removed.append(target)
    return removed
