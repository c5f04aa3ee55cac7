"""What a request must satisfy before it is stored, whoever sent it: pins whose hashes are the
hashes of the text stored with them, and no secret value anywhere the registry publishes.

Both checks name the item at fault and never the value: an answer may be logged or shown.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from mcpward._regex import compiled
from mcpward.dlp import assess_value, redact_argv, redact_text, redact_url
from mcpward.registry.interface import EntryRequest, InvalidInput

#: Pins a request may carry; more is not a server's tool list.
MAX_PINS = 2000
_SHORTEST_SECRET = 4
_VARIABLE = compiled(r"\{[A-Za-z_][A-Za-z0-9_.-]{0,100}\}")


def check_pins(pins: Mapping[str, Any]) -> None:
    """Every pin's sha256 is that of its canonical text, the text is in ``mcpward inspect``'s
    canonical form, and it describes the item its key names: what the reviewer reads is then
    exactly what the gateway enforces."""
    if len(pins) > MAX_PINS:
        raise InvalidInput(f"pins: at most {MAX_PINS} items")
    for key, pin in pins.items():
        problem = _pin_problem(str(key), pin)
        if problem:
            raise InvalidInput(f"pin {str(key)[:200]!r}: {problem} (nothing was stored)")


def _pin_problem(key: str, pin: Any) -> str | None:
    kind, separator, name = key.partition(":")
    if not separator or not name:
        return "the key is not kind:name"
    if not isinstance(pin, Mapping) or set(pin) != {"sha256", "canonical"}:
        return "a pin is exactly {sha256, canonical}"
    text, digest = pin["canonical"], pin["sha256"]
    if not isinstance(text, str) or not isinstance(digest, str):
        return "sha256 and canonical are strings"
    try:
        item = json.loads(text)
    except RecursionError:  # not a ValueError: it went uncaught, a 500 for any requester
        return "the canonical text is nested too deeply"
    except ValueError:
        return "the canonical text is not JSON"
    if not isinstance(item, dict):
        return "the canonical text is not a JSON object"
    from mcpward.inspect import signature  # the whole of inspect, for requests with pins only

    try:
        # What ``mcpward inspect`` would pin for the item this text describes.
        expected, expected_text = signature("", kind, item)
    except KeyError:
        return f"unknown kind {kind[:40]!r} (tool, prompt, resource, resource-template, instructions)"
    except RecursionError:
        return "the canonical text is nested too deeply"
    if expected_text != text:
        return (
            "the canonical text is not in mcpward inspect's canonical form (or has fields it does not sign)"
        )
    if expected.name != name:
        return "the canonical text describes another item than the key names"
    if expected.sha256 != digest:
        return "its sha256 is not the sha256 of its canonical text"
    return None


def inspect_pins(server: str, pins: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    """What ``mcpward inspect`` finds in the pinned items (checked by :func:`check_pins`): the
    findings stored with a request made over the API, rather than the requester's own."""
    from mcpward.inspect import (
        ServerSurface,
        inspect_servers,
        instructions_item,
        prompt_item,
        resource_item,
        signed_server_info,
        tool_item,
    )
    from mcpward.model import to_jsonable

    items = []
    for key, pin in pins.items():
        kind = str(key).partition(":")[0]
        item = json.loads(pin["canonical"])
        if kind == "tool":
            items.append(tool_item(server, item))
        elif kind == "prompt":
            items.append(prompt_item(server, item))
        elif kind in ("resource", "resource-template"):
            items.append(resource_item(server, item, kind))
        elif kind == "instructions":
            text = item.get("instructions") if isinstance(item.get("instructions"), str) else None
            surface = instructions_item(server, text, signed_server_info(item))
            if surface.raw:
                items.append(surface)
    if not items:
        return ()
    findings = inspect_servers([ServerSurface(server, "registry request", items)])
    plain = [to_jsonable(finding) for finding in findings]
    return tuple(
        {key: value for key, value in data.items() if value not in (None, [], ())}
        for data in plain
        if isinstance(data, dict)
    )


# -- secrets -----------------------------------------------------------------------------------


