"""Talking to a registry server: fetching entries for ``scan --registry URL`` and uploading this
machine's inventory for ``scan --report-to URL``. The token comes from
``MCPWARD_REGISTRY_TOKEN``; it is sent, never printed."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError

from mcpward._addresses import held_by_another
from mcpward._http import DIRECT_PLAIN_HTTP, BodyTooLarge, BodyTooSlow, read_bounded, tls_or_loopback
from mcpward._paths import exclusive_lock, keep_owner_only, read_own, user_data_dir
from mcpward.model import ScanError, ServerSpec
from mcpward.output.text import printable
from mcpward.registry._fleet import reportable_text
from mcpward.registry._matching import observe
from mcpward.registry.interface import (
    MAX_INT,
    Entry,
    InventoryUpload,
    ObservedServer,
    RegistryError,
    RegistryUnavailable,
)

TOKEN_VARIABLE = "MCPWARD_REGISTRY_TOKEN"  # noqa: S105 - the variable's name
_PAGE = 500


def _headers(token: str | None = None) -> dict[str, str]:
    token = (token or os.environ.get(TOKEN_VARIABLE) or "").strip()  # a secret store's newline
    return {"Authorization": f"Bearer {token}"} if token else {}


def _client(base: str, timeout: float, token: str | None = None) -> httpx.Client:
    headers = _headers(token)
    held = held_by_another(base)
    if held is not None:
        # Plain http on this machine is trusted as this machine's: a port another account took
        # first was sent the token in clear, and its answers taken as the registry's approvals.
        raise RegistryError(f"{printable(base)}: {held}; refused")
    if headers and not all("!" <= c <= "~" for c in headers["Authorization"][len("Bearer ") :]):
        # The HTTP library refuses a NUL or a newline in a header by quoting the header whole:
        # the token was printed (the agent's log, a CI job's output). Never quoted here.
        raise RegistryError(
            f"the registry token ({TOKEN_VARIABLE} or the token file) holds a character other than "
            "visible ASCII; refused"
        )
    try:
        if headers and not tls_or_loopback(base):
            # As the agent's rule: over plain http off this machine anyone on the path could take
            # the token (`scan --report-to`, `scan --registry`, `enforce --registry` sent it).
            raise RegistryError(
                f"{printable(base)}: the registry token is sent over https only, or over plain http "
                "to this machine; refused"
            )
        # A connection per request: ``_cut_off`` finds the socket to shut as it is connected
        # (a page's headers dripping on a kept-alive connection would not be cut).
        return httpx.Client(
            base_url=base.rstrip("/"),
            # Answers as they are: see ``_read``.
            headers={**headers, "Accept-Encoding": "identity"},
            timeout=timeout,
            follow_redirects=False,
            limits=httpx.Limits(max_keepalive_connections=0),
            # Plain http is trusted as this machine's, so never through the environment's proxy
            # (HTTP_PROXY): the token went to it in clear over the network, and its answers were
            # taken for the registry's. Over https the proxy only carries the TLS (a CONNECT).
            mounts=DIRECT_PLAIN_HTTP,
        )
    except (httpx.InvalidURL, ValueError) as exc:
        # `http://[::1` (a bad port, an unclosed IPv6 address) was an internal error (exit 70).
        raise RegistryError(f"{printable(base)}: not a URL ({exc})") from None


def _parsed(body: bytes) -> Any:
    """The JSON of a registry's answer; ValueError for anything else. An answer nested thousands
    of levels deep (well within the size limits) ran the parser out of stack: a RecursionError no
    caller expected ended the agent's run at its first home, and ``enforce`` with an internal
    error."""
    try:
        return json.loads(body)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _explain(response: httpx.Response, base: str, body: bytes) -> RegistryError:
    try:
        detail = _parsed(body).get("detail")
    except (ValueError, AttributeError):
        detail = None
    hint = f" (set {TOKEN_VARIABLE})" if response.status_code == 401 else ""
    # The server's words, shown escaped and cut: printed as they came (the agent's log, a
    # terminal), a newline forged log lines and escapes acted on whoever read them.
    shown = printable(str(detail or response.reason_phrase)[:500])
    return RegistryError(f"registry {base} answered {response.status_code}: {shown}{hint}")


#: The most entries and the largest page read from a registry server: a hostile or broken
#: server that answered full pages for ever (or one endless page) held ``enforce`` and
#: ``scan --registry`` in a loop that grew without end.
MAX_ENTRIES = 50_000
MAX_PAGE_BYTES = 128 * 1024 * 1024
#: The most read of any other answer (a refusal, the answer to a report): they were read whole,
#: so a hostile server's endless refusal filled the agent's memory.
MAX_ANSWER_BYTES = 64 * 1024
#: Each answer must be whole within this many times the timeout: the timeout bounds each read,
#: so a server dripping a byte at a time held ``enforce`` and the agent for ever.
ANSWER_DEADLINE_FACTOR = 4


def _read(response: httpx.Response, base: str, limit: int, timeout: float, too_large: str = "") -> bytes:
    """The body of ``response`` within the deadline: a page (200) whole if at most ``limit`` bytes
    (else ``too_large``, or a plain error), any other answer's first ``limit`` bytes."""
    give_up = time.monotonic() + timeout * ANSWER_DEADLINE_FACTOR
    page = response.status_code == 200
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        # Never decoded (it was asked for as it is): the HTTP library inflated each chunk whole
        # before the limit counted a byte, and 19 KB of gzip inside gzip took 8 GiB of the
        # agent's memory. A refusal's reason or a receipt is then unread; a page is refused.
        if not page:
            return b""
        raise RegistryError(f"{base} answered in an encoding it was not asked for; refused")
    try:
        # Not a page of entries (a refusal, a report's receipt): its start says enough.
        return read_bounded(response.iter_raw(), limit, give_up=give_up, keep_start=not page)
    except BodyTooLarge:
        raise RegistryError(
            too_large or f"{base} answered a body larger than {limit:,} bytes; refused"
        ) from None
    except BodyTooSlow:
        raise RegistryError(f"{base} took too long to answer; gave up") from None


