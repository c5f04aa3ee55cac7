"""The abstractions of ``inspect``: what a model reads of a server, and the detectors.

A server's surface (tools, prompts, resources, templates, instructions) is flattened into
:class:`Field` texts with their paths; a :class:`Surface` item also keeps the whole text the
model reads of it, joined, so a phrase split between a description and a parameter's
description is still one phrase. Each detector (one module in ``_detectors/``) reads items and
returns :class:`Hit` objects that name the field path, the matched text and why.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from mcpward.model import Category, Severity


@dataclass(frozen=True, slots=True)
class Field:
    path: str  # description, inputSchema.properties.to.description
    text: str


@dataclass(slots=True)
class SurfaceItem:
    """One tool, prompt, resource or template (or the server's instructions)."""

    server: str
    kind: str
    name: str
    fields: list[Field]
    raw: dict[str, Any]
    #: All field texts joined by newlines, and where each field starts in it.
    joined: str = ""
    starts: list[int] = field(default_factory=list)
    #: :attr:`joined` in lower case, made once: every pattern detector looks for its anchors in it.
    lowered: str = ""

    def __post_init__(self) -> None:
        pieces, offset = [], 0
        for item in self.fields:
            self.starts.append(offset)
            pieces.append(item.text)
            offset += len(item.text) + 1
        self.joined = "\n".join(pieces)
        self.lowered = self.joined.lower()

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
