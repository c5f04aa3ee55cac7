"""Asking live servers what they expose, with the official MCP Python SDK as the client.

Remote servers (streamable HTTP, SSE) are asked directly, with headers whose values come from
environment variables; stdio servers are started only when the user asks (``--run``), because
starting one runs its code: in the sandbox, when their target names its backend (``--run``
does). Each server has a deadline; a server that hangs, crashes or answers garbage becomes an
error for that server, and the others are still inspected.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import re
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, aclosing, asynccontextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from mcpward._http import AddressRefused, BodyTooLarge, FirstSide, abounded, pin_connections
from mcpward._regex import compiled
from mcpward.dlp import redact_text, redact_url
from mcpward.inspect._keeper import MAX_LINE_BYTES, TOO_LONG
from mcpward.inspect._surface import (
    MAX_ITEMS,
    instructions_item,
    prompt_item,
    resource_item,
    tool_item,
)
from mcpward.inspect.interface import SurfaceItem
from mcpward.model import ScanError
from mcpward.output.words import counted

if TYPE_CHECKING:
    from mcpward.gateway import AuditLog
    from mcpward.sandbox.interface import Profile

MAX_PAGES = 100
#: The most requests and notifications of its own a server may send while it is looked at: the
#: SDK handles each in a task of its own (a request's answer waits on the server to read it),
#: and a listing needs none of them.
MAX_SERVER_MESSAGES = 1_000
#: The most bytes of items (as JSON) read of one server over all its lists (twice the largest
#: message the gateway passes by default): each answer is bounded, but up to MAX_PAGES answers of
#: items kept whole grew memory for as long as the deadline allowed, and the detectors then took
#: about two seconds a MiB of text written to match them.
MAX_LISTED_BYTES = 16 * 1024 * 1024

# The SDK logs what it cannot read with a traceback; each problem becomes its server's error
# here. A handler on its logger keeps Python from printing those records to the terminal when
# the application has set up no logging; where it has, they still reach its handlers.
logging.getLogger("mcp").addHandler(logging.NullHandler())


@dataclass(frozen=True, slots=True)
class ServerTarget:
    name: str
    transport: str  # stdio, http, sse
    url: str | None = None
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    command: str | None = None
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict, repr=False)
    #: The URL is not the user's own but a plugin's or an extension's (``--scan``): its first
    #: connection is judged too, as a redirect from the network (no loopback, private or
    #: link-local address), as every later one is.
    third_party: bool = False
    #: The sandbox backend a stdio server is started in (``mcpward sandbox run``: no network,
    #: an empty home of its own, none of the user's files); None: as the user, unconfined.
    sandbox: str | None = None
    #: What the sandbox grants it beyond that (``--sandbox-profile``, checked by
    #: ``load_run_profile``): the hosts, mounts and variables the profile names, no more.
    profile: Profile | None = field(default=None, repr=False)

    @property
    def origin(self) -> str:
        if self.url:
            return redact_url(self.url)
        return redact_text(" ".join([self.command or "", *self.args]).strip())


_REFERENCE = compiled(
    r"\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)\}|\{env:([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)"
)


def expand(value: str, environ: dict[str, str] | None = None) -> str | None:
    """A config value with ``${VAR}``, ``${env:VAR}``, ``{env:VAR}`` and ``$VAR`` filled in from
    the environment; None when a variable is missing or the value asks the client for input."""
    environ = dict(os.environ) if environ is None else environ
    if "${input:" in value:
        return None
    missing = False

    def fill(match: re.Match[str]) -> str:
        nonlocal missing
        name = next(g for g in match.groups() if g)
        if name not in environ:
            missing = True
            return ""
        return environ[name]

    result = _REFERENCE.sub(fill, value)
    return None if missing else result


@dataclass(frozen=True, slots=True)
class RefusedItem:
    """An item a server listed that the official SDK cannot read: it refuses the whole list
    for one such item, so a client built on it sees none of the server's tools."""

    server: str
    origin: str
    kind: str  # tool, prompt, resource, resource-template
    name: str
    reason: str