@contextlib.contextmanager
def _cut_off(timeout: float) -> Iterator[dict[str, Any]]:
    """Request extensions that shut the connection down once the whole exchange has taken longer
    than its answer may (one timeout more, so that ``_read`` says why first). The timeout bounds
    each read and ``_read``'s deadline starts once the headers are in: a server that dripped its
    headers a byte a read held the agent for days (its oneshot unit never ended, so it never
    ran again), and ``enforce --registry`` with it."""
    sockets: list[socket.socket] = []

    def trace(event: str, info: dict[str, Any]) -> None:
        if event == "connection.connect_tcp.complete":
            found = getattr(info.get("return_value"), "get_extra_info", lambda _: None)("socket")
            if isinstance(found, socket.socket):
                sockets.append(found)

    def shut() -> None:
        for each in sockets:
            with contextlib.suppress(OSError):
                each.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(timeout * (ANSWER_DEADLINE_FACTOR + 1), shut)
    timer.daemon = True
    timer.start()
    try:
        yield {"trace": trace}
    finally:
        timer.cancel()


def _page(client: httpx.Client, base: str, offset: int, timeout: float) -> Any:
    with (
        _cut_off(timeout) as extensions,
        client.stream(
            "GET",
            "/api/entries",
            # Decided entries only: requests waiting for review are a requester's alone, and a
            # flood of them took this past its bounds (a registry before ``decided`` answers all).
            params={"limit": _PAGE, "offset": offset, "decided": "true"},
            extensions=extensions,
        ) as response,
    ):
        if response.status_code != 200:
            raise _explain(response, base, _read(response, base, MAX_ANSWER_BYTES, timeout))
        too_large = f"{base} answered a page of entries larger than {MAX_PAGE_BYTES >> 20} MiB"
        body = _read(response, base, MAX_PAGE_BYTES, timeout, too_large)
    return _parsed(body)


