"""A Typer application as a click command whose subcommands are built when first looked up.

Typer turns every command of an application into a click command before it parses the first
argument: for mcpward's commands that is about 45 ms (each function's signature and type hints
read, each parameter converted), on every invocation, for commands that will not run. Here each
group is built by Typer itself but without its subcommands, which are filled in on demand by
Typer's own functions, so that a command, its options, its help and its exit codes are exactly
those of the eagerly built application (``--help`` of a group still builds that whole group).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import NamedTuple

import click
import typer
from typer.core import MarkupMode
from typer.main import (
    get_command_from_info,
    get_command_name,
    get_group_from_info,
    solve_typer_info_defaults,
)
from typer.models import TyperInfo


class _PlainHelpFormatter(click.HelpFormatter):
    """Typer escapes the brackets of ``[default: ...]`` and ``[required]`` for rich markup even
    when markup is off (``rich_markup_mode=None``), so plain help printed ``\\[required]``."""

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(term, text.replace("\\[", "[")) for term, text in rows], col_max, col_spacing)


class _PlainHelpContext(click.Context):
    formatter_class = _PlainHelpFormatter


def _plain_help(command: click.Command) -> click.Command:
    command.context_class = _PlainHelpContext
    return command


class _LazyCommands(MutableMapping[str, click.Command]):
    """A group's ``commands``: names known at once, each command built when first asked for."""

    def __init__(self, makers: dict[str, Callable[[], click.Command]]) -> None:
        self._makers = makers
        self._built: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        command = self._built.get(name)
        if command is None:
            command = self._built[name] = self._makers[name]()
        return command

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._makers.setdefault(name, lambda: command)
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._makers[name]
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._makers)

    def __len__(self) -> int:
        return len(self._makers)

    def __contains__(self, name: object) -> bool:
        return name in self._makers


def lazy_command(app: typer.Typer) -> click.Command:
    """What ``typer.main.get_command(app)`` returns, with subcommands built on demand; the eager
    command where the application has a shape this does not cover (completion options, a group
    added without a name, a single command)."""
    groups_named = all(solve_typer_info_defaults(g).name for g in _all_groups(app))
    if app._add_completion or not groups_named or not (app.registered_groups or app.registered_callback):
        return eager_command(app)
    settings = _Settings(app.pretty_exceptions_short, app.rich_markup_mode, app.suggest_commands)
    return _group(TyperInfo(app), settings)


def eager_command(app: typer.Typer) -> click.Command:
    """``typer.main.get_command(app)``, every command built now, with the same plain help."""

    def plain(command: click.Command) -> click.Command:
        if isinstance(command, click.Group):
            for sub in command.commands.values():
                plain(sub)
        return _plain_help(command)

    return plain(typer.main.get_command(app))


def _all_groups(app: typer.Typer) -> Iterator[TyperInfo]:
    for info in app.registered_groups:
        yield info
        if info.typer_instance is not None:
            yield from _all_groups(info.typer_instance)


class _Settings(NamedTuple):
    """What Typer passes from the application down to every group and command."""

    pretty_exceptions_short: bool
    rich_markup_mode: MarkupMode
    suggest_commands: bool


def _group(info: TyperInfo, settings: _Settings) -> click.Command:
    instance = info.typer_instance
    assert instance is not None
    # Typer builds the group itself (its callback, options and help) from a copy without
    # subcommands; the subcommands are then added by name, in Typer's order.
    bare = copy.copy(instance)
    bare.registered_commands = []
    bare.registered_groups = []
    bare_info = copy.copy(info)
    bare_info.typer_instance = bare
    group = get_group_from_info(
        bare_info,
        pretty_exceptions_short=settings.pretty_exceptions_short,
        rich_markup_mode=settings.rich_markup_mode,
        suggest_commands=settings.suggest_commands,
    )
    makers: dict[str, Callable[[], click.Command]] = {}
    for command_info in instance.registered_commands:
        assert command_info.callback is not None
        name = command_info.name or get_command_name(command_info.callback.__name__)
        makers[name] = lambda command_info=command_info: _plain_help(  # type: ignore[misc]
            get_command_from_info(
                command_info,
                pretty_exceptions_short=settings.pretty_exceptions_short,
                rich_markup_mode=settings.rich_markup_mode,
            )
        )
    for sub_info in instance.registered_groups:
        group_name = solve_typer_info_defaults(sub_info).name
        assert group_name
        makers[group_name] = lambda sub_info=sub_info: _group(sub_info, settings)  # type: ignore[misc]
    group.commands = _LazyCommands(makers)
    return _plain_help(group)
