"""``mcpward gateway run``: the stdio front end. The client launched us; we launch the server
(never through a shell) and relay newline-delimited JSON-RPC both ways through the relay.

The server dies with us: it gets end-of-file and then a signal when the client goes away, and
on Linux the kernel kills it if the gateway itself is killed (``PR_SET_PDEATHSIG``), so no
server is left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import stat
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mcpward.errors import ExitCode
from mcpward.gateway._relay import TICK_SECONDS, Out, Relay, _leading_id
from mcpward.gateway.interface import (
    BLOCKED,
    TOO_LARGE,
    Interceptor,
    Refusal,
    Session,
    encode,
    error,
    request_key,
)

_CHUNK = 1 << 16


def _die_with_parent() -> None:
    """Runs in the child before exec: ask the kernel for SIGKILL when the gateway dies."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@dataclass(frozen=True, slots=True)
class Oversized:
    """A message that outgrew the limit, skipped to its end without being held: its first
    bytes, where its id is, so that its request gets a clear error at once."""

    head: bytes


_HEAD = 4096


async def lines(reader: asyncio.StreamReader, max_message: int) -> AsyncIterator[bytes | Oversized]:
    """Newline-delimited messages; :class:`Oversized` for one that outgrew ``max_message``."""

    async def chunks() -> AsyncIterator[bytes]:
        while chunk := await reader.read(_CHUNK):
            yield chunk

    async for line in split_lines(chunks(), max_message):
        yield line


async def split_lines(
    chunks: AsyncIterator[bytes], max_message: int, *, blank: bool = False
) -> AsyncIterator[bytes | Oversized]:
    """The lines of a byte stream (blank ones too if ``blank``: they end an SSE event); a line
    longer than ``max_message`` is skipped to its end without being held, and given as
    :class:`Oversized` (its start) instead."""
    buffer = bytearray()
    discarding = False
    async for chunk in chunks:
        start = 0
        while True:
            newline = chunk.find(b"\n", start)
            if newline < 0:
                if not discarding:
                    buffer += chunk[start:]
                    if len(buffer) > max_message:
                        head = bytes(buffer[:_HEAD])
                        buffer.clear()
                        discarding = True
                        yield Oversized(head)
                break
            if discarding:
                discarding = False
            else:
                buffer += chunk[start:newline]
                if len(buffer) > max_message:
                    yield Oversized(bytes(buffer[:_HEAD]))
                elif blank or buffer.strip():
                    yield bytes(buffer)
                buffer.clear()
            start = newline + 1
    if buffer.strip() and not discarding:
        yield bytes(buffer)


def _is_stream(fd: int) -> bool:
    """A pipe, a socket or a terminal: what the loop's pipe transports take. uvloop (libuv)
    aborts the whole process (SIGABRT, exit 134, nothing said) on anything else, a regular
    file or ``/dev/null``, where asyncio's loop raises ValueError; so both are asked first."""
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or os.isatty(fd)


async def _stdin_reader() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=_CHUNK)
    if _is_stream(sys.stdin.fileno()):
        with contextlib.suppress(ValueError):
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
            return reader

    # Standard input is a regular file (``< calls.jsonl``) or ``/dev/null``: read it in a thread.
    async def feed() -> None:
        while chunk := await asyncio.to_thread(os.read, sys.stdin.fileno(), _CHUNK):
            reader.feed_data(chunk)
        reader.feed_eof()

    reader.feeder = asyncio.create_task(feed())  # type: ignore[attr-defined]
    return reader


class _FlowControl(asyncio.Protocol):
    """Tells when the pipe to the client is full (the client reads slowly) and when it has
    room again."""

    def __init__(self) -> None:
        self.room = asyncio.Event()
        self.room.set()

    def pause_writing(self) -> None:
        self.room.clear()

    def resume_writing(self) -> None:
        self.room.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.room.set()  # nobody reads any more: writes are dropped, nothing waits


class _ClientWriter:
    """Our standard output, written without blocking the loop; :meth:`drain` waits while the
    client's side is full, so that what the server sends is not piled up in memory."""

    def __init__(self) -> None:
        self._transport: asyncio.WriteTransport | None = None
        self._flow: _FlowControl | None = None

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        if not _is_stream(sys.stdout.fileno()):
            return  # a regular file (``> answers.jsonl``): plain writes never block for long
        try:
            self._transport, self._flow = await loop.connect_write_pipe(_FlowControl, sys.stdout.buffer)
        except ValueError:
            self._transport = None

    def write(self, data: bytes) -> None:
        if self._transport is None:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        elif not self._transport.is_closing():
            self._transport.write(data)

    async def drain(self) -> None:
        if self._flow is not None and not self._flow.room.is_set():
            await self._flow.room.wait()


