"""The abstractions of ``inspect``: what a model reads of a server, and the detectors.

A server's surface (tools, prompts, resources, templates, instructions) is flattened into
:class:`Field` texts with their paths; a :class:`Surface` item also keeps the whole text the
model reads of it, joined, so a phrase split between a description and a parameter's
description is still one phrase. Each detector (one module in ``_detectors/``) reads items and
returns :class:`Hit` objects that name the field path, the matched text and why.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from mcpward.model import Category, Severity


@dataclass(frozen=True, slots=True)
class Field:
    path: str  # description, inputSchema.properties.to.description
    text: str


class SurfaceItem:
    """One tool, prompt, resource or template (or the server's instructions).

    Its fields are collected at first use: a large surface is checked in forked workers, so
    each worker collects the fields of its own share and the parent only those it reports on.
    """

    __slots__ = (
        "_collect",
        "_fields",
        "_joined",
        "_lowered",
        "_starts",
        "_unread",
        "kind",
        "name",
        "raw",
        "server",
    )

    def __init__(
        self,
        server: str,
        kind: str,
        name: str,
        raw: dict[str, Any],
        collect: Callable[[], tuple[list[Field], tuple[str, ...]]],
    ) -> None:
        """``collect``: the fields, and what of the item was left unread for the bounds."""
        self.server, self.kind, self.name, self.raw = server, kind, name, raw
        self._collect = collect
        self._fields: list[Field] | None = None
        self._joined = self._lowered = ""
        self._starts: list[int] = []
        self._unread: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"SurfaceItem({self.server!r}, {self.kind!r}, {self.name!r})"

    def under(self, server: str) -> SurfaceItem:
        """The same item as one of ``server`` (its fields collected anew)."""
        return SurfaceItem(server, self.kind, self.name, self.raw, self._collect)

    @property
    def fields(self) -> list[Field]:
        """Every text a model reads of the item, with its path."""
        return self._fields if self._fields is not None else self._collected()

    @property
    def joined(self) -> str:
        """All field texts joined by newlines."""
        if self._fields is None:
            self._collected()
        return self._joined

    @property
    def lowered(self) -> str:
        """:attr:`joined` in lower case, made once: every pattern detector looks for its anchors
        in it."""
        if self._fields is None:
            self._collected()
        return self._lowered

    @property
    def unread(self) -> tuple[str, ...]:
        """What of the item was not read for the bounds on its size ("1,204 characters past the
        first 1,000,000"); empty when all of it was."""
        if self._fields is None:
            self._collected()
        return self._unread

    @property
    def starts(self) -> list[int]:
        """Where each field starts in :attr:`joined`."""
        if self._fields is None:
            self._collected()
        return self._starts

    def _collected(self) -> list[Field]:
        fields, self._unread = self._collect()
        offset = 0
        for item in fields:
            self._starts.append(offset)
            offset += len(item.text) + 1
        self._joined = "\n".join(item.text for item in fields)
        self._lowered = self._joined.lower()
        self._fields = fields
        return fields

    def field_at(self, offset: int) -> Field:
        """The field holding position ``offset`` of :attr:`joined`."""
        index = 0
        for position, start in enumerate(self.starts):
            if start <= offset:
                index = position
            else:
                break
        return self.fields[index] if self.fields else Field("", "")

    def fields_between(self, start: int, end: int) -> str:
        paths = []
        for position, begin in enumerate(self.starts):
            finish = begin + len(self.fields[position].text)
            if begin <= end and finish >= start and self.fields[position].path not in paths:
                paths.append(self.fields[position].path)
        return " + ".join(paths)


@dataclass(frozen=True, slots=True)
class Hit:
    rule: str
    category: Category
    severity: Severity
    path: str
    matched: str
    why: str


class Detector(ABC):
    category: ClassVar[Category]
    #: True for detectors that use learned weights rather than rules.
    learned: ClassVar[bool] = False

    @abstractmethod
    def detect(self, item: SurfaceItem, context: InspectionContext) -> Iterable[Hit]:
        """What is wrong with one item."""


@dataclass(slots=True)
class InspectionContext:
    """What a detector may know beyond one item: every tool name of every server inspected."""

    tool_names: dict[str, set[str]] = field(default_factory=dict)  # server -> names
    #: What detectors derive from the above once per inspection (an index of names).
    derived: dict[str, Any] = field(default_factory=dict)
    #: The learned scorer's weights when not the shipped ones (a benchmark's own training).
    scorer: Any = None
