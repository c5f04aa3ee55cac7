"""``scan --processes``: MCP servers among the machine's running processes, with the application
that started them, the account they run as, and the configured server they match.

Read from ``/proc`` directly (Linux); nothing is started, signalled or attached to, and a
process's environment is never read (it holds the server's secrets). A process is an MCP
server when its command line runs an MCP package through a runner (npx, uvx, pipx, docker, ...)
as a configured launch would, names an MCP program or script (``mcp-server-fetch``,
``server.py`` of a ``*-mcp`` folder, ``mcp_test_server.py``), or starts an SDK entry point
(``fastmcp run``, ``mcp run``, ``python -m mcp_server_x``). Shells and runners between a client
and its server are skipped: the server is the deepest process of the chain, the client the
nearest ancestor that is not a shell or runner.

macOS and Windows have no ``/proc``: they would need libproc/``sysctl`` (macOS) and the
Toolhelp/``NtQueryInformationProcess`` APIs (Windows), which psutil wraps; it is not a
dependency, so ``--processes`` says so there instead of guessing.
"""

from __future__ import annotations

import os
import pwd
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from mcpward._documents import DocumentFormat
from mcpward._program_name import program_name
from mcpward._regex import compiled
from mcpward.dlp import redact_argv, redact_command_line
from mcpward.errors import McpwardError
from mcpward.identity import PLATFORM_PACKAGES
from mcpward.launch import resolve_launch
from mcpward.model import Ecosystem, RunningProcess, Scope, Transport
from mcpward.scan._manifests.interface import is_mcp_package
from mcpward.scan.interface import ConfigLocation, DiscoveredServer

PROC = Path("/proc")
MAX_PROCESSES = 100_000
MAX_CMDLINE = 64 * 1024
#: Words of a command line kept, and MCP processes reported: any local user can start thousands
#: of sleeping processes of 64 KB command lines, and each word may be a finding (100 such
#: processes made a 220 MB report, 620 MB resident and 31 s until 2026-12-04).
MAX_ARGS = 128
MAX_RUNNING_SERVERS = 500
MAX_ANCESTORS = 16

_MCP_WORD = compiled(r"(?:^|[-_.])mcp(?:$|[-_.])|modelcontextprotocol|fastmcp", re.IGNORECASE)
_SDK_ENTRY = (("fastmcp", "run"), ("mcp", "run"), ("mcp", "dev"))
_INTERPRETERS = frozenset({"python", "node", "deno", "bun", "ruby", "java", "dotnet", "pypy"})
_DATA_SUFFIXES = frozenset({".json", ".jsonc", ".yaml", ".yml", ".toml", ".md", ".txt", ".log"})
#: Between a client and its server: shells, package runners and the interpreters they use.
_PASS_THROUGH = frozenset(
    {
        "sh",
        "bash",
        "zsh",
        "dash",
        "cmd",
        "cmd.exe",
        "npx",
        "npm",
        "pnpm",
        "yarn",
        "bunx",
        "uv",
        "uvx",
        "pipx",
        "env",
        "node",
        "timeout",
        "nohup",
        "setsid",
    }
)


class ProcessScanError(McpwardError):
    """The processes of this machine cannot be listed."""


@dataclass(frozen=True, slots=True)
class ProcessEntry:
    pid: int
    ppid: int
    uid: int | None
    argv: tuple[str, ...]


def supported() -> bool:
    return sys.platform.startswith("linux") and (PROC / "self" / "cmdline").exists()


def list_processes(proc: Path = PROC) -> dict[int, ProcessEntry]:
    """Every process whose command line can be read (kernel threads have none)."""
    if not supported() and proc == PROC:
        raise ProcessScanError(
            "--processes reads /proc, which this OS does not have (on macOS it would need libproc, on "
            "Windows the Toolhelp API, e.g. through psutil, which mcpward does not depend on)"
        )
    entries: dict[int, ProcessEntry] = {}
    try:
        listing = list(os.scandir(proc))
    except OSError as exc:
        raise ProcessScanError(f"cannot list {proc}: {exc.strerror}") from None
    for entry in listing[: MAX_PROCESSES * 2]:
        if not entry.name.isdigit() or len(entries) >= MAX_PROCESSES:
            continue
        process = _read_process(Path(entry.path), int(entry.name))
        if process is not None:
            entries[process.pid] = process
    return entries


def _read_process(folder: Path, pid: int) -> ProcessEntry | None:
    try:
        with open(folder / "cmdline", "rb") as handle:
            raw = handle.read(MAX_CMDLINE)
        with open(folder / "status", "rb") as handle:
            status = handle.read(8192).decode("utf-8", "replace")
    except OSError:
        return None  # gone meanwhile, or not ours to read
    argv = tuple(part.decode("utf-8", "replace") for part in raw.split(b"\0", MAX_ARGS)[:MAX_ARGS] if part)
    if not argv:
        return None
    ppid = re.search(r"^PPid:\s*(\d+)", status, re.MULTILINE)
    uid = re.search(r"^Uid:\s*(\d+)", status, re.MULTILINE)
    return ProcessEntry(pid, int(ppid[1]) if ppid else 0, int(uid[1]) if uid else None, argv)