def check_secrets(request: EntryRequest, *, from_requester: bool = False) -> None:
    """Refuse a request that carries a secret value where the registry stores and publishes it
    (the identity also reaches the audit trail, which can never be purged).

    ``from_requester``: its ``vet`` is a requester's claim, shown to reviewers, so read too
    (mcpward's own vet findings name secrets without their values)."""
    identity = request.identity
    places: list[tuple[str, str | None, str]] = [
        ("title", None, request.title or ""),
        ("description", None, request.description or ""),
        ("owner", None, request.owner),
        ("repository", None, request.repository or ""),
        ("identity.name", None, identity.name or ""),
        ("identity.version", None, identity.version or ""),
        ("identity.integrity", None, identity.integrity or ""),
        ("identity.url", None, identity.url or ""),
    ]
    scope = request.scope
    for field in ("reads", "writes", "credentials", "network"):
        places += [(f"scope.{field}", None, item) for item in getattr(scope, field)]
    places += list(_leaves(without_secret_values(request.server_json or {}), "server_json"))
    for key, pin in request.pins.items():
        # The pinned text is served to every viewer and gateway; check_pins made it JSON.
        places.append((f"pins key {str(key)[:100]!r}", None, str(key)))
        text = pin.get("canonical")
        if isinstance(text, str):
            try:
                item = json.loads(text)
            except ValueError:
                item = text
            places += list(_leaves(item, f"pins[{str(key)[:100]!r}]"))
    if from_requester and request.vet is not None:
        places += list(_leaves(request.vet.model_dump(mode="json"), "vet"))
    found = []
    for where, name, value in places:
        kinds = _secret_kinds(name, value)
        if kinds:
            found.append(f"{where}{f' ({name})' if name else ''}: {', '.join(sorted(kinds))}")
    if found:
        more = f" and {len(found) - 10} more" if len(found) > 10 else ""
        raise InvalidInput(
            f"values that look like secrets: {'; '.join(found[:10])}{more}. A registry entry is "
            "published, so a secret is never stored: mark the input isSecret and leave its value "
            "out (nothing was stored)"
        )


def without_secret_values(document: dict[str, Any]) -> dict[str, Any]:
    """A copy with the values and defaults of inputs marked ``isSecret`` dropped."""

    def clean(node: Any) -> Any:
        if isinstance(node, dict):
            secret = node.get("isSecret") is True
            return {
                key: clean(value)
                for key, value in node.items()
                if not (secret and key in ("value", "default"))
            }
        if isinstance(node, list):
            return [clean(item) for item in node]
        return node

    cleaned: dict[str, Any] = clean(document)
    return cleaned


def masked(document: dict[str, Any]) -> dict[str, Any]:
    """A copy fit to publish: secret-marked values dropped and any value that looks like a
    secret masked (for what was stored before these checks, or written around them)."""

    def mask(node: Any, name: str | None) -> Any:
        if isinstance(node, dict):
            own = node.get("name") if isinstance(node.get("name"), str) else None
            secret = node.get("isSecret") is True
            return {
                _mask_value(key) if _secret_kinds(None, key) else key: mask(
                    value, own if key in ("value", "default") else key
                )
                for key, value in node.items()
                if not (secret and key in ("value", "default"))
            }
        if isinstance(node, list):
            return [mask(item, name) for item in node]
        if isinstance(node, str) and _secret_kinds(name, node):
            return _mask_value(node)
        return node

    result: dict[str, Any] = mask(without_secret_values(document), None)
    return result


def _mask_value(value: str) -> str:
    """The value with its secret masked, keeping what is not secret (a flag's name, a URL's
    host); wholly masked when no finer mask applies."""
    for candidate in (redact_url(value) if "://" in value else value, redact_argv([value])[0][0]):
        if candidate != value:
            return candidate
    text = redact_text(value)
    return text if text != value else "****"


def _leaves(node: Any, where: str) -> Iterator[tuple[str, str | None, str]]:
    """Every string in a JSON document: its path, the name it is the value of, and the string.
    An input (``{"name": "API_KEY", "value": ...}``) names its value and default."""
    if isinstance(node, dict):
        own = node.get("name") if isinstance(node.get("name"), str) else None
        for key, value in node.items():
            # A key is published as much as a value (server.json's ``_meta`` is free-form); the
            # path named in an answer must not repeat it when it is a secret.
            yield f"{where} key", None, str(key)
            shown = "****" if _secret_kinds(None, str(key)) else str(key)
            name = own if key in ("value", "default") else str(key)
            if isinstance(value, str):
                yield f"{where}.{shown}", name, value
            else:
                yield from _leaves(value, f"{where}.{shown}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, str):
                yield f"{where}[{index}]", None, item
            else:
                yield from _leaves(item, f"{where}[{index}]")
    elif isinstance(node, str):
        yield where, None, node


def _secret_kinds(name: str | None, value: str) -> set[str]:
    # Shorter than any value the DLP calls a secret (it flags a 4-character password).
    if len(value) < _SHORTEST_SECRET:
        return set()
    key = name.lstrip("-") if name else None
    # server.json fills "{api_key}" from an input's variables: a reference, not a value.
    value = _VARIABLE.sub("${VARIABLE}", value)
    hits = assess_value("", key, value)
    if not hits and " " not in value.strip() and ("=" in value or ":" in value):
        # A launch argument: --api-key=X, TOKEN=X.
        hits = redact_argv([value])[1]
    return {hit.kind for hit in hits}