def fetch_all(
    targets: list[ServerTarget], timeout: float, refused: list[RefusedItem] | None = None
) -> tuple[list[tuple[ServerTarget, list[SurfaceItem]]], list[ScanError]]:
    """``refused``: where the items no client built on the SDK can read are added (each is
    also inspected as sent, and its server's look is an error, so that it is not pinned)."""
    import anyio

    results: list[tuple[ServerTarget, list[SurfaceItem]]] = []
    errors: list[ScanError] = []

    async def one(target: ServerTarget) -> None:
        stray = _StrayLines()
        # What the server listed before a later part failed is still inspected, beside its
        # error: a server whose tools came poisoned and whose prompts/list answer could not be
        # read (or never came) was one error line, its poisoned tools' findings lost.
        items: list[SurfaceItem] = []
        # A server that fails in the sandbox most often needed what it is refused there.
        confined = target.sandbox is not None
        try:
            with anyio.fail_after(timeout):
                await _fetch(target, stray, items)
            results.append((target, items))
            return
        except TimeoutError:
            message = f"no complete answer within {timeout:g} s"
            if stray.count:
                message += f" (it also sent {stray.count} line(s) that are not MCP messages)"
        except Exception as exc:  # noqa: BLE001 - any server failure is that server's error
            # A refusal says why (an answer read ahead for the SDK fails with it).
            message = stray.refused or _describe(exc)
            confined = confined and not isinstance(exc, _NotStarted)
            if stray.http_status is not None:
                # The SDK says only "Server returned an error response": a missing token (401)
                # read as a broken server.
                message = f"the server answered HTTP {stray.http_status} ({message})"
        finally:
            if refused is not None:
                refused.extend(
                    RefusedItem(target.name, target.origin, kind, name, reason)
                    for kind, name, reason in stray.refused_items
                )
        if confined and stray.sandbox_refused:
            message += f"; the sandbox refused {stray.sandbox_refused}"
        if confined and target.profile is not None:
            message += (
                "; it ran in the sandbox with only what --sandbox-profile grants (what the sandbox "
                "refused it is in the audit log)"
            )
        elif confined:
            message += (
                "; it ran in the sandbox (no network, none of your files; --run-unsandboxed starts it as you)"
            )
        if items:
            results.append((target, items))
            message += f"; the {len(items)} item(s) read before are inspected, not pinned"
        errors.append(ScanError(path=target.origin, message=message, host=target.name))

    async def main() -> None:
        async with anyio.create_task_group() as group:
            for target in targets:
                group.start_soon(one, target)

    anyio.run(main)
    # In the targets' order, not the answers': servers that share a name are told apart by
    # their place (``name#1``, ``name#2``), which must not depend on which answered first.
    order = {id(target): place for place, target in enumerate(targets)}
    results.sort(key=lambda pair: order[id(pair[0])])
    return results, errors


def _describe(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, FileNotFoundError) and exc.filename:
        # A stdio server whose program is not installed (`uvx` missing), as the gateway says it.
        return redact_text(f"cannot start {exc.filename}: {exc.strerror}"[:300])
    text = str(exc).splitlines()[0] if str(exc) else ""
    return redact_text(f"{type(exc).__name__}: {text}"[:300])


class UnreadableAnswer(Exception):
    """The server answered with a message the MCP client could not read."""


class _StrayLines:
    """Lines the client could not read: a stray log line is counted and passed over (servers
    that print to standard output still work in clients); an answer that cannot be read ends
    the wait at once, since no answer will follow it."""

    def __init__(self) -> None:
        self.count = 0
        self.lost_answer: str | None = None
        #: Why a listed item was left out (the others are still read).
        self.unreadable_item: str | None = None
        #: The bytes of items read so far (see MAX_LISTED_BYTES).
        self.listed_bytes = 0
        #: The list request waited for (its method), while one is.
        self.listing: str | None = None
        #: Items taken out of a list's answer before the SDK reads it (it refuses the whole
        #: answer for one of them), to be inspected as sent; and each as (kind, name, why).
        self.set_aside: list[dict[str, Any]] = []
        self.refused_items: list[tuple[str, str, str]] = []
        self.refused_count = 0
        self.refused: str | None = None
        self.scope: Any = None
        #: The first HTTP error status a remote server answered a message with (401: no or a
        #: wrong token); not its answer to the optional GET stream (405 is allowed there).
        self.http_status: int | None = None
        #: What the sandbox refused a stdio server it ran, in a few words (its audit records).
        self.sandbox_refused = ""

    async def on_response(self, response: Any) -> None:
        if response.status_code >= 400 and response.request.method == "POST" and self.http_status is None:
            self.http_status = response.status_code

    def refuse(self, reason: str) -> None:
        """End the wait for an answer that is not read (too large, compressed)."""
        self.refused = self.refused or reason
        if self.scope is not None:
            self.scope.cancel()

    async def on_message(self, message: Any) -> None:
        if not isinstance(message, Exception):
            return
        if _answer_text(message) == TOO_LONG:  # the keeper's, in place of the line (_keeper.py)
            self.refuse(f"the server wrote a line over {MAX_LINE_BYTES >> 20} MiB on its output (not read)")
            return
        self.count += 1
        reason = _lost_answer(message)
        if reason is not None and self.scope is not None:
            self.lost_answer = reason
            self.scope.cancel()


def _lost_answer(exc: Exception) -> str | None:
    """Why a JSON-RPC message (not a stray line) could not be read, or None."""
    errors = getattr(exc, "errors", None)
    try:
        first = errors()[0] if callable(errors) else None
    except Exception:  # noqa: BLE001 - an error we cannot read is treated as a stray line
        return None
    if not isinstance(first, dict):
        return None
    line = first.get("input")
    # An answer that is valid JSON but no message (a result that is not an object) comes
    # parsed; it was taken for a stray line, and its request waited for until the deadline.
    # One the client's parser refused comes as text: with its "jsonrpc" last (after a result
    # nested past the parser's depth) it was taken for a stray line too.
    if not _is_answer(line) and (
        not isinstance(line, str) or ('"jsonrpc"' not in line[:200] and not _is_answer(_parsed(line)))
    ):
        return None
    return str(first.get("msg") or "unreadable")[:200]


