"""One run of the agent: read the token (from a file only this account can read), wait a random
part of the jitter, send the reports spooled while the registry was away, then scan every home
and report each as its own fleet record, spooling what cannot be sent."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import re
import secrets
import stat
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mcpward.agent.interface import AgentConfig, AgentError

if TYPE_CHECKING:
    from mcpward.model import ScanError, ServerSpec
    from mcpward.registry import InventoryUpload

#: The largest token file read (a token is under a hundred bytes).
_MAX_TOKEN = 4096
#: The largest spooled report read back (an upload is at most 2 MiB on the server).
_MAX_SPOOLED = 4 * 1024 * 1024
#: The agent's own machine id, in the spool folder (not a report: ``waiting`` reads ``*.json``).
_MACHINE_ID = "machine-id"


def read_token(path: Path) -> str:
    """The token, if the file is a regular file owned by this account and readable by no one
    else; otherwise refused (a token others can read is a token others have)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise AgentError(f"cannot open the token file {path}: {exc.strerror}") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise AgentError(f"the token file {path} is not a regular file")
        if info.st_uid != os.geteuid():
            raise AgentError(
                f"the token file {path} is not owned by this account (uid {os.geteuid()}); refused"
            )
        if info.st_mode & 0o077:
            mode = stat.S_IMODE(info.st_mode)
            raise AgentError(
                f"the token file {path} can be read or written by others (mode {mode:o}); chmod 600 it"
            )
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            raw = handle.read(_MAX_TOKEN + 1)
    finally:
        os.close(descriptor)
    token = raw.decode("utf-8", "replace").strip()
    # Visible ASCII only, as a header carries it: the HTTP library refused a NUL or a newline
    # inside by quoting the whole header, token and all, into the agent's log on every run.
    if not token or len(raw) > _MAX_TOKEN or not all("!" <= c <= "~" for c in token):
        raise AgentError(f"the token file {path} does not hold one token")
    return token


#: Where each platform keeps its users' homes, when the user database does not list them all
#: (macOS keeps its accounts in Directory Services, which ``pwd`` does not enumerate).
_HOME_FOLDERS = {"darwin": ("/Users",), "win32": ("C:/Users",)}
_NOT_HOMES = frozenset({"Shared", "Public", "Default", "Default User", "All Users", "Guest"})


def homes(config: AgentConfig) -> list[Path]:
    """Every home to scan: the subfolders of ``homes_under``; else, on macOS and Windows, those
    of ``/Users`` or ``C:/Users`` (but Shared, Public, Default); else each account's home (uid
    1000 and up, and root's) that exists."""
    found: list[Path] = []
    parents = config.homes_under or _HOME_FOLDERS.get(sys.platform, ())
    if parents:
        for parent in map(Path, parents):
            try:
                children = sorted(parent.iterdir())
            except OSError as exc:
                raise AgentError(f"cannot list {parent}: {exc.strerror}") from None
            found += [
                child
                for child in children
                if child.is_dir()
                and not child.is_symlink()
                and child.name not in _NOT_HOMES
                and not child.name.startswith(".")
            ]
    else:
        import pwd  # Unix only: Windows and macOS list their homes above

        for account in pwd.getpwall():
            home = Path(account.pw_dir)
            if (account.pw_uid >= 1000 or account.pw_uid == 0) and home.is_dir() and str(home) != "/":
                found.append(home)
    unique: dict[str, Path] = {}
    for home in found:
        unique.setdefault(str(home.resolve()), home.resolve())
    return list(unique.values())