async def run_stdio(
    session: Session,
    interceptors: Sequence[Interceptor],
    command: str,
    args: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    max_message: int,
    call_timeout: float,
    log: Callable[[str], None],
    confine: Callable[[Session, list[str]], list[str]] | None = None,
) -> int:
    """``confine`` may wrap the command once the launch checks have run (and the registry
    entry, if any, is known): the sandbox."""
    client = await _stdin_reader()
    writer = _ClientWriter()
    await writer.open()
    try:
        for interceptor in interceptors:
            interceptor.launch(session)
    except Refusal as exc:
        log(f"mcpward gateway: {session.server} not started: {exc}")
        await _refuse_all(client, writer, str(exc), max_message)
        return ExitCode.NOT_DONE
    argv = [command, *args]
    if confine is not None:
        argv = confine(session, argv)
    try:
        server = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
            preexec_fn=_die_with_parent,  # only asks the kernel for a signal; no lock is taken
            limit=_CHUNK,
        )
    except OSError as exc:
        message = f"cannot start {command}: {exc.strerror or exc}"
        log(f"mcpward gateway: {message}")
        await _refuse_all(client, writer, message, max_message)
        return ExitCode.NOT_DONE
    relay = Relay(session, interceptors, max_message=max_message)
    timers: dict[str, asyncio.TimerHandle] = {}
    loop = asyncio.get_running_loop()
    assert server.stdin is not None and server.stdout is not None

    #: Set while no request is in flight (after each delivery, whatever answered or expired it).
    answered = asyncio.Event()

    def deliver(outs: list[Out]) -> None:
        for out in outs:
            if out.to == "client":
                writer.write(out.data)
            elif not server.stdin.is_closing():  # type: ignore[union-attr]
                server.stdin.write(out.data)  # type: ignore[union-attr]
        if relay.pending:
            answered.clear()
        else:
            answered.set()

    def arm(request_id: Any) -> None:
        # Kept by the relay's key of the id, which the answer's removal from ``pending`` names:
        # a timer left armed expired the next request that used the id again.
        key = request_key(request_id)

        def expire() -> None:
            timers.pop(key, None)
            deliver(relay.expire(request_id))

        timers[key] = loop.call_later(call_timeout, expire)

    async def pump_client() -> None:
        async for raw in lines(client, max_message):
            if isinstance(raw, Oversized):
                too_large = error(
                    _leading_id(raw.head), TOO_LARGE, f"message larger than {max_message} bytes"
                )
                writer.write(encode(too_large))
                await writer.drain()
                continue
            before = set(relay.pending)
            deliver(relay.client_message(raw))
            for key in set(relay.pending) - before:
                arm(relay.pending[key].id)
            await server.stdin.drain()  # type: ignore[union-attr]
            await writer.drain()  # the refusals we answer a client that does not read are bounded too

    async def pump_server() -> None:
        async for raw in lines(server.stdout, max_message):  # type: ignore[arg-type]
            pending = set(relay.pending)
            # Too large: the request it answers (found by the id at its start) gets an error now.
            deliver(
                relay.server_too_large(raw.head) if isinstance(raw, Oversized) else relay.server_message(raw)
            )
            for key in pending - set(relay.pending):
                handle = timers.pop(key, None)
                if handle:
                    handle.cancel()
            # Backpressure: while the client's side is full, the server is not read (its own
            # pipe fills and it waits), instead of the gateway holding what it sent.
            await writer.drain()

    async def tick() -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            deliver(relay.tick())

    client_task = asyncio.create_task(pump_client())
    server_task = asyncio.create_task(pump_server())
    ticking = asyncio.create_task(tick())
    done, _ = await asyncio.wait({client_task, server_task}, return_when=asyncio.FIRST_COMPLETED)
    if client_task in done and relay.pending:
        # The client stopped sending but may still read: let the server answer what is in
        # flight (a little while) before it is stopped. Until everything is answered, not until
        # the server ends: it ends on its input's end, which waits for this (every client that
        # sent its calls and closed waited the whole while).
        all_answered = asyncio.create_task(answered.wait())
        await asyncio.wait(
            {server_task, all_answered}, timeout=min(call_timeout, 5.0), return_when=asyncio.FIRST_COMPLETED
        )
        all_answered.cancel()
    stopped = not server_task.done()
    if stopped:
        deliver(relay.server_gone("stopped: the client went away"))
        await _stop(server)
        server_task.cancel()
    else:
        code = await server.wait()
        deliver(relay.server_gone(f"exit status {code}"))
        client_task.cancel()
    ticking.cancel()
    for handle in timers.values():
        handle.cancel()
    relay.close()
    await asyncio.sleep(0)  # let the last writes reach the client
    return 0 if stopped else _exit_status(server.returncode)


def _exit_status(returncode: int | None) -> int:
    """The gateway's exit status for its server's end, as a shell reports it: a server ended by
    a signal is 128 + its number (asyncio gives -N, and ``exit(-15)`` was status 241)."""
    if returncode is None:
        return 0
    return 128 - returncode if returncode < 0 else returncode


async def _stop(server: asyncio.subprocess.Process) -> None:
    """The client went away: end the server's input, then signal it, then kill it."""
    if server.stdin is not None:
        server.stdin.close()
    for action in (None, server.terminate, server.kill):
        if action is not None:
            with contextlib.suppress(ProcessLookupError):
                action()
        try:
            await asyncio.wait_for(server.wait(), timeout=2)
            return
        except TimeoutError:
            continue


async def _refuse_all(
    client: asyncio.StreamReader, writer: _ClientWriter, why: str, max_message: int
) -> None:
    """The server was not started: answer every request with why, until the client leaves."""
    import orjson

    async for raw in lines(client, max_message):
        try:
            message = (
                orjson.loads(raw)
                if not isinstance(raw, Oversized)
                else {"id": _leading_id(raw.head), "method": ""}
            )
        except orjson.JSONDecodeError:
            continue
        if isinstance(message, dict) and "id" in message and "method" in message:
            writer.write(encode(error(message["id"], BLOCKED, f"mcpward gateway: {why}")))
        await asyncio.sleep(0)


def environment() -> dict[str, str]:
    return dict(os.environ)
