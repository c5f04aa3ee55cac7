"""Output formats. Each module here defines one :class:`OutputFormat`; every command renders its
:class:`~mcpward.model.Report` through them, so a new format serves every command at once."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, TextIO

from mcpward.model import Report

#: The commands whose :class:`~mcpward.model.Report` a format can render.
EVERY_COMMAND = frozenset({"scan", "vet", "inspect", "dlp"})


class OutputFormat(ABC):
    #: The value of ``--format`` that selects it.
    name: ClassVar[str]
    #: The commands (``Report.command``) it renders; the command line offers it only for those.
    renders: ClassVar[frozenset[str]] = EVERY_COMMAND

    @abstractmethod
    def write(self, report: Report, out: TextIO, *, terminal: bool = False) -> None:
        """Write ``report`` to ``out``; ``terminal`` is true when ``out`` is an interactive screen."""
