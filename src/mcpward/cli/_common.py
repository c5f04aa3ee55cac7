"""What the command groups share: one-line failures, formats, thresholds, progress, registry options."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mcpward.errors import ExitCode

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from mcpward.model import Report, Severity
    from mcpward.registry import Registry


def say(line: str, *, err: bool = False) -> None:
    """One line for the user's terminal. Lines name what came from outside (a config's server
    name, a server's tool name or error, a package's file name): shown through ``printable``,
    so an OSC 52 in a server name cannot write the clipboard, nor a CR or LF forge a line."""
    from mcpward.output.text import printable

    typer.echo(printable(line), err=err)


def fail(message: str, code: int = ExitCode.USAGE) -> typer.Exit:
    say(f"mcpward: {message}", err=True)
    return typer.Exit(code)


_DATABASE_HELP = "Registry database URL (default: MCPWARD_DATABASE_URL, else SQLite in the user data folder)."


_ACTOR_HELP = "Who is acting, for the audit trail (default: this OS account)."


DatabaseOption = Annotated[str | None, typer.Option(help=_DATABASE_HELP, metavar="URL")]


ActorOption = Annotated[str | None, typer.Option("--as", help=_ACTOR_HELP, metavar="WHO")]


def open_registry(database: str | None) -> Registry:
    from mcpward.registry import Registry, RegistryError

    try:
        return Registry.open(database)
    except RegistryError as exc:
        raise fail(str(exc)) from None


def actor_name(name: str | None) -> str:
    import getpass

    return _not_a_secret(name) or getpass.getuser()


def _not_a_secret(name: str | None) -> str | None:
    """``--as`` as given, refused when it holds what DLP masks: the name is stored as typed in
    the registry's audit trail (never masked there: a requester's name must compare equal to
    itself), and a token pasted into ``--as`` would have been kept for good."""
    from mcpward.dlp import redact_text

    if name and redact_text(name) != name:
        raise fail("--as: that looks like a secret (a name is stored as typed in the audit trail); not used")
    return name


def reviewer_name(actor: str | None) -> str:
    import getpass

    named = _not_a_secret(actor)
    if named:
        return named[:100]
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def run_loop(main: Coroutine[Any, Any, int]) -> int:
    """uvloop where it is installed (it halves the relay's own latency), else asyncio's loop."""
    import gc

    # What start-up made (modules, compiled patterns, the config) lives as long as the process:
    # moved out of the collector's sight, a full collection no longer walks it mid-call.
    gc.freeze()
    try:
        import uvloop
    except ImportError:
        import asyncio

        return asyncio.run(main)
    return uvloop.run(main)


def emit(text: str, output: Path | None) -> None:
    """A finished document to standard output, or to ``output``."""
    if output is None:
        from mcpward.output.text import for_terminal

        # A document printed on a terminal (an audit report, a questionnaire) names what the
        # fleet and the registry hold: none of its controls reach the terminal raw.
        typer.echo(for_terminal(text) if sys.stdout.isatty() else text)
        return
    write_file(output, text if text.endswith("\n") else text + "\n")


def write_file(output: Path, text: str | bytes) -> None:
    """``text`` (or bytes) as the file ``output`` (``-o FILE``), whole or not at all: a disk that filled up
    halfway left a cut report (or redacted copy, or exported policy) in place of the previous
    one, which a CI job then read as complete. Written beside it and moved into place, keeping
    the previous file's permissions (a new one gets the umask's); a link at ``output`` is
    replaced, not written through. A device or pipe (``/dev/stdout``, a shell's process
    substitution) is written to as it is, as nothing can be moved over it."""
    import errno
    import os
    import stat

    from mcpward._paths import replace_whole

    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        if not output.parent.is_dir():  # a mistyped folder is an error, not made
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(output))
        try:
            found = os.stat(output).st_mode
        except (FileNotFoundError, NotADirectoryError):
            found = None
        if found is not None and not (stat.S_ISREG(found) or stat.S_ISDIR(found)):
            with output.open("wb") as stream:
                if isinstance(text, str) and stream.isatty():
                    from mcpward.output.text import for_terminal

                    # -o /dev/stdout or /dev/tty is the terminal standard output would be: a
                    # config's server name with an OSC 52 wrote the clipboard through -f csv.
                    data = for_terminal(text).encode("utf-8")
                stream.write(data)
            return
        if found is not None and not output.is_symlink():
            mode = stat.S_IMODE(found)
        else:
            umask = os.umask(0o022)
            os.umask(umask)
            mode = 0o666 & ~umask
        replace_whole(output, data, mode)
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror or exc}") from None


def check_format(name: str, allowed: tuple[str, ...]) -> None:
    if name not in allowed:
        raise fail(f"unknown --format {name!r}; choose from {', '.join(allowed)}")


def severity_threshold(fail_on: str | None) -> Severity | None:
    from mcpward.model import Severity

    try:
        return Severity.parse(fail_on) if fail_on else None
    except ValueError as exc:
        raise fail(f"--fail-on: {exc}") from None


def exit_on(report: Report, threshold: Severity | None) -> None:
    """Exit 1 when a finding is at least as severe as ``--fail-on``; else 3 when ``--fail-on``
    was given and an input could not be read: a gate that passed what it could not read would
    tell a CI job that nothing was found."""
    if threshold is None:
        return
    worst = report.worst_severity()
    if worst is not None and worst.at_least(threshold):
        raise typer.Exit(ExitCode.FINDINGS)
    if report.errors:
        raise typer.Exit(ExitCode.NOT_DONE)


def write_output(report: object, output_format: str, output: Path | None) -> None:
    from mcpward.model import Report
    from mcpward.output import write_report

    assert isinstance(report, Report)
    if output is None:
        write_report(report, output_format, sys.stdout, terminal=sys.stdout.isatty())
        return
    import io

    rendered = io.StringIO(newline="")
    write_report(report, output_format, rendered)
    write_file(output, rendered.getvalue())


class WalkProgress:
    """A transient progress line on standard error while project trees are walked."""

    def __init__(self, enabled: bool) -> None:
        self._progress: Progress | None = None
        if enabled:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
        self._task: TaskID | None = None

    def __enter__(self) -> WalkProgress:
        if self._progress is not None:
            self._progress.__enter__()
            self._task = self._progress.add_task("walking", total=None)
        return self

    def callback(self) -> Callable[[str, int, int], None] | None:
        return self._update if self._progress is not None else None

    def _update(self, root: str, directories: int, files: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(
                self._task, description=f"walking {root}: {directories} directories, {files} files"
            )

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)


def held_store(config: Path | None, audit_log: Path | None) -> tuple[Any, Path]:
    """The folder of held results and the audit log, as the gateway with this config has them."""
    from mcpward.gateway import ConfigError, default_audit_log, load_config, quarantine

    try:
        settings = load_config(config)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    log_path = audit_log or settings.audit.path or default_audit_log()
    return quarantine(settings, log_path), log_path


def set_aside(names: list[str] | None) -> dict[str, str]:
    """The variables ``names`` taken out of this process's environment (so that neither this
    process nor a library in it reads them), with their values, for the server's alone."""
    return {name: os.environ.pop(name) for name in dict.fromkeys(names or ()) if name in os.environ}