def is_mcp_process(argv: tuple[str, ...]) -> bool:
    if not argv:
        return False
    launch = resolve_launch(argv[0], argv[1:])
    package = launch.package
    if package is not None and package.name.lower() in PLATFORM_PACKAGES.get(package.ecosystem, ()):
        return False  # an automation platform (n8n, LiteLLM, ...): inventoried by its own module
    if package is not None and is_mcp_package(package.ecosystem, package.name):
        return True
    program = program_name(argv[0])
    words = [program]
    if program.rstrip("0123456789.") in _INTERPRETERS and len(argv) > 1:
        # The script or module an interpreter runs is the program (python -m x, node x.js).
        script = argv[2] if argv[1] == "-m" and len(argv) > 2 else argv[1]
        if not script.startswith("-"):
            words.append(script)
    if tuple(argv[:2]) in _SDK_ENTRY or (len(argv) > 1 and (program, argv[1]) in _SDK_ENTRY):
        return True
    for word in words:
        path = PurePosixPath(word.replace("\\", "/"))
        if path.suffix.lower() in _DATA_SUFFIXES:
            continue
        if _MCP_WORD.search(path.name) or (
            path.name in ("server.py", "index.js", "main.py") and _MCP_WORD.search(path.parent.name)
        ):
            return True
    return False


def _user(uid: int | None) -> str | None:
    if uid is None:
        return None
    try:
        return pwd.getpwuid(uid).pw_name
    except (KeyError, OverflowError):
        return str(uid)


def _client(entries: dict[int, ProcessEntry], process: ProcessEntry) -> ProcessEntry | None:
    current = entries.get(process.ppid)
    for _ in range(MAX_ANCESTORS):
        if current is None:
            return None
        if program_name(current.argv[0]) not in _PASS_THROUGH or _is_client_script(current.argv):
            return current
        current = entries.get(current.ppid)
    return current


def _is_client_script(argv: tuple[str, ...]) -> bool:
    """``node /opt/app/client.js``: node running a program that is not a runner's own CLI."""
    if program_name(argv[0]) != "node" or len(argv) < 2:
        return False
    return not re.search(r"(?:npm|npx|pnpm|yarn)(?:-cli)?\.c?js$|/bin/(?:npm|npx)$", argv[1])


def running_servers(self_pid: int | None = None, proc: Path = PROC) -> Iterator[DiscoveredServer]:
    """The MCP servers running now, deepest of each chain, with their client and user."""
    entries = list_processes(proc)
    own = {self_pid or os.getpid()}
    candidates = {pid for pid, p in entries.items() if pid not in own and is_mcp_process(p.argv)}
    # A shell or runner whose child is the server is the same server: keep the deepest.
    ancestors_of_candidates: set[int] = set()
    for pid in candidates:
        parent = entries[pid].ppid
        for _ in range(MAX_ANCESTORS):
            if parent not in entries:
                break
            ancestors_of_candidates.add(parent)
            parent = entries[parent].ppid
    for pid in sorted(candidates - ancestors_of_candidates)[:MAX_RUNNING_SERVERS]:
        process = entries[pid]
        client = _client(entries, process)
        yield DiscoveredServer(
            host="process",
            location=ConfigLocation(proc / str(pid), Scope.USER, DocumentFormat.JSON),
            name=f"{program_name(process.argv[0])} (pid {pid})",
            transport=Transport.STDIO,
            command=process.argv[0],
            args=process.argv[1:],
            source="process",
            process=RunningProcess(
                pid=pid,
                user=_user(process.uid),
                parent_pid=client.pid if client else None,
                parent=_shown_command_line(client.argv)[:300] if client else None,
            ),
        )


def _shown_command_line(argv: tuple[str, ...]) -> str:
    """A process's arguments, each judged as the process has it (joined and split again as
    shell words, a passphrase was four words, three of them printed), and a script given to a
    shell (``sh -c "..."``) judged word by word."""
    masked = redact_argv(argv)[0]
    return " ".join(redact_command_line(word) if " " in word else word for word in masked)


def launch_key(command: str | None, args: Iterable[str]) -> str | None:
    """What identifies a server's launch across a config and a process: its package's name, or
    its program and arguments when it runs no package."""
    if not command:
        return None
    launch = resolve_launch(command, tuple(args))
    package = launch.package
    if package is not None and package.ecosystem in (Ecosystem.NPM, Ecosystem.PYPI, Ecosystem.OCI):
        return f"{package.ecosystem.value}:{package.name}"
    # A local program: the same program with other arguments is another server.
    return " ".join(launch.argv) or None
