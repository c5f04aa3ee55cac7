"""Rendering reports: ``table`` (default), ``json``, ``csv``, ``sarif``, ``cyclonedx``."""

from __future__ import annotations

import io
from functools import cache
from typing import TextIO

from mcpward._plugins import implementations
from mcpward.model import Report
from mcpward.output.interface import OutputFormat
from mcpward.output.text import encodable, for_terminal


@cache
def formats() -> dict[str, OutputFormat]:
    return {f.name: f for f in implementations(__name__, __path__, OutputFormat)}


def format_names(command: str | None = None) -> tuple[str, ...]:
    """The formats, or those that render ``command``'s report."""
    return tuple(sorted(name for name, f in formats().items() if command is None or command in f.renders))


def write_report(report: Report, format_name: str, out: TextIO, *, terminal: bool = False) -> None:
    try:
        formatter = formats()[format_name]
    except KeyError:
        raise ValueError(f"unknown format {format_name!r}; choose from {', '.join(format_names())}") from None
    # Written whole, each lone surrogate replaced: JSON read from a config or a package
    # (``"\\ud800"`` in a server's name) gives text no UTF-8 writer can encode, and every format
    # failed on it, the whole report lost to one name.
    text = io.StringIO()
    formatter.write(report, text, terminal=terminal)
    written = encodable(text.getvalue())
    # The table shows each value through printable; any other format printed on a terminal
    # (JSON, CSV, SARIF) carried a name's controls to it raw.
    out.write(for_terminal(written) if terminal and format_name != "table" else written)


__all__ = ["OutputFormat", "format_names", "write_report"]