def fetch_entries(base: str, *, timeout: float = 30.0) -> list[Entry]:
    """Every entry of the registry server at ``base``, unless the answer is older than one this
    account has read from it before (see ``check_generation``)."""
    entries: list[Entry] = []
    generations: list[int | None] = []
    connected = _client(base, timeout)  # a token it would not send is refused first
    if not tls_or_loopback(base):
        # The answer is the registry's approvals: over plain http off this machine anyone on the
        # path could write them (the token rule guarded the token; with none set, nothing did).
        connected.close()
        raise RegistryError(
            f"{printable(base)}: the registry's entries are read over https only, or over plain http "
            "on this machine (anyone on the path could write them); refused"
        )
    try:
        with connected as client:
            while True:
                answer = _page(client, base, len(entries), timeout)
                generations.append(_generation(answer))
                page = [Entry.model_validate(item) for item in answer["entries"]]
                entries += page
                if len(entries) > MAX_ENTRIES:
                    raise RegistryError(f"{base} answered more than {MAX_ENTRIES:,} entries; refused")
                # A page ends early past the server's size budget: read on to its total (an
                # answer without one ends at its first short page, as before).
                total = _total(answer)
                if not page or (len(page) < _PAGE if total is None else len(entries) >= total):
                    break
    except httpx.HTTPError as exc:
        raise RegistryError(f"cannot reach the registry {base}: {exc}") from None
    except (ValueError, KeyError, TypeError, ValidationError):
        raise RegistryError(f"{base} did not answer like an mcpward registry") from None
    # The whole answer is as new as its oldest page.
    check_generation(base, None if None in generations else min(g for g in generations if g is not None))
    return entries


def _total(answer: Any) -> int | None:
    """How many entries the answer says there are (to read on from a page cut short)."""
    return _count_member(answer, "total")


def _generation(answer: Any) -> int | None:
    """The generation a page of entries says it is as new as; None from a registry before them."""
    return _count_member(answer, "generation")


def _count_member(answer: Any, name: str) -> int | None:
    """The answer's member ``name``, a count (None when absent); anything else is refused."""
    value = answer.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INT:
        raise ValueError(f"not a {name}")
    return value


#: The newest generation this account has read from each registry server, kept between runs in
#: its data folder (owner-only), and in this process (where that file cannot be kept).
GENERATIONS_FILE = "registry-generations.json"
_MAX_REMEMBERED = 1000
_SEEN: dict[tuple[str, str], int] = {}  # (the file's path, the registry): as the file keeps it
_SEEN_LOCK = threading.Lock()


def _remembered(path: Path) -> dict[str, int]:
    raw = read_own(path, 256 * 1024)
    try:
        kept = json.loads(raw) if raw else {}
    except (ValueError, RecursionError):
        return {}
    if not isinstance(kept, dict):
        return {}
    return {
        key: value
        for key, value in kept.items()
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_INT
    }


