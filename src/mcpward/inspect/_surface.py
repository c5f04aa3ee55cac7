"""Turning what a server lists into surface items, within bounds.

Every text a model reads is collected with its path: names, titles, descriptions, and in
schemas every nested description, title, default, enum value and example. Schemas are walked
with a depth and a size budget, and a recursive (``$ref``) or oversized schema ends in a
bounded walk, never in a crash.
"""

from __future__ import annotations

import itertools
import json
from functools import partial
from typing import Any

from mcpward.errors import McpwardError
from mcpward.inspect.interface import Field, SurfaceItem

MAX_DEPTH = 32
MAX_FIELDS = 2_000
#: The characters read of one item, over all its fields (a description may take them all).
MAX_ITEM_CHARS = 1_000_000
MAX_ITEMS = 50_000
#: The characters of a key a field's path names it by: a path held each key whole, and one long
#: key over a list made each of the item's fields a path as long (2,000 copies of a key of 1 MB).
_PATH_KEY = 100
_SCHEMA_TEXT_KEYS = ("description", "title", "default", "enum", "examples", "example", "const", "pattern")


class SurfaceError(McpwardError):
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
    return _item(server, "prompt", prompt, ("name", "title", "description"), (), arguments=True)


def resource_item(server: str, resource: dict[str, Any], kind: str = "resource") -> SurfaceItem:
    return _item(
        server, kind, resource, ("name", "title", "description", "uri", "uriTemplate", "mimeType"), ()
    )


#: The name under which a server's instructions are reported.
INSTRUCTIONS_NAME = "(server instructions)"


#: What of ``serverInfo`` is signed and read with the instructions, and its key in the item:
#: every field the protocol gives it (2026-07-28 ``Implementation``) that a client shows the
#: model or the user: its description ("context about its purpose" a client may give the
#: model), its title and website (shown to the user, where a changed one passes for another
#: server) and its icons (URLs the client fetches). Not its ``name`` and ``version``: the
#: version changes with every release, and neither tells the model anything.
SERVER_INFO_KEYS = (
    ("description", "serverDescription"),
    ("title", "serverTitle"),
    ("websiteUrl", "serverWebsiteUrl"),
    ("icons", "serverIcons"),
)


def instructions_item(
    server: str, instructions: str | None, server_info: dict[str, Any] | None = None
) -> SurfaceItem:
    """The server's instructions and what it says of itself in ``serverInfo`` (see
    ``SERVER_INFO_KEYS``), one item: what a client may put in the model's context for the whole
    session, and show the user of the server."""
    raw: dict[str, Any] = {} if instructions is None else {"instructions": instructions}
    for field, key in SERVER_INFO_KEYS:
        if server_info is not None and server_info.get(field) is not None:
            raw[key] = server_info[field]
    keys = ("instructions", "serverDescription", "serverTitle", "serverWebsiteUrl")
    return SurfaceItem(server, "instructions", INSTRUCTIONS_NAME, raw, partial(_fields, raw, keys, ()))


def signed_server_info(signed: dict[str, Any]) -> dict[str, Any]:
    """The ``serverInfo`` fields an instructions item (its signed canonical form) was made from."""
    return {field: signed[key] for field, key in SERVER_INFO_KEYS if key in signed}


def _item(
    server: str,
    kind: str,
    data: dict[str, Any],
    text_keys: tuple[str, ...],
    schema_keys: tuple[str, ...],
    *,
    arguments: bool = False,
) -> SurfaceItem:
    name = data.get("name") if isinstance(data.get("name"), str) else "(unnamed)"
    collect = partial(_fields, data, text_keys, schema_keys, arguments)
    return SurfaceItem(server, kind, str(name)[:200], data, collect)


def _fields(
    data: dict[str, Any], text_keys: tuple[str, ...], schema_keys: tuple[str, ...], arguments: bool = False
) -> tuple[list[Field], tuple[str, ...]]:
    """The texts of an item (``arguments``: and of a prompt's arguments), collected when a
    detector first reads them, and what was left unread for the bounds."""
    collector = _Collector()
    for key in text_keys:
        collector.add(key, data.get(key))
    for key in schema_keys:
        if key in data:
            _schema_fields(collector, data[key], key, 0, set())
    if "_meta" in data:
        _meta_fields(collector, data["_meta"], "_meta", 0)
    if arguments and isinstance(data.get("arguments"), list):
        for index, argument in enumerate(data["arguments"]):
            if isinstance(argument, dict):
                for key in ("name", "title", "description"):
                    collector.add(f"arguments[{index}].{key}", argument.get(key))
    return collector.fields, collector.unread()


