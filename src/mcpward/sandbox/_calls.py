"""Which tool calls are in flight on a sandboxed server, seen from the stdio stream that carries
them, so that an outbound request can be linked to the call that caused it, and a call whose
outbound request was blocked fails with a clear error instead of the server's answer."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from mcpward.gateway.interface import BLOCKED, encode, error, request_key


@dataclass(frozen=True, slots=True)
class InFlightCall:
    id: Any
    tool: str
    arguments: Any
    started: float = field(default_factory=time.monotonic)

    def reference(self) -> dict[str, Any]:
        return {"id": self.id, "tool": self.tool}


class CallTracker:
    def __init__(self) -> None:
        self._calls: dict[str, InFlightCall] = {}
        self._failed: dict[str, str] = {}
        self._lock = threading.Lock()

    def in_flight(self) -> list[InFlightCall]:
        with self._lock:
            return list(self._calls.values())

    def fail(self, calls: list[InFlightCall], reason: str) -> None:
        """The server's answer to each of ``calls`` is replaced by an error saying ``reason``."""
        with self._lock:
            for call in calls:
                self._failed.setdefault(request_key(call.id), reason)

    def from_client(self, line: bytes) -> None:
        if b"tools/call" not in line and b"notifications/cancelled" not in line:
            return  # most lines are not calls: no parsing
        message = _parse(line)
        if message is None:
            return
        raw = message.get("params")
        params: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if message.get("method") == "tools/call" and "id" in message:
            name = params.get("name")
            tool = name if isinstance(name, str) else "?"
            call = InFlightCall(message["id"], tool, params.get("arguments"))
            with self._lock:
                self._calls[request_key(call.id)] = call
        elif message.get("method") == "notifications/cancelled":
            with self._lock:
                self._calls.pop(request_key(params.get("requestId")), None)

    def from_server(self, line: bytes) -> bytes:
        """``line`` as the client should see it."""
        if not self._calls:
            return line
        message = _parse(line)
        if message is None or "method" in message or "id" not in message:
            return line  # not a response (a request or notification from the server)
        key = request_key(message["id"])
        with self._lock:
            self._calls.pop(key, None)
            reason = self._failed.pop(key, None)
        if reason is None:
            return line
        return encode(error(message["id"], BLOCKED, f"mcpward sandbox: {reason}"))


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        message = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return message if isinstance(message, dict) else None


def pump_lines(source: IO[bytes], target: IO[bytes], look: Callable[[bytes], bytes | None]) -> None:
    """Copy ``source`` to ``target`` line by line, each line through ``look`` (which may return
    a replacement); closes ``target`` at the end so the other side sees end-of-file."""
    try:
        for line in iter(source.readline, b""):
            replaced = look(line)
            target.write(line if replaced is None else replaced)
            target.flush()
    except (BrokenPipeError, ValueError, OSError):
        pass
    finally:
        with contextlib.suppress(OSError):
            target.close()