def check_generation(base: str, generation: int | None) -> None:
    """Refuse an answer of ``base`` older than the newest this account has read from it (a stale
    replica or cache, or a replayed answer would bring back what the registry has revoked since),
    or one that says no generation after one did; else remember it. Generations are the
    registry's audit events, so they only grow: a registry restored from a backup goes back, and
    its consumers refuse it until its line is removed from the file named."""
    key = base.rstrip("/")
    path = user_data_dir() / GENERATIONS_FILE
    with _SEEN_LOCK, contextlib.ExitStack() as held:
        try:
            held.enter_context(exclusive_lock(path.with_name(path.name + ".lock"), wait=5))
            kept: dict[str, int] | None = _remembered(path)
        except (OSError, TimeoutError):
            kept = None  # this process's memory only
        remembered = ((kept or {}).get(key), _SEEN.get((str(path), key)))
        newest = max((seen for seen in remembered if seen is not None), default=None)
        undo = f"after restoring the registry from a backup, remove {json.dumps(key)} from {path}"
        if newest is not None and generation is None:
            raise RegistryError(
                f"{printable(base)}'s answer says no generation, where its answers said generation "
                f"{newest} before: an older registry's answer, or one altered on the way; refused "
                f"({printable(undo)})"
            )
        if newest is not None and generation is not None and generation < newest:
            raise RegistryError(
                f"{printable(base)} answered as of generation {generation}, older than generation "
                f"{newest} this account has already read from it: a stale replica or cache, or a "
                f"replayed answer, which could bring back what was revoked since; refused "
                f"({printable(undo)})"
            )
        if generation is None or generation == newest:
            return
        _SEEN[str(path), key] = generation
        if kept is not None:
            kept.pop(key, None)
            kept[key] = generation  # the most recently read last: the oldest forgotten first
            while len(kept) > _MAX_REMEMBERED:
                del kept[next(iter(kept))]
            keep_owner_only(path, json.dumps(kept, indent=1).encode())