class Spool:
    """Reports waiting for the registry: one file per (machine, home), owner-only, replaced by
    that home's newer report, deleted once the registry has taken it (so each is sent once)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _ready(self) -> None:
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:  # macOS has no /var/lib, and launchd makes no state folder
            raise AgentError(
                f"cannot make the spool {self.folder}: {exc.strerror}; make it, owned by the agent's "
                "account, mode 0700"
            ) from None
        info = os.stat(self.folder, follow_symlinks=False)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
            raise AgentError(f"the spool {self.folder} is not a folder only this account can use; refused")

    def machine_id(self) -> str:
        """The id the agent reports this machine under: random, kept in the spool (only this
        account may read it), made on the first run. Not the sha256 of ``/etc/machine-id``: every
        account on the machine reads that file, and with a requester token of its own replaced
        the agent's record of any home there (``scan --home /home/alice --report-to``)."""
        override = os.environ.get("MCPWARD_MACHINE_ID")
        if override:
            return override[:128]
        self._ready()
        path = self.folder / _MACHINE_ID
        for attempt in range(2):
            try:
                descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            except FileNotFoundError:
                kept = b""
            except OSError as exc:
                raise AgentError(f"cannot read the agent's machine id {path}: {exc.strerror}") from None
            else:
                with os.fdopen(descriptor, "rb") as handle:
                    kept = handle.read(256)
            if re.fullmatch(rb"[0-9a-f]{64}\n?", kept):
                return kept.decode().strip()
            if attempt == 0:
                self._write(path, (secrets.token_hex(32) + "\n").encode())
        raise AgentError(f"cannot keep the agent's machine id in {path}")

    def _write(self, target: Path, content: bytes) -> None:
        """``content`` at ``target`` whole (never half-written), owner-only, through no link."""
        temporary = target.with_name(f".{target.name}.tmp")
        try:
            descriptor = os.open(
                temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600
            )
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
            os.replace(temporary, target)
        except OSError as exc:
            # A full disk (another account may fill it; the agent's is no root, with no reserve):
            # raised as it was, it ended the run, and the first run reported no home at all.
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
            raise AgentError(f"cannot write {target}: {exc.strerror}") from None

    def put(self, upload: object) -> Path:
        from mcpward.registry import InventoryUpload

        assert isinstance(upload, InventoryUpload)
        self._ready()
        key = hashlib.sha256(json.dumps([upload.machine_id, upload.home]).encode()).hexdigest()[:32]
        target = self.folder / f"{key}.json"
        document = {"spooled_at": datetime.now(UTC).isoformat(), "report": upload.model_dump(mode="json")}
        self._write(target, json.dumps(document).encode())
        return target

    def waiting(self) -> list[Path]:
        if not self.folder.exists():
            return []
        self._ready()
        return sorted(self.folder.glob("*.json"), key=lambda path: path.stat().st_mtime)

    def deliver(self, base: str, token: str, outcome: RunOutcome) -> bool:
        """Send the waiting reports, oldest first; False when the registry is still away."""
        from pydantic import ValidationError

        from mcpward.registry import InventoryUpload, RegistryError, RegistryUnavailable, send_fleet_report

        for path in self.waiting():
            try:
                with path.open("rb") as handle:
                    raw = handle.read(_MAX_SPOOLED + 1)
                upload = InventoryUpload.model_validate(json.loads(raw)["report"])
            except (OSError, ValueError, KeyError, TypeError, ValidationError):
                outcome.problems.append(f"dropped an unreadable spooled report {path.name}")
                path.unlink(missing_ok=True)
                continue
            try:
                send_fleet_report(base, upload, token)
            except RegistryUnavailable as exc:
                outcome.problems.append(f"spooled reports wait: {exc}")
                return False
            except RegistryError as exc:  # refused as it is: sending it again would not help
                outcome.problems.append(f"the registry refused a spooled report: {exc}")
            else:
                outcome.delivered.append(upload.home or "")
            path.unlink(missing_ok=True)
        return True


def check_registry_port(registry: str) -> None:
    """Refuse a plain-http registry on this machine whose port another account listens on: the
    agent runs where other accounts do, and any of them may take an unprivileged loopback port
    (before the tunnel starts, or once it stops) and was sent the fleet's token in clear."""
    from mcpward._addresses import held_by_another

    held = held_by_another(registry)
    if held is not None:
        raise AgentError(f"the registry: {held}; the token is not sent there")


#: The most servers one fleet report holds (the registry's limit).
_MOST_SERVERS = 5000


def _as_far_as_reportable(
    servers: Sequence[ServerSpec], home: str, machine: str | None, unread: Sequence[ScanError] = ()
) -> InventoryUpload:
    """The report of ``home`` with each server that fits a fleet report as it is, and each
    that does not (a value over the report's limits) as a local command the registry cannot
    tell, judged unapproved; past the most a report holds, one such line says how many more.
    The files the scan could not use (``unread``) come first, as in every report."""
    from mcpward.registry import ObservedServer, RegistryError, fleet_report, reportable_text

    def unreportable(host: str, name: str, config_path: str, why: str) -> ObservedServer:
        # Its own values as text a report holds (a NUL, a lone surrogate shown escaped): built
        # from the value that made the server unreportable, this line raised, ending the run
        # there, every run, before any later home.
        host, name, config_path = (reportable_text(value) for value in (host, name, config_path))
        return ObservedServer(
            host=host[:64], name=name[:255], config_path=config_path[:1000], kind="local", launch=why
        )

    kept = list(fleet_report([], home, machine, unread).servers)
    room = _MOST_SERVERS - len(kept)
    for spec in servers[: room - 1] if len(servers) > room else servers:
        try:
            kept.append(fleet_report([spec], home, machine).servers[0])
        except RegistryError:
            why = "(not reported as it is: a value a fleet report cannot hold: too long, or a NUL)"
            kept.append(unreportable(spec.host, spec.name, spec.config_path, why))
    if len(servers) > room:
        more = len(servers) - (room - 1)
        kept.append(unreportable("mcpward-agent", "more servers", "", f"({more} more servers not reported)"))
    return fleet_report([], home, machine).model_copy(update={"servers": tuple(kept)})


