"""``mcpward sandbox``: run an MCP server with no network but an allow-listed, recorded proxy,
no files but what its profile mounts, no environment but what it names, and resource limits.

Backends are in ``_backends/`` (one module each); ``sandbox check`` tries each for real.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import ssl
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from mcpward._settings import load_settings
from mcpward.sandbox._backends._layout import write_in_home
from mcpward.sandbox._calls import CallTracker, pump_lines
from mcpward.sandbox._cgroups import ControlGroups
from mcpward.sandbox._landlock_launcher import STOP_GRACE_SECONDS
from mcpward.sandbox._proxy import EgressProxy
from mcpward.sandbox._secrets import fetch as fetch_secret
from mcpward.sandbox._secrets import secret_line
from mcpward.sandbox.interface import (
    CA_BUNDLE,
    Availability,
    Backend,
    Launch,
    Profile,
    SandboxError,
    hold_back,
    limit_group_name,
)

if TYPE_CHECKING:
    from mcpward.sandbox._interception import Interception

__all__ = [
    "Availability",
    "Backend",
    "Profile",
    "SandboxError",
    "backends",
    "choose_backend",
    "fetch_secret",
    "load_profile",
    "profile_from_entry",
    "run_sandboxed",
    "secret_line",
    "server_home",
]


def profile_from_entry(entry: dict[str, Any]) -> Profile:
    """A registry entry's data scope as a sandbox profile: the hosts it talks to, the
    credentials it needs (passed by name), and the folders its reads and writes name."""
    scope = entry.get("scope") or {}
    hosts = [h.strip().lower() for h in scope.get("network") or [] if isinstance(h, str) and h.strip()]
    reads = [Path(p) for p in scope.get("reads") or [] if isinstance(p, str) and p.startswith("/")]
    writes = [Path(p) for p in scope.get("writes") or [] if isinstance(p, str) and p.startswith("/")]
    credentials = [c for c in scope.get("credentials") or [] if isinstance(c, str)]
    try:
        return Profile.model_validate(
            {
                "network": {"allow": hosts},
                "files": {
                    "read": [p for p in reads if p.exists()],
                    "write": [p for p in writes if p.exists()],
                },
                "env": {"allow": credentials},
            }
        )
    except ValidationError as exc:
        raise SandboxError(
            f"the registry entry's scope is not a sandbox profile: {exc.errors()[0]['msg']}"
        ) from None


def server_home(server: str) -> Path:
    """A named server's own home, kept between its runs (so that ``npx`` and ``uvx`` find
    their caches): one per server name, never shared with another server."""
    from mcpward._paths import user_data_dir

    safe = re.sub(r"[^A-Za-z0-9._-]", "_", server).lstrip(".") or "server"
    homes = user_data_dir() / "sandbox-homes"
    # Owner-only, whatever a server does to its own home's mode from inside: what it leaves
    # there (a program, a socket) is reachable by no other user of the host.
    homes.mkdir(mode=0o700, parents=True, exist_ok=True)
    homes.chmod(0o700)
    return homes / safe


def backends() -> list[Backend]:
    """In order of preference: namespaces where the kernel allows them (bubblewrap, the
    quickest to start, else a container engine), else Landlock."""
    from mcpward._plugins import implementations
    from mcpward.sandbox import _backends

    return sorted(
        implementations(_backends.__name__, _backends.__path__, Backend),
        key=lambda backend: backend.preference,
    )


def load_profile(
    path: Path | None,
    *,
    no_link: bool = False,
    accept: Callable[[os.stat_result], str | None] | None = None,
) -> Profile:
    """The profile at ``path`` (none: the default). ``no_link`` and ``accept`` are checked on
    the file opened: a link there is refused, and so is a file ``accept`` gives a reason for."""
    if path is None:
        return Profile()
    # TOML as people write it; JSON as the gateway writes profiles made from registry entries.
    return load_settings(
        path, Profile, SandboxError, root="profile", accept_json=True, no_link=no_link, accept=accept
    )


def choose_backend(name: str | None) -> Backend:
    known = [backend.name for backend in backends()]
    if name is not None and name not in known:
        # A misspelt name (`bwrap`) was told that no backend works here, every working one listed.
        raise SandboxError(f"unknown sandbox backend {name[:80]!r}; choose from {', '.join(known)}")
    for backend in backends():
        if name not in (None, backend.name) or (name is None and backend.explicit_only):
            continue
        availability = backend.check()
        if availability.works:
            return backend
        if name is not None:
            raise SandboxError(f"the {name} backend does not work here: {availability.why}")
    reasons = "; ".join(f"{b.name}: {b.check().why}" for b in backends() if not b.explicit_only)
    raise SandboxError(f"no sandbox backend works on this machine ({reasons}); see `mcpward sandbox check`")


def run_sandboxed(
    profile: Profile,
    argv: list[str],
    *,
    report: Callable[[dict[str, Any]], None],
    backend: Backend | None = None,
    resolve: dict[str, tuple[str, int]] | None = None,
    server: str = "server",
    home: Path | None = None,
    servers_own: Mapping[str, str] | None = None,
) -> int:
    """Run ``argv`` confined, with standard input and output passed through; its exit status.
    With outbound inspection in the profile, the standard streams are relayed line by line so
    that outbound requests are linked to the tool call in flight. ``home`` is the server's own
    home, kept between runs (its package cache, its data); without it, an empty one per run.
    ``servers_own``: variables set aside for the server (its entry's), read as if in the
    environment for it, and never by the sandbox itself."""
    chosen = backend or choose_backend(None)
    given = {**os.environ, **(servers_own or {})}
    env = {name: given[name] for name in profile.env.allow if name in given}
    env.update(profile.env.set)
    env.update({name: fetch_secret(name, source) for name, source in profile.env.secrets.items()})
    for name in ("PATH", "LANG", "LC_ALL", "TERM"):
        if name in given:
            env.setdefault(name, given[name])
    state = Path(tempfile.mkdtemp(prefix="mcpward-sandbox-"))
    if home is not None:
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        strip_privilege_bits(home)  # left by an earlier version, or an earlier run cut short
        (state / "home").symlink_to(home.resolve(), target_is_directory=True)
    socket_dir = state / "proxy"
    socket_dir.mkdir()
    mapped = {name: _address(target) for name, target in profile.network.resolve.items()}
    resolved = {**mapped, **(resolve or {})}
    calls = CallTracker() if profile.inspect.enabled else None
    inspection = _interception(profile, server, env, calls, report, state) if calls is not None else None
    proxy = EgressProxy(
        socket_dir / "egress.sock",
        profile.network,
        report,
        resolve=resolved,
        tcp=chosen.proxy_over_tcp,
        inspection=inspection,
    )
    proxy.start()
    groups = ControlGroups.made(profile, limit_group_name(state))
    process: subprocess.Popen[bytes] | None = None
    stopped: _Stop | None = None
    launch: Launch | None = None
    try:
        sock = socket_dir / "egress.sock"
        # None of the programs that start the server may act on what the C library reads.
        launched = hold_back(env)
        launch = chosen.launch(
            profile, argv, state=state, proxy_socket=sock, env=launched, proxy_port=proxy.port
        )
        relayed = subprocess.PIPE if calls is not None else None
        process = subprocess.Popen(
            launch.argv,
            env=launch.env or None,
            stdin=relayed,
            stdout=relayed,
            preexec_fn=groups.entry() if chosen.enters_limit_groups else ControlGroups().entry(),
            start_new_session=True,  # its own process group, so that nothing it started outlives it
        )
        stopped = _Stop(process)
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(number, stopped.pass_on)
        if calls is None:
            return process.wait()
        return _relay(process, calls)
    finally:
        if stopped is not None:
            stopped.cancel()
        if launch is not None and launch.cleanup:
            with contextlib.suppress(OSError, subprocess.TimeoutExpired):
                subprocess.run(launch.cleanup, capture_output=True, timeout=30, check=False)
        proxy.stop()
        shutil.rmtree(state, ignore_errors=True)
        for limit, times in groups.limits_hit().items():
            report({"method": "limit", "decision": "block", "limit": limit, "times": times,
                    "reason": f"the sandbox's {limit} limit stopped the server {times} time(s)"})  # fmt: skip
        groups.kill_leftovers(process.pid if process is not None else None)
        groups.remove()
        if home is not None:
            strip_privilege_bits(home)


def strip_privilege_bits(home: Path) -> None:
    """Setuid and setgid bits and file capabilities off everything in a server's home, once the
    server has ended: a server run as root could leave a root-owned setuid program there for
    host users (the backends refuse these inside where they can; this holds for every one).
    Walked by descriptor, never following a link, so that nothing outside the home changes."""
    if not home.is_dir() or home.is_symlink():
        return
    for _, folders, files, folder in os.fwalk(home):
        for name in (*folders, *files):
            with contextlib.suppress(OSError):
                mode = os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode
                if not (mode & _SET_ID_BITS or (stat.S_ISREG(mode) and mode & 0o111)):
                    continue
                opened = os.open(
                    name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder
                )
                try:
                    mode = os.fstat(opened).st_mode
                    if (stat.S_ISREG(mode) or stat.S_ISDIR(mode)) and mode & _SET_ID_BITS:
                        os.fchmod(opened, stat.S_IMODE(mode) & ~_SET_ID_BITS)
                    if stat.S_ISREG(mode):
                        with contextlib.suppress(OSError):  # most have none
                            os.removexattr(opened, "security.capability")
                finally:
                    os.close(opened)
    with contextlib.suppress(OSError):
        mode = home.lstat().st_mode
        if mode & _SET_ID_BITS:
            home.chmod(stat.S_IMODE(mode) & ~_SET_ID_BITS)


_SET_ID_BITS = stat.S_ISUID | stat.S_ISGID


def _interception(
    profile: Profile,
    server: str,
    env: dict[str, str],
    calls: CallTracker,
    report: Callable[[dict[str, Any]], None],
    state: Path,
) -> Interception:
    """The proxy's outbound inspection: the gateway's authority (its bundle put where the
    server's CA variables point), the judge, and the context that verifies upstreams."""
    from mcpward._paths import user_data_dir
    from mcpward.dlp.policy import PolicyError, load_policy
    from mcpward.gateway import learned_destinations
    from mcpward.sandbox._authority import CertificateAuthority
    from mcpward.sandbox._interception import Interception
    from mcpward.sandbox._outbound import OutboundInspector

    rules = profile.inspect
    authority = CertificateAuthority(user_data_dir() / "inspection-ca")
    # The home (a named server's, kept between runs) is the server's to fill, links included:
    # written by descriptor, nothing there followed (the gateway may be root).
    home = state / "home"
    home.mkdir(exist_ok=True)
    write_in_home(home.resolve(), Path(CA_BUNDLE), authority.bundle())
    try:
        policy = load_policy(rules.dlp_policy) if rules.dlp_policy else None
    except PolicyError as exc:
        raise SandboxError(f"the profile's DLP policy: {exc}") from None
    inspector = OutboundInspector(
        server,
        rules,
        allowed_hosts=profile.network.allow,
        known_secrets=env.values(),
        learned=learned_destinations(rules.baseline, server) if rules.baseline else (),
        policy=policy,
    )
    upstream = ssl.create_default_context()
    if rules.upstream_ca is not None:
        try:
            upstream.load_verify_locations(rules.upstream_ca)
        except (OSError, ssl.SSLError) as exc:
            raise SandboxError(f"the profile's upstream_ca {rules.upstream_ca}: {exc}") from None
    upstream.set_alpn_protocols(["http/1.1"])
    return Interception(authority, inspector, calls, upstream, report)


def _relay(process: subprocess.Popen[bytes], calls: CallTracker) -> int:
    """Standard input to the server and its output back, each line seen by the call tracker;
    the server's exit status once its output is drained."""
    assert process.stdin is not None and process.stdout is not None
    inbound = threading.Thread(
        target=pump_lines, args=(sys.stdin.buffer, process.stdin, calls.from_client), daemon=True
    )
    outbound = threading.Thread(
        target=pump_lines, args=(process.stdout, sys.stdout.buffer, calls.from_server), daemon=True
    )
    inbound.start()
    outbound.start()
    code = process.wait()
    outbound.join(timeout=5)
    return code


#: How long a server asked to stop may take before its run's whole group is killed: twice the
#: grace the launcher and the bridge give it before they kill it and end what it left (this is
#: for a backend whose first process does not end in time).
_STOP_GRACE_SECONDS = 2 * STOP_GRACE_SECONDS


class _Stop:
    """A stop asked of the run (SIGTERM, SIGINT, SIGHUP): passed on to the sandbox's first
    process, then, past the grace, its whole process group killed. The run waited for a server
    that ignored SIGTERM for ever, with its folder and control groups left in place."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process
        self._killer = threading.Timer(_STOP_GRACE_SECONDS, self._kill)
        self._killer.daemon = True

    def pass_on(self, signum: int, frame: object) -> None:
        with contextlib.suppress(OSError):
            self._process.send_signal(signum)
        if self._killer.ident is None:
            self._killer.start()

    def cancel(self) -> None:
        self._killer.cancel()

    def _kill(self) -> None:
        if self._process.poll() is None:  # its own group (start_new_session), not yet reaped
            with contextlib.suppress(OSError):
                os.killpg(self._process.pid, signal.SIGKILL)


def _address(target: str) -> tuple[str, int]:
    host, _, port = target.rpartition(":")
    return host.strip("[]"), int(port)