#: Where Linux keeps the machine's id (systemd, D-Bus): readable on that machine only.
_OS_ID_FILES = (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id"))
#: Where Windows keeps its MachineGuid (under HKEY_LOCAL_MACHINE).
_WINDOWS_ID_KEY = r"SOFTWARE\Microsoft\Cryptography"
#: A random id kept (owner-only, in the data folder) where the machine has no id to read.
_KEPT_ID = "machine-id"


def machine_id() -> str:
    """A stable pseudonymous id: the sha256 of what only this machine reads (the OS machine id,
    the Windows MachineGuid, the Mac's IOPlatformUUID), so the raw id never leaves the machine;
    else a random id kept in the data folder. Never of the host name, which the report carries
    and every viewer reads: on macOS and Windows (no /etc/machine-id) it was its digest, so anyone
    holding the fleet's agent token named any such machine's id and replaced its record.
    ``MCPWARD_MACHINE_ID`` overrides it."""
    override = os.environ.get("MCPWARD_MACHINE_ID")
    if override:
        return override[:128]
    for path in _OS_ID_FILES:
        try:
            raw = path.read_text().strip()
        except OSError:
            continue
        if raw:
            return hashlib.sha256(raw.encode()).hexdigest()
    found = _platform_id()
    if found:
        return hashlib.sha256(found.encode()).hexdigest()
    return _kept_id()


def _platform_id() -> str | None:
    """The Windows MachineGuid or the Mac's IOPlatformUUID; None elsewhere or unreadable."""
    if sys.platform == "win32":
        import winreg

        try:
            access = winreg.KEY_READ | winreg.KEY_WOW64_64KEY
            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, _WINDOWS_ID_KEY, 0, access) as key:
                value, _kind = winreg.QueryValueEx(key, "MachineGuid")
        except OSError:
            return None
        return str(value).strip() or None
    if sys.platform == "darwin":
        try:
            done = subprocess.run(  # a fixed system program, no input of anyone's
                ["/usr/sbin/ioreg", "-rd1", "-c", "IOPlatformExpertDevice"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        uuid = re.search(r'"IOPlatformUUID"\s*=\s*"([0-9A-Fa-f-]{36})"', done.stdout)
        return uuid[1] if uuid else None
    return None


def kept_machine_id_paths() -> list[Path]:
    """Where a machine with no id of its own keeps the one made for it."""
    return [user_data_dir() / _KEPT_ID]


def _kept_id() -> str:
    path = kept_machine_id_paths()[0]
    for attempt in range(2):
        raw = read_own(path, 256)
        if raw is not None and re.fullmatch(rb"[0-9a-f]{64}\n?", raw):
            return raw.decode().strip()
        if attempt == 0:
            keep_owner_only(path, (secrets.token_hex(32) + "\n").encode())
    # Not kept (a read-only folder, or no owner to check, on Windows): a new id each run would
    # make a new record each run, so the host name's digest, as before (a name others can read).
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()


def inventory(
    servers: Sequence[ServerSpec],
    home: str | None = None,
    machine: str | None = None,
    unread: Sequence[ScanError] = (),
) -> InventoryUpload:
    """The report of ``home`` on this machine, under ``machine`` (default: :func:`machine_id`);
    ``unread``: the files the scan could not use, each reported as a line of its own."""
    try:
        return _inventory(servers, home, machine or machine_id(), unread)
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
        raise RegistryError(f"this inventory cannot be reported ({where})") from None


def _inventory(
    servers: Sequence[ServerSpec], home: str | None, machine: str, unread: Sequence[ScanError]
) -> InventoryUpload:
    return InventoryUpload(
        machine_id=machine,
        hostname=socket.gethostname()[:255] or "unknown",
        os=platform.system().lower()[:32] or None,
        home=home,
        servers=(*unread_configs(unread), *(observe(spec) for spec in servers)),
    )


#: The files a report names as not read, one line each; past them, one line counts the rest.
MOST_UNREAD_NAMED = 100


def unread_configs(errors: Sequence[ScanError]) -> tuple[ObservedServer, ...]:
    """A line for each file the scan could not use (a local command the registry cannot tell,
    judged unapproved), first in a report so that a report cut to fit keeps them: left out, a
    config its client reads but the scan does not (padded past what the scan reads) hid its
    servers, and the home read clean in the fleet view and the audit report. The file's path
    only, not why: a parser's message may quote the file's text, values and all."""
    lines = [
        ObservedServer(
            host=reportable_text(error.host or "unknown")[:64],
            name="config not read",
            # A file name need not be UTF-8 (held as lone surrogates): the line must still hold.
            config_path=reportable_text(error.path)[:1000],
            kind="local",
            launch="(not read by the scan: `mcpward scan` on the machine says why)",
        )
        for error in errors[:MOST_UNREAD_NAMED]
    ]
    if len(errors) > MOST_UNREAD_NAMED:
        more = len(errors) - MOST_UNREAD_NAMED
        why = f"({more} more files not read by the scan)"
        lines.append(ObservedServer(host="mcpward", name="configs not read", kind="local", launch=why))
    return tuple(lines)


def report_inventory(
    base: str, upload: InventoryUpload, *, timeout: float = 30.0, token: str | None = None
) -> int:
    connected = _client(base, timeout, token)  # a refusal to send the token is no outage
    try:
        with (
            connected as client,
            _cut_off(timeout) as extensions,
            client.stream(
                "POST",
                "/api/fleet/reports",
                content=upload.model_dump_json(),
                headers={"Content-Type": "application/json"},
                extensions=extensions,
            ) as response,
        ):
            body = _read(response, base, MAX_ANSWER_BYTES, timeout)
    except httpx.HTTPError as exc:
        raise RegistryUnavailable(f"cannot reach the registry {base}: {exc}") from None
    except RegistryError as exc:  # an answer too long in coming: the registry is not answering
        raise RegistryUnavailable(str(exc)) from None
    if response.status_code != 201:
        problem = _explain(response, base, body)
        # A redirect is not the registry's refusal but something in front of it (a proxy, a
        # move, a portal), never followed: taken as a refusal, the agent deleted every spooled
        # report and dropped each new one while it lasted. They wait for the registry itself.
        redirected = 300 <= response.status_code < 400
        if response.status_code in (401, 403, 429) or redirected or response.status_code >= 500:
            raise RegistryUnavailable(str(problem))
        raise problem
    # 201 is the registry's "stored"; a body that does not say how many (a proxy's page) is
    # no reason to stop: it raised out of the agent's run, so no later home was reported.
    try:
        stored = _parsed(body).get("stored", 0)
        return stored if isinstance(stored, int) and not isinstance(stored, bool) else 0
    except (ValueError, AttributeError):
        return 0