class _Collector:
    """An item's fields within its budgets (fields, characters, schema depth), and a count of
    what did not fit: text past a bound is reported as unread, never silently dropped."""

    __slots__ = ("_room", "_too_deep", "_unread_chars", "_unread_fields", "fields")

    def __init__(self) -> None:
        self.fields: list[Field] = []
        self._room = MAX_ITEM_CHARS
        self._unread_chars = self._unread_fields = 0
        self._too_deep = False

    @property
    def full(self) -> bool:
        return len(self.fields) >= MAX_FIELDS

    def add(self, path: str, value: Any) -> None:
        if value is None:
            return
        text = value if isinstance(value, str) else _as_text(value)
        if not text:
            return
        if self.full or self._room <= 0:
            self._unread_fields += 1
            self._unread_chars += len(text)
            return
        if len(text) > self._room:
            self._unread_chars += len(text) - self._room
            text = text[: self._room]
        self._room -= len(text)
        self.fields.append(Field(path, text))

    def too_deep(self) -> None:
        self._too_deep = True

    def unread(self) -> tuple[str, ...]:
        reasons = []
        if self._unread_chars:
            reasons.append(f"{self._unread_chars:,} characters past the first {MAX_ITEM_CHARS:,}")
        if self._unread_fields:
            reasons.append(f"{self._unread_fields:,} fields past the bounds")
        if self._too_deep:
            reasons.append(f"schema parts nested deeper than {MAX_DEPTH} levels")
        return tuple(reasons)


def _as_text(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (RecursionError, ValueError):
        return "(a value nested too deeply to read)"


def _step(key: Any) -> str:
    """A key as a field's path names it: its first ``_PATH_KEY`` characters (the text itself,
    a parameter's name, is read whole)."""
    text = str(key)
    return text if len(text) <= _PATH_KEY else text[:_PATH_KEY] + "..."


def _meta_fields(collector: _Collector, node: Any, path: str, depth: int) -> None:
    """Adds every string under an item's ``_meta``, within the depth and field budgets: clients
    show the model some of it (OpenAI's Apps SDK a widget's description), and a pin now signs
    it, so a reviewer must have read it."""
    if collector.full:
        return
    if isinstance(node, str):
        collector.add(path, node)
        return
    if not isinstance(node, dict | list):
        return
    if depth > MAX_DEPTH:
        collector.too_deep()
        return
    if isinstance(node, list):
        for index, value in enumerate(node[:MAX_FIELDS]):
            _meta_fields(collector, value, f"{path}[{index}]", depth + 1)
        return
    for key, value in itertools.islice(node.items(), MAX_FIELDS):
        _meta_fields(collector, value, f"{path}.{_step(key)}", depth + 1)


def _schema_fields(collector: _Collector, node: Any, path: str, depth: int, seen: set[int]) -> None:
    """Adds the texts of a schema, walked within the depth and field budgets; a node met
    again (a recursive schema) is not walked twice."""
    if collector.full or id(node) in seen or not isinstance(node, dict | list):
        return
    if depth > MAX_DEPTH:
        collector.too_deep()
        return
    seen.add(id(node))
    if isinstance(node, list):
        for index, value in enumerate(node[:MAX_FIELDS]):
            _schema_fields(collector, value, f"{path}[{index}]", depth + 1, seen)
        return
    for key, value in node.items():
        if key in _SCHEMA_TEXT_KEYS and not isinstance(value, dict):
            collector.add(f"{path}.{key}", value)
        elif isinstance(value, dict | list):
            child = f"{path}.{_step(key)}"
            if key == "properties" and isinstance(value, dict):
                for name in value:  # parameter names are read by the model too
                    collector.add(f"{child}.{_step(name)}(name)", str(name))
            _schema_fields(collector, value, child, depth + 1, seen)
        elif key == "annotations" or path.endswith("annotations"):
            collector.add(f"{path}.{key}", value)
