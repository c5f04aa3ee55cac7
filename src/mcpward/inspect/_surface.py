"""Turning what a server lists into surface items, within bounds.

Every text a model reads is collected with its path: names, titles, descriptions, and in
schemas every nested description, title, default, enum value and example. Schemas are walked
with a depth and a size budget, and a recursive (``$ref``) or oversized schema ends in a
bounded walk, never in a crash.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from mcpward.inspect.interface import Field, SurfaceItem

MAX_DEPTH = 32
MAX_FIELDS = 2_000
MAX_FIELD_CHARS = 100_000
MAX_ITEMS = 50_000
_SCHEMA_TEXT_KEYS = ("description", "title", "default", "enum", "examples", "example", "const", "pattern")


class SurfaceError(Exception):
    """A tools file or answer that is not a tools list at all."""


def tools_from_document(document: Any) -> list[dict[str, Any]]:
    """The tool objects of a ``tools/list`` result: ``{"tools": [...]}`` or a bare list."""
    if isinstance(document, dict) and "result" in document and isinstance(document["result"], dict):
        document = document["result"]  # a whole JSON-RPC response
    tools = document.get("tools") if isinstance(document, dict) else document
    if not isinstance(tools, list):
        raise SurfaceError("expected an object with a 'tools' list, or a list of tools")
    return [t for t in tools[:MAX_ITEMS] if isinstance(t, dict)]


def tool_item(server: str, tool: dict[str, Any]) -> SurfaceItem:
    return _item(
        server, "tool", tool, ("name", "title", "description"), ("inputSchema", "outputSchema", "annotations")
    )


def prompt_item(server: str, prompt: dict[str, Any]) -> SurfaceItem:
    item = _item(server, "prompt", prompt, ("name", "title", "description"), ())
    for index, argument in enumerate(prompt.get("arguments") or []):
        if isinstance(argument, dict):
            for key in ("name", "title", "description"):
                _add(item.fields, f"arguments[{index}].{key}", argument.get(key))
    return SurfaceItem(item.server, item.kind, item.name, item.fields, item.raw)


def resource_item(server: str, resource: dict[str, Any], kind: str = "resource") -> SurfaceItem:
    return _item(
        server, kind, resource, ("name", "title", "description", "uri", "uriTemplate", "mimeType"), ()
    )


def instructions_item(server: str, instructions: str) -> SurfaceItem:
    fields: list[Field] = []
    _add(fields, "instructions", instructions)
    return SurfaceItem(
        server, "instructions", "(server instructions)", fields, {"instructions": instructions}
    )


def _item(
    server: str, kind: str, data: dict[str, Any], text_keys: tuple[str, ...], schema_keys: tuple[str, ...]
) -> SurfaceItem:
    fields: list[Field] = []
    for key in text_keys:
        _add(fields, key, data.get(key))
    for key in schema_keys:
        if key in data:
            for path, text in _schema_texts(data[key], key, 0, set()):
                if len(fields) >= MAX_FIELDS:
                    break
                _add(fields, path, text)
    name = data.get("name") if isinstance(data.get("name"), str) else "(unnamed)"
    return SurfaceItem(server, kind, str(name)[:200], fields, data)


def _add(fields: list[Field], path: str, value: Any) -> None:
    if value is None or len(fields) >= MAX_FIELDS:
        return
    text = (
        value
        if isinstance(value, str)
        else json.dumps(value, ensure_ascii=False, default=str)[:MAX_FIELD_CHARS]
    )
    if text:
        fields.append(Field(path, text[:MAX_FIELD_CHARS]))


def _schema_texts(node: Any, path: str, depth: int, seen: set[int]) -> Iterator[tuple[str, Any]]:
    if depth > MAX_DEPTH or id(node) in seen:
        return
    if isinstance(node, dict):
        seen.add(id(node))
        for key, value in node.items():
            child = f"{path}.{key}"
            if key in _SCHEMA_TEXT_KEYS and not isinstance(value, dict):
                yield child, value
            elif isinstance(value, dict | list):
                if key == "properties" and isinstance(value, dict):
                    for name in value:  # parameter names are read by the model too
                        yield f"{child}.{name}(name)", str(name)
                yield from _schema_texts(value, child, depth + 1, seen)
            elif key in ("annotations",) or path.endswith("annotations"):
                yield child, value
    elif isinstance(node, list):
        seen.add(id(node))
        for index, value in enumerate(node[:MAX_FIELDS]):
            yield from _schema_texts(value, f"{path}[{index}]", depth + 1, seen)