def _is_answer(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and {"jsonrpc", "id"} <= value.keys()
        and not value.keys().isdisjoint(("result", "error"))
    )


def _parsed(text: str | bytes) -> Any:
    """``text`` as the gateway's parser (orjson, 1,024 levels) reads it, or None."""
    import orjson

    if text.lstrip()[:1] not in ("{", b"{"):
        return None  # a log line: not parsed
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return None


async def _fetch(target: ServerTarget, stray: _StrayLines, items: list[SurfaceItem]) -> None:
    """Adds what the server lists to ``items`` as it comes (kept when a later part fails)."""
    import anyio

    with anyio.CancelScope() as scope:
        stray.scope = scope
        await _fetch_items(target, stray, items)
    if stray.refused is not None:
        raise UnreadableAnswer(stray.refused)
    if stray.lost_answer is not None:
        raise UnreadableAnswer(f"the server sent an answer the MCP client cannot read: {stray.lost_answer}")
    problems = [stray.unreadable_item] if stray.unreadable_item is not None else []
    if stray.refused_items:
        kind, name, reason = stray.refused_items[0]
        problems.insert(
            0,
            f"the server listed {counted(stray.refused_count, 'item')} the MCP client cannot read "
            f"(the first: {kind} {name!r}, {reason}); "
            + (
                "each is a finding"
                if stray.refused_count <= MAX_REFUSED_NAMED
                else f"the first {MAX_REFUSED_NAMED} are findings"
            ),
        )
    if problems:
        raise UnreadableAnswer("; ".join(problems))


async def _fetch_items(target: ServerTarget, stray: _StrayLines, items: list[SurfaceItem]) -> None:
    from mcp import ClientSession

    async with AsyncExitStack() as stack:
        streams = await stack.enter_async_context(_transport(target, stray))
        read = _AnswersKept(streams[0], stray)
        write = _RequestsNoted(streams[1], read)
        session = await stack.enter_async_context(
            ClientSession(read, write, message_handler=stray.on_message)
        )
        init = await session.initialize()
        # The version the SDK checks every answer against (its own fallback when none was agreed).
        read.version = session.protocol_version or "2025-11-25"
        # serverInfo as the server sent it: the SDK's model drops what it does not define (a key
        # of an icon), and the gateway signs what reaches the client.
        info = read.first_result.get("serverInfo")
        info = _as_the_gateway_reads(info) if isinstance(info, dict) else {}
        instructions_or_info = instructions_item(target.name, init.instructions or None, info)
        if instructions_or_info.raw:
            items.append(instructions_or_info)
        capabilities = init.capabilities
        import mcp_types

        if capabilities.tools is not None:
            for tool in await _all(session, mcp_types.ListToolsRequest, "tools", stray):
                items.append(tool_item(target.name, tool))
        if capabilities.prompts is not None:
            for prompt in await _all(session, mcp_types.ListPromptsRequest, "prompts", stray):
                items.append(prompt_item(target.name, prompt))
        if capabilities.resources is not None:
            for resource in await _all(session, mcp_types.ListResourcesRequest, "resources", stray):
                items.append(resource_item(target.name, resource))
            templates = mcp_types.ListResourceTemplatesRequest
            for template in await _all(session, templates, "resourceTemplates", stray):
                items.append(resource_item(target.name, template, kind="resource-template"))


@cache
def _devnull() -> TextIO:
    # The servers' own stderr chatter is not the user's concern; one sink for all of them.
    return open(os.devnull, "w")


def _transport(target: ServerTarget, stray: _StrayLines) -> Any:
    if target.transport == "stdio":
        from mcp import StdioServerParameters
        from mcp.client.stdio import get_default_environment, stdio_client

        if not target.command:
            raise ValueError("stdio server without a command")
        command, args = target.command, list(target.args)
        keeper = Path(__file__).with_name("_keeper.py")
        kept = sys.platform.startswith("linux") and bool(sys.executable) and keeper.is_file()
        if kept or target.sandbox is not None:
            path = (get_default_environment() | target.env).get("PATH")
            if shutil.which(command, path=path) is None:
                # Named as the SDK's start of it would (the keeper or the sandbox starts, the
                # server not).
                raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), command)
        if target.sandbox is not None:
            loaded = sorted(name for name in target.env if _READ_BY_THE_C_LIBRARY.fullmatch(name))
            if loaded:
                stray.refuse(
                    f"not started: its config sets {redact_text(', '.join(loaded)[:200])}, which the C "
                    "library of the programs that start the sandbox (outside it) would act on (a library "
                    "loaded, a file written); --run-unsandboxed starts it as you, unconfined"
                )
                raise _NotStarted(stray.refused)
            return _sandboxed(target, keeper if kept else None, stray)
        if kept:
            # Under a keeper (see _keeper.py): what the server leaves running ends with it.
            command, args = sys.executable, ["-I", "-S", str(keeper), command, *args]
        params = StdioServerParameters(command=command, args=args, env=target.env or None)
        return stdio_client(params, errlog=_devnull())
    if not target.url:
        raise ValueError("remote server without a URL")
    if target.transport == "sse":
        from mcp.client.sse import sse_client

        def bounded_client(
            headers: dict[str, str] | None = None, timeout: Any = None, auth: Any = None
        ) -> Any:
            return _bounded_client(headers or {}, timeout, stray, target.third_party, auth)

        return sse_client(target.url, headers=target.headers or None, httpx_client_factory=bounded_client)
    from mcp.client.streamable_http import streamable_http_client

    client = _bounded_client(target.headers, None, stray, target.third_party)
    return _with_client(client, streamable_http_client(target.url, http_client=client))