#: The largest report the registry takes (its body limit, ``MAX_BODY_BYTES``).
_MOST_BYTES = 2 * 1024 * 1024


def _cut_to_fit(upload: InventoryUpload) -> tuple[InventoryUpload, int]:
    """``upload`` with as many of its servers, from the first, as fit the registry's body limit,
    and a line saying how many more (judged unapproved); the number left out."""
    from mcpward.registry import ObservedServer

    if len(upload.model_dump_json().encode()) <= _MOST_BYTES:
        return upload, 0
    size = len(upload.model_copy(update={"servers": ()}).model_dump_json().encode()) + 1024
    kept = []
    for server in upload.servers:
        size += len(server.model_dump_json().encode()) + 1
        if size > _MOST_BYTES:
            break
        kept.append(server)
    left_out = len(upload.servers) - len(kept)
    why = f"({left_out} more servers not reported: the report was larger than the registry takes)"
    kept.append(ObservedServer(host="mcpward-agent", name="more servers", kind="local", launch=why))
    return upload.model_copy(update={"servers": tuple(kept)}), left_out


@dataclass(slots=True)
class RunOutcome:
    reported: list[str] = field(default_factory=list)
    spooled: list[str] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    waited: float = 0.0


def run(
    config: AgentConfig,
    *,
    jitter: bool = True,
    sleep: Callable[[float], None] = time.sleep,
    chance: Callable[[float, float], float] = random.uniform,
) -> RunOutcome:
    from mcpward.registry import RegistryError, RegistryUnavailable, fleet_report, send_fleet_report
    from mcpward.scan import ScanOptions, run_scan

    if not hasattr(os, "geteuid"):
        # Who may read the token file and write the spool is an ACL question on Windows, which
        # this version does not read; the owner checks it makes elsewhere mean nothing there
        # (every file is uid 0, mode 0o666), and the run ended in an internal error.
        raise AgentError(
            "agent run is not supported on Windows yet: it cannot check who may read its token file "
            "(Windows ACLs); report with `mcpward scan --report-to` from a task of the account instead"
        )
    token = read_token(Path(config.token_file))
    outcome = RunOutcome()
    if jitter and config.jitter_minutes:
        outcome.waited = chance(0.0, config.jitter_minutes * 60.0)
        sleep(outcome.waited)
    spool = Spool(Path(config.spool))
    try:
        machine: str | None = spool.machine_id()
    except AgentError as exc:
        # Still reported, as before the agent kept an id of its own: under the machine's id,
        # which every account here computes (see Spool.machine_id).
        outcome.problems.append(f"{exc}; reported under the machine's id, which other accounts here can name")
        machine = None
    check_registry_port(config.registry)
    reachable = spool.deliver(config.registry, token, outcome)
    for home in homes(config):
        # Only the files the home's owner owns: the agent reads with more rights than they have.
        owner = home.stat().st_uid if hasattr(os, "geteuid") else None
        report = run_scan(ScanOptions(home=home, owner=owner))
        try:
            # With the files the scan could not use: left out, a config its client reads but
            # the scan does not (padded past 32 MiB) hid its servers, the home reported clean.
            upload = fleet_report(report.servers, str(home), machine, report.errors)
        except RegistryError as exc:
            # Its configs are its user's to write (a 3,000-character command line): refusing
            # the run here left every later home unreported; skipping the home kept its last
            # report, clean and not stale for 30 days, beside the server its user then added.
            try:
                upload = _as_far_as_reportable(report.servers, str(home), machine, report.errors)
            except RegistryError:  # the home's own label does not fit (a path over 500 characters)
                outcome.problems.append(f"{home}: {exc}")
                continue
            outcome.problems.append(f"{home}: {exc}; reported as far as it can be")
        upload, left_out = _cut_to_fit(upload)
        if left_out:
            # Refused as too large, the home's last report stood, as an unbuildable one did.
            outcome.problems.append(
                f"{home}: its report is larger than the registry takes; {left_out} servers left out"
            )
        if reachable:
            check_registry_port(config.registry)  # the scan took a while: still the tunnel's?
            try:
                send_fleet_report(config.registry, upload, token)
            except RegistryUnavailable as exc:
                outcome.problems.append(f"reports spooled: {exc}")
                reachable = False
            except RegistryError as exc:
                outcome.problems.append(f"{home}: {exc}")
                continue
            else:
                outcome.reported.append(str(home))
                continue
        try:
            spool.put(upload)
        except AgentError as exc:  # the next home may still be reported, or fit
            outcome.problems.append(f"{home}: its report could not be spooled: {exc}")
            continue
        outcome.spooled.append(str(home))
    return outcome
