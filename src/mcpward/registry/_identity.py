"""What a reviewer types to name a server (``npm:NAME@VERSION``, ``pypi:NAME==VERSION``,
``oci:IMAGE@DIGEST``, a URL) as an :class:`Identity`, and the entry name it gets by default."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import ValidationError

from mcpward.registry.interface import Identity, InvalidInput

_FORMS = "npm:NAME@VERSION, pypi:NAME==VERSION, oci:IMAGE@DIGEST or a URL"


def parse_identity(text: str, digest: str | None = None) -> Identity:
    """The identity ``text`` names (``digest`` completes an ``oci:IMAGE`` without one).
    Raises :class:`InvalidInput` with a message for the user."""
    from mcpward.vet import VetError, parse_target

    text = text.strip()
    try:
        if text.startswith(("http://", "https://")):
            return Identity(kind="remote", url=text)
        if text.startswith("oci:"):
            image, _, found = text[4:].partition("@")
            return Identity(kind="oci", name=image, digest=found or digest)
        try:
            parsed = parse_target(text)
        except VetError as exc:
            raise InvalidInput(str(exc)) from None
        if parsed.path is not None:
            raise InvalidInput(f"{text}: give {_FORMS}")
        return Identity(
            kind="package", ecosystem=parsed.ecosystem.value, name=parsed.name, version=parsed.version
        )
    except ValidationError as exc:
        raise InvalidInput(f"{text}: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") from None


def default_entry_name(identity: Identity) -> str:
    """A reverse-DNS style name (``npm.scope/name``, ``com.example/mcp``) for an entry whose
    requester gave none."""
    if identity.kind == "remote":
        parts = urlsplit(str(identity.url))
        base = ".".join(reversed((parts.hostname or "remote").split(".")))
        return f"{base}/{re.sub(r'[^a-zA-Z0-9._-]+', '-', parts.path.strip('/')) or 'mcp'}"
    name = str(identity.name)
    namespace = {"npm": "npm", "pypi": "pypi"}.get(str(identity.ecosystem), "oci")
    if name.startswith("@"):
        scope, _, name = name[1:].partition("/")
        namespace = f"{namespace}.{scope}"
    clean = re.sub(r"[^a-zA-Z0-9._-]+", "-", name.rsplit("/", 1)[-1])
    return f"{re.sub(r'[^a-zA-Z0-9.-]+', '-', namespace)}/{clean}"