#: Variables by which the C library runs code of their value's (a library to preload, where to
#: find libraries, an auditing library, character set modules) or writes where it says (the
#: loader's debug output), and its tunables (whose parsing was itself a hole, CVE-2023-4911): in
#: a server's environment, the sandbox's own programs that start before its confinement
#: (bubblewrap, the Landlock launcher, the sandbox's first process) read them too.
_READ_BY_THE_C_LIBRARY = compiled(r"LD_\w*|GCONV_PATH|GLIBC_TUNABLES")


class _NotStarted(Exception):
    """A stdio server that is not started, and why."""


@asynccontextmanager
async def _sandboxed(target: ServerTarget, keeper: Path | None, stray: _StrayLines) -> AsyncIterator[Any]:
    """A stdio server started in the sandbox (``target.sandbox``'s backend), as the gateway
    starts one: by ``mcpward sandbox run`` with a profile that gives it no network, no files but
    what runs it and an empty home of its own, made for this look and removed after it; of the
    environment, the variables its entry sets (and PATH, LANG, TERM). Under the keeper, which
    ends what is left of the run (the sandbox's runner and anything that escaped it) once the
    look is over. The runner's audit records go to a log of the run's own, then on to the
    user's audit log, so that what the sandbox refused this server is told with its error."""
    from mcp import StdioServerParameters
    from mcp.client.stdio import stdio_client

    from mcpward.gateway import AuditLog, default_audit_log
    from mcpward.sandbox.interface import Profile

    assert target.command is not None and target.sandbox is not None
    try:
        # Opened first, as `sandbox run` opens it: no look whose records would go nowhere.
        log = AuditLog(default_audit_log())
    except OSError as exc:
        stray.refuse(f"not started: cannot open the audit log {default_audit_log()}: {exc.strerror or exc}")
        raise _NotStarted(stray.refused) from None
    state = Path(tempfile.mkdtemp(prefix="mcpward-inspect-"))  # the user's alone (0700)
    try:
        # The entry's variables (a token among them) for the server alone, set by the profile,
        # a file only the user reads, removed after the look. Given to the runner instead, they
        # were the environment of every process that starts the server, outside the sandbox.
        profile = state / "profile.json"
        settings = _with_own_variables(target.profile or Profile(), target.env).model_dump_json()
        with open(
            os.open(profile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8"
        ) as file:
            file.write(settings)
        # -E -P: as the gateway's runner, never a project's ``mcpward/`` or PYTHONPATH in its place.
        runner = [sys.executable, "-E", "-P", "-m", "mcpward", "sandbox", "run", "--backend", target.sandbox]
        audit = state / "audit.jsonl"
        runner += ["--profile", str(profile), "--audit-log", str(audit), "--", target.command, *target.args]
        if keeper is not None:
            runner = [sys.executable, "-I", "-S", str(keeper), *runner]
        # The runner is mcpward with this process's environment (its data and cache folders);
        # the server gets of it only what the profile passes.
        params = StdioServerParameters(command=runner[0], args=runner[1:], env=dict(os.environ))
        async with stdio_client(params, errlog=_devnull()) as streams:
            yield streams
    finally:
        stray.sandbox_refused = _passed_on(state / "audit.jsonl", log)
        log.close()
        shutil.rmtree(state, ignore_errors=True)


#: Fields of an audit record that its log's chain sets (written anew in the user's log).
_CHAIN_FIELDS = frozenset({"prev", "seq", "hash", "mac"})


def _passed_on(audit: Path, log: AuditLog) -> str:
    """The run's audit records appended to the user's audit log (where ``sandbox run`` writes
    them); what the sandbox refused, in a few words (``connect host:443, read /path and 2
    more``), or "" when it refused nothing."""
    from mcpward.gateway import records

    if not audit.is_file():
        return ""
    refused: dict[str, None] = {}
    with contextlib.suppress(OSError):
        for record in records(audit):
            with contextlib.suppress(OSError):
                log.append({key: value for key, value in record.items() if key not in _CHAIN_FIELDS})
            if record.get("decision") == "block" and len(refused) < 100:
                refused[_refusal(record)] = None
    said = list(refused)
    more = f" and {len(said) - 3} more" if len(said) > 3 else ""
    return redact_text(", ".join(said[:3]) + more)


def _refusal(record: dict[str, Any]) -> str:
    """A refused attempt in a few words, as ``sandbox run`` says it: ``connect host:443``,
    ``read /root/.npmrc``; what the server tried is its own text, cut short."""
    method = str(record.get("method", ""))
    if method == "FILE":
        said = f"{record.get('operation', 'read')} {record.get('path', '?')}"
    elif method == "DNS":
        said = f"a DNS lookup of {record.get('host', '?')}"
    elif method == "sandbox-refused":  # the runner's own refusal: the profile's DLP policy, a secret
        said = f"the start ({record.get('reason', '?')})"
    elif record.get("host"):
        port = f":{record['port']}" if record.get("port") else ""
        said = f"{'connect' if method == 'CONNECT' else method} {record['host']}{port}"
    else:
        said = f"{method or 'an operation'} ({record.get('reason', 'refused')})"
    return " ".join(said.split())[:160]


def _with_own_variables(profile: Profile, own: dict[str, str]) -> Profile:
    """``profile`` with the server's own variables (its config's ``env``) set for it. What the
    profile sets, or fetches as a secret, by the same name stays the profile's: the config may
    be a plugin's, the profile is the user's."""
    from mcpward.sandbox.interface import EnvRules

    variables = {**own, **profile.env.set}
    for name in profile.env.secrets:
        variables.pop(name, None)
    rules = EnvRules(allow=profile.env.allow, set=variables, secrets=profile.env.secrets)
    return profile.model_copy(update={"env": rules})


def _bounded_client(
    headers: dict[str, str], timeout: Any, stray: _StrayLines, third_party: bool, auth: Any = None
) -> Any:
    import httpx2

    # Every connection after the first made only to an address judged from where the first
    # reached (see _bounded_transport).
    client = httpx2.AsyncClient(
        # Compression is not asked for, and an answer that comes compressed anyway is refused
        # (see _bounded_transport): a few MB of gzip inflated to gigabytes.
        headers={**headers, "Accept-Encoding": "identity"},
        timeout=timeout or httpx2.Timeout(30.0, read=300.0),
        auth=auth,
        event_hooks={"response": [stray.on_response]},
        transport=_bounded_transport(stray, third_party),
    )
    return pin_connections(client)


#: The most bytes read of any one answer of a remote server: the SDK reads a JSON answer whole
#: before looking at it, so one endless answer (a 1 GB line) was held in memory.
MAX_ANSWER_BYTES = 32 * 1024 * 1024


def _bounded_transport(stray: _StrayLines, third_party: bool) -> Any:
    """An HTTP transport whose answers are refused past MAX_ANSWER_BYTES or when compressed;
    the refusal ends the server's wait at once and becomes its error. ``third_party``: see
    ``ServerTarget``."""
    import httpx2

    class Bounded(httpx2.AsyncByteStream):
        def __init__(self, stream: Any) -> None:
            self._stream = stream

        async def __aiter__(self) -> Any:
            try:
                async with aclosing(abounded(self._stream, MAX_ANSWER_BYTES)) as chunks:
                    async for chunk in chunks:
                        yield chunk
            except BodyTooLarge:
                stray.refuse(f"the server sent an answer too large (over {MAX_ANSWER_BYTES >> 20} MiB)")
                raise httpx2.ReadError("answer too large") from None

        async def aclose(self) -> None:
            await self._stream.aclose()

    # Every connection after the first judged from where the first reached (DNS rebinding).
    first = FirstSide()
    if third_party:
        # A plugin's URL (one a marketplace's clone holds, installed or not) sent the look's
        # requests to this machine's own services, or the network's behind it, unjudged.
        first.side = "network"

    class Transport(httpx2.AsyncHTTPTransport):
        async def handle_async_request(self, request: Any) -> Any:
            request.extensions = {**request.extensions, "trace": first.check(request.url).asynchronous}
            try:
                response = await super().handle_async_request(request)
            except AddressRefused as exc:
                if third_party:
                    stray.refuse(f"the URL of a plugin's or an extension's server leads {exc}; refused")
                else:
                    stray.refuse(f"the server's name led a later connection {exc} (DNS rebinding); refused")
                raise httpx2.ConnectError(str(exc)) from None
            encoding = response.headers.get("content-encoding", "").strip().lower()
            if encoding not in ("", "identity"):
                await response.aclose()
                stray.refuse("the server sent a compressed answer, which was not asked for")
                raise httpx2.ReadError("compressed answer")
            bounded = Bounded(response.stream)
            if stray.listing is not None and _answers_listing(request, response, stray.listing):
                # The SDK reads a JSON answer whole and, when its parser refuses it, keeps only
                # its own error: the answer is read here first (as the SDK would, bounded) and
                # one item nested past the parser's depth set aside (see _shallow_enough).
                try:
                    body = b"".join([chunk async for chunk in bounded])
                finally:
                    await bounded.aclose()
                if not _sdk_parses(body):
                    readable = _shallow_enough(body, _LIST_KEYS[stray.listing], stray)
                    body = body if readable is None else readable.encode()
                headers = [(k, v) for k, v in response.headers.raw if k.lower() != b"content-length"]
                return httpx2.Response(
                    status_code=response.status_code,
                    headers=[*headers, (b"content-length", str(len(body)).encode())],
                    content=body,
                    extensions=response.extensions,
                )
            return httpx2.Response(
                status_code=response.status_code,
                headers=response.headers,
                stream=bounded,
                extensions=response.extensions,
            )

    return Transport()


def _answers_listing(request: Any, response: Any, method: str) -> bool:
    """Whether ``response`` is a JSON answer to the list request ``method`` the SDK posted."""
    import orjson

    if request.method != "POST" or response.status_code != 200:
        return False
    if not response.headers.get("content-type", "").lower().startswith("application/json"):
        return False
    try:
        sent = orjson.loads(request.content)
    except Exception:  # noqa: BLE001 - a body not read or not JSON is no list request of ours
        return False
    return isinstance(sent, dict) and sent.get("method") == method


class _with_client:
    """Close the HTTP client after the transport that uses it."""

    def __init__(self, client: Any, transport: Any) -> None:
        self._client = client
        self._transport = transport

    async def __aenter__(self) -> Any:
        return await self._transport.__aenter__()

    async def __aexit__(self, *exc: Any) -> None:
        try:
            await self._transport.__aexit__(*exc)
        finally:
            await self._client.aclose()


class _AnswersKept:
    """The transport's read stream, keeping the ``initialize`` answer's result as it came (a JSON
    object; the SDK reads it into its models after this), and ending the look at a flood of the
    server's own messages (see ``MAX_SERVER_MESSAGES``)."""

    def __init__(self, stream: Any, stray: _StrayLines) -> None:
        self._stream = stream
        self._stray = stray
        self._own = 0
        self.first_result: dict[str, Any] = {}
        self._kept = False
        #: The id of the client's ``initialize`` request (as the SDK correlates ids), once sent:
        #: only its answer is kept. The first result that looked like one was kept before, so a
        #: decoy answer under another id (which the SDK drops) was the server's words inspected.
        self.initialize_id: Any = None
        #: The protocol version the session speaks (the SDK checks answers against it).
        self.version: str | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    async def __aenter__(self) -> _AnswersKept:
        await self._stream.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> Any:
        return await self._stream.__aexit__(*exc)

    def __aiter__(self) -> _AnswersKept:
        return self

    async def __anext__(self) -> Any:
        item = await self._stream.__anext__()
        if getattr(getattr(item, "message", None), "method", None) is not None:
            self._own += 1
            if self._own > MAX_SERVER_MESSAGES:
                self._stray.refuse(
                    f"the server sent over {MAX_SERVER_MESSAGES:,} requests and notifications of its own"
                )
        if not self._kept and self.initialize_id is not None:
            message = getattr(item, "message", None)
            result = getattr(message, "result", None)
            answers = _correlated(getattr(message, "id", None)) == self.initialize_id
            if answers and isinstance(result, dict) and "protocolVersion" in result:
                self.first_result, self._kept = result, True
        if self._stray.listing is not None and self.version is not None:
            return _readable_answer(item, self._stray.listing, self.version, self._stray)
        return item


class _RequestsNoted:
    """The transport's write stream, noting the id of the client's ``initialize`` request for
    the read stream (``_AnswersKept.initialize_id``)."""

    def __init__(self, stream: Any, read: _AnswersKept) -> None:
        self._stream = stream
        self._read = read

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    async def __aenter__(self) -> _RequestsNoted:
        await self._stream.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> Any:
        return await self._stream.__aexit__(*exc)

    async def send(self, item: Any) -> None:
        message = getattr(item, "message", None)
        if getattr(message, "method", None) == "initialize" and self._read.initialize_id is None:
            self._read.initialize_id = _correlated(getattr(message, "id", None))
        await self._stream.send(item)


def _correlated(request_id: Any) -> Any:
    """``request_id`` as the SDK matches an answer to its request (``"7"`` answers 7)."""
    from mcp.shared.dispatcher import coerce_request_id

    return None if request_id is None else coerce_request_id(request_id)


#: Each list request's method, and the key of its items in the answer.
_LIST_KEYS = {
    "tools/list": "tools",
    "prompts/list": "prompts",
    "resources/list": "resources",
    "resources/templates/list": "resourceTemplates",
}
_ITEM_KINDS = {
    "tools": "tool",
    "prompts": "prompt",
    "resources": "resource",
    "resourceTemplates": "resource-template",
}


def _readable_answer(item: Any, method: str, version: str, stray: _StrayLines) -> Any:
    """A list's answer as the SDK will read it whole, with the items it cannot read set aside
    (``stray.set_aside``, each named in ``stray.refused_items``): the SDK refuses the whole
    answer for one schema nested past its parser's depth (about 100 levels) or one item that
    does not fit its models, so a server hid every other tool, poisoned ones too, behind one
    such tool. The items are judged one by one by the SDK's own parser and models; an answer
    it still cannot read is passed on as it came (the server's error, as before)."""
    import mcp_types
    from mcp.shared.message import SessionMessage
    from mcp_types.methods import validate_server_result

    key = _LIST_KEYS[method]
    if isinstance(item, Exception):
        # An answer the transport could not parse (stdio, SSE: the line comes with the error).
        line = _answer_text(item)
        readable = _shallow_enough(line, key, stray) if line is not None else None
        if readable is None:
            return item
        item = SessionMessage(mcp_types.jsonrpc_message_adapter.validate_json(readable, by_name=False))
    message = getattr(item, "message", None)
    if not isinstance(message, mcp_types.JSONRPCResponse) or not isinstance(message.result.get(key), list):
        return item
    try:
        validate_server_result(method, version, message.result)
        return item
    except (KeyError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        if not hasattr(exc, "errors"):
            return item  # a version or method the SDK does not check
    kept = []
    refused = stray.refused_count
    for entry in _judged(message.result[key], stray):
        try:
            validate_server_result(method, version, {key: [entry]})
        except ValueError as exc:
            _set_aside(stray, key, entry, _first_error(exc))
            continue
        kept.append(entry)
    result = {**message.result, key: kept}
    if stray.refused_count == refused:
        # No item is at fault: a field of the answer is (a nextCursor that is a number).
        wrong = _wrong_fields(method, version, key, result)
        if not wrong:
            return item
        result = {name: value for name, value in result.items() if name not in wrong}
        stray.unreadable_item = stray.unreadable_item or (
            f"the server's answer to {method} had {redact_text(', '.join(sorted(wrong)[:5])[:200])} in a "
            "form the MCP client cannot read (left out; its items are inspected)"
        )
    response = mcp_types.JSONRPCResponse(jsonrpc="2.0", id=message.id, result=result)
    return SessionMessage(response, metadata=getattr(item, "metadata", None))


def _shallow_enough(text: str | bytes, key: str, stray: _StrayLines) -> str | None:
    """A list's answer that the SDK's JSON parser refuses, as JSON text it reads, with the items
    nested past its depth set aside; None when that is not what it refuses. Read by the
    gateway's parser (orjson, 1,024 levels): what that cannot read the gateway refuses whole."""
    data = _parsed(text)
    result = data.get("result") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(result, dict) or not isinstance(result.get(key), list):
        return None
    entries = _judged(result[key], stray)
    kept: list[Any] = []
    deep_entries: list[Any] = []
    for entry in entries:
        (kept if _sdk_parses(_message_text({key: [entry]})) else deep_entries).append(entry)
    # The answer's other fields likewise (a _meta nested as deep): left out, the look an error.
    others = [name for name in result if name != key][:MAX_FIELDS_JUDGED]
    deep = {name for name in others if not _sdk_parses(_message_text({name: result[name]}))}
    readable_result = {name: value for name, value in result.items() if name not in deep} | {key: kept}
    # Only what the SDK reads of a message: a member beside them may be what is too deep.
    readable = _message_text(readable_result, data.get("jsonrpc"), data.get("id"))
    if not _sdk_parses(readable):
        return None  # too deep past what was judged: the server's error, as before
    for entry in deep_entries:
        _set_aside(stray, key, entry, "nested too deeply for the MCP client to read")
    if deep:
        stray.unreadable_item = stray.unreadable_item or (
            f"the server's answer had {redact_text(', '.join(sorted(deep)[:5])[:200])} nested too "
            "deeply for the MCP client to read (left out; its items are inspected)"
        )
    return readable


def _message_text(result: dict[str, Any], jsonrpc: Any = "2.0", id: Any = 0) -> str | None:
    """A JSON-RPC answer holding ``result`` as JSON text, or None when it is nested too deeply to
    write. Written by the standard library: orjson writes no more than 254 levels."""
    try:
        return json.dumps({"jsonrpc": jsonrpc, "id": id, "result": result})
    except (ValueError, RecursionError):
        return None


def _sdk_parses(text: str | bytes | None) -> bool:
    """Whether the SDK's JSON parser reads ``text`` as a JSON-RPC message."""
    import mcp_types

    if text is None:
        return False
    try:
        mcp_types.jsonrpc_message_adapter.validate_json(text, by_name=False)
    except ValueError:
        return False
    return True


def _judged(entries: list[Any], stray: _StrayLines) -> list[Any]:
    """The entries of an answer judged one by one: no more than are ever read of a server (each
    judgement costs about what the SDK's check of the whole answer does per item)."""
    if len(entries) > MAX_ITEMS:
        stray.unreadable_item = stray.unreadable_item or (
            f"the server listed over {MAX_ITEMS:,} items in one answer; the rest was not read"
        )
    return entries[:MAX_ITEMS]


#: The items the SDK cannot read that are named one by one (each a finding); the rest counted.
MAX_REFUSED_NAMED = 100


#: The most fields of one answer judged one by one (a server may add any it likes).
MAX_FIELDS_JUDGED = 100


def _wrong_fields(method: str, version: str, key: str, result: dict[str, Any]) -> set[str]:
    """The fields of a list's answer, other than its items, that the SDK refuses (judged one by
    one, the first MAX_FIELDS_JUDGED); with them left out it reads the rest."""
    from mcp_types.methods import validate_server_result

    wrong = set()
    for name in [name for name in result if name != key][:MAX_FIELDS_JUDGED]:
        try:
            validate_server_result(method, version, {key: [], name: result[name]})
        except ValueError:
            wrong.add(name)
    return wrong


def _set_aside(stray: _StrayLines, key: str, entry: Any, reason: str) -> None:
    stray.refused_count += 1
    if isinstance(entry, dict):
        stray.set_aside.append(entry)
    if len(stray.refused_items) >= MAX_REFUSED_NAMED:
        return
    name = entry.get("name") if isinstance(entry, dict) else None
    if isinstance(name, str):
        shown = redact_text(name[:200])
    else:
        shown = "(no name)" if isinstance(entry, dict) else "(not an object)"
    stray.refused_items.append((_ITEM_KINDS[key], shown, reason))


def _first_error(exc: Exception) -> str:
    """Where an item does not fit the SDK's model, and why (its first error)."""
    try:
        first = exc.errors()[0]  # type: ignore[attr-defined]
        where = ".".join(str(part) for part in first["loc"][2:]) or "the item"
        return redact_text(f"{where}: {first['msg']}"[:200])
    except Exception:  # noqa: BLE001 - an error we cannot read is named as such
        return "not what the MCP client reads"


def _answer_text(exc: Exception) -> str | None:
    """The text of an answer the transport could not parse, as its error carries it."""
    errors = getattr(exc, "errors", None)
    try:
        first = errors()[0] if callable(errors) else None
    except Exception:  # noqa: BLE001 - an error we cannot read carries no answer
        return None
    line = first.get("input") if isinstance(first, dict) else None
    return line if isinstance(line, str) else None


async def _all(session: Any, request: Any, key: str, stray: _StrayLines) -> list[dict[str, Any]]:
    """Every page of a list request, within bounds, as the server sent its items. Not through
    the SDK's models: they drop what they do not define (a key of an icon, of ``execution`` or
    of the annotations), and the gateway pins what reaches the client, so a review's pins made
    from the models never matched the gateway's for such an item. An item that cannot be read
    is left out and becomes the server's error (``stray``): one such item hid the others'
    findings."""
    from mcp_types import PaginatedRequestParams

    collected: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(MAX_PAGES):
        if stray.listed_bytes > MAX_LISTED_BYTES:
            stray.unreadable_item = stray.unreadable_item or (
                f"the server listed over {MAX_LISTED_BYTES >> 20} MiB of items; the rest was not read"
            )
            break
        stray.listing = request.model_fields["method"].default
        try:
            page = await session.send_request(
                request(params=PaginatedRequestParams(cursor=cursor) if cursor else None), _page_model()
            )
        finally:
            stray.listing = None
        entries = (page.model_extra or {}).get(key)
        # What the SDK could not read is inspected as sent too (its server is not pinned).
        set_aside, stray.set_aside = stray.set_aside, []
        for entry in [*(entries if isinstance(entries, list) else []), *set_aside]:
            if isinstance(entry, dict):
                try:
                    collected.append(_as_the_gateway_reads(entry, stray))
                except UnreadableAnswer as exc:
                    stray.unreadable_item = stray.unreadable_item or str(exc)
            if len(collected) >= MAX_ITEMS:
                return collected
        cursor = page.nextCursor
        if not cursor:
            break
    return collected


def _as_the_gateway_reads(entry: dict[str, Any], stray: _StrayLines | None = None) -> dict[str, Any]:
    """An item as the gateway's parser (orjson) reads it: the SDK's (jiter) keeps an integer past
    64 bits exact where orjson reads a float, so a review's pin of a schema holding one (a
    ``maximum`` of 10**20) never matched the gateway's, and the approved tool was withheld as
    changed at every listing. What orjson cannot read at all (a number past a double's range)
    the gateway refuses whole: the server's error here too. ``stray``: counts the bytes read."""
    import orjson

    try:
        text = json.dumps(entry)
        if stray is not None:
            stray.listed_bytes += len(text)
        read = orjson.loads(text)
    except ValueError:  # orjson.JSONDecodeError is a ValueError
        raise UnreadableAnswer(
            "the server listed an item the gateway cannot read (a number out of range)"
        ) from None
    except RecursionError:
        raise UnreadableAnswer("the server listed an item nested too deeply to read") from None
    return read if isinstance(read, dict) else entry


@cache
def _page_model() -> Any:
    """A list result's page that keeps its items as they came (JSON objects)."""
    from pydantic import BaseModel, ConfigDict

    class Page(BaseModel):
        model_config = ConfigDict(extra="allow")
        nextCursor: str | None = None  # the wire's name

    return Page
