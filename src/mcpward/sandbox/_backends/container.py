"""A container engine (Podman, Docker): the server in a container with no network
(``--network none``: loopback only; the proxy's socket is mounted in and bridged, as with
bubblewrap), a read-only root, every capability dropped, no new privileges, the invoking
user's uid (run by root: the bridge starts as root with CAP_SETUID and CAP_SETGID alone and
starts the server as the sandbox's own uid, as under bubblewrap), no log of its traffic kept by
the engine, and the engine's process and memory
limits (or, when root, the profile's control groups as its cgroup parent, so that hits are
counted as with the other backends).

The image is an empty one made locally (``engine import`` of an empty archive: nothing is
pulled from a registry); the host's system folders are mounted into it read-only, as
bubblewrap shows them, so that the host's node, npx, python and uvx run the server, and every
home and runtime folder is absent unless the profile mounts it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import resource
import shutil
import subprocess
import tarfile
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from mcpward._paths import keep_owner_only, read_own, user_cache_dir
from mcpward._regex import compiled
from mcpward.sandbox._backends._layout import ENGINE_PATH, SYSTEM_FOLDERS, Layout, namespace_layout
from mcpward.sandbox._landlock_launcher import SECCOMP_MACHINES
from mcpward.sandbox.interface import (
    Availability,
    Backend,
    Launch,
    Profile,
    SandboxError,
    limit_group_name,
)

IMAGE = "localhost/mcpward-empty:1"
#: Variables the engine's own client reads: the server's values for these cannot come from
#: the client's environment, and go on the command line (ours: HOME, PATH, TMPDIR).
_CLIENT_VARIABLES = {"HOME", "PATH", "TMPDIR", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
                     "CONTAINER_HOST", "CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF", "DOCKER_HOST",
                     "DOCKER_CONFIG", "DOCKER_CONTEXT"}  # fmt: skip


class _ContainerEngine(Backend):
    program: str
    package: str
    #: The template that prints the engine's cgroup manager (``cgroupfs`` takes a path as a
    #: cgroup parent; ``systemd`` wants a slice).
    cgroup_manager: str
    #: Arguments of ``rm`` that stop a running container at once and ignore a missing one.
    remove: tuple[str, ...] = ("--force",)
    #: The container, not the engine's client, goes into the profile's groups (cgroup parent).
    enters_limit_groups = False

    def check(self) -> Availability:
        engine = _probe(self.program, self.package, self.cgroup_manager)
        return Availability(engine.works, engine.why)

    def launch(
        self,
        profile: Profile,
        argv: list[str],
        *,
        state: Path,
        proxy_socket: Path,
        env: dict[str, str],
        proxy_port: int = 0,
    ) -> Launch:
        engine = _probe(self.program, self.package, self.cgroup_manager)
        if not engine.works:
            raise SandboxError(f"the {self.name} backend does not work here: {engine.why}")
        binary = shutil.which(self.program, path=ENGINE_PATH) or self.program
        layout = namespace_layout(profile, argv, state=state, proxy_socket=proxy_socket, env=env)
        name = limit_group_name(state)
        args = [binary, "run", "--rm", "--interactive", "--name", name, "--pull", "never", *engine.runtime]
        args += _confinement(self.program)
        limits = profile.limits
        if engine.cgroupfs and Path("/sys/fs/cgroup/pids", name).is_dir():
            args += ["--cgroup-parent", f"/{name}"]  # the profile's groups: limits and their hits
        else:
            args += ["--pids-limit", str(limits.processes), "--memory", f"{limits.memory_mb}m"]
        # Run by root the server is the sandbox's own uid, shared by every server: an nproc
        # ulimit would count all of them together (one server's fork bomb starving the others,
        # and hitting it first hid the control group's refusal record). The container's pids
        # limit bounds each server; the ulimit is set as high as this process's own (runc wants
        # one, and cannot raise it past that without a capability the container lacks).
        processes = _shared_uid_nproc() if os.geteuid() == 0 else limits.processes
        args += ["--ulimit", f"nproc={processes}:{processes}"]
        args += _mounts(layout)
        client = {name: value for name, value in os.environ.items() if name not in _NEVER_TO_THE_ENGINE}
        engines_own = {}
        for variable, value in sorted(layout.environment.items()):
            if variable in _CLIENT_VARIABLES:
                args += ["--env", f"{variable}={value}"]
            elif _READ_BY_THE_ENGINE.fullmatch(variable):
                engines_own[variable] = value
            else:  # the value from the client's environment: never on a command line
                args += ["--env", variable]
                client[variable] = value
        if engines_own:
            args += ["--env-file", str(_environment_file(state, engines_own))]
        args += ["--workdir", layout.home, IMAGE, *layout.command]
        return Launch(argv=args, env=client, cleanup=(binary, "rm", *self.remove, name))


#: Variables the engines' clients, and what they start (conmon, the OCI runtime), act on as
#: they set a container up: a server's value for one given to the client changed the engine,
#: not the server (``NOTIFY_SOCKET`` had Podman connect to the host unix socket it named and
#: give the container a socket forwarding to it; ``CONTAINERS_CONF_OVERRIDE`` adds a config
#: of its own, mounts included; ``HTTPS_PROXY``, the sandbox's own, steers a client talking
#: to a remote engine). These reach the container by a file, never the client.
_READ_BY_THE_ENGINE = compiled(
    r"_?(CONTAINERS?|PODMAN|BUILDAH|STORAGE|REGISTRIES|DOCKER|BUILDKIT|BUILDX)_\w*|NOTIFY_SOCKET|LISTEN_\w*"
    r"|GO(DEBUG|TRACEBACK|MAXPROCS|GC|MEMLIMIT|COVERDIR|FIPS)|(HTTPS?|ALL|NO)_PROXY|(https?|all|no)_proxy"
    r"|SSL_CERT_(FILE|DIR)"
)
#: Of this process's own environment, what the engine's client is never given: a gateway run as
#: a systemd service has its notify socket there (and passed sockets), which Podman would
#: forward to from every container.
_NEVER_TO_THE_ENGINE = frozenset({"NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"})


def _environment_file(state: Path, variables: dict[str, str]) -> Path:
    """``variables`` as an ``--env-file`` (one ``NAME=VALUE`` a line, read as written), the
    run's own (0600, in its state folder, removed with it)."""
    if any(not value.isprintable() for value in variables.values()):
        named = ", ".join(name for name, value in variables.items() if not value.isprintable())
        raise SandboxError(
            f"{named[:200]}: a container engine reads this variable itself, and its value (a line "
            "break or control character in it) cannot be given to the container alone"
        )
    path = state / "engine.env"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.writelines(f"{name}={value}\n" for name, value in variables.items())
    return path


class Podman(_ContainerEngine):
    preference = 20
    name = "podman"
    program = "podman"
    package = "podman"
    cgroup_manager = "{{.Host.CgroupManager}}"
    remove = ("--force", "--ignore", "--time", "0")


class Docker(_ContainerEngine):
    preference = 30
    name = "docker"
    program = "docker"
    package = "docker.io"
    cgroup_manager = "{{.CgroupDriver}}"


_FILES = (
    "seccomp: no user namespaces, setuid bits, io_uring or ptrace; of the host's files only its "
    "system folders, read-only; as root, the server runs as the sandbox's own uid"
)


def _shared_uid_nproc() -> int:
    """The nproc ulimit when every server runs as the sandbox's one uid (see ``launch``): as
    high as this process's own and the kernel's pid_max (Podman's runc refused more than
    pid_max here, 32,768, with no capability to raise it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
    try:
        pid_max = int(Path("/proc/sys/kernel/pid_max").read_text())
    except (OSError, ValueError):
        pid_max = 32_768
    return min(n for n in (soft, hard, pid_max, 1 << 20) if n != resource.RLIM_INFINITY)


def _confinement(program: str) -> list[str]:
    """No network, a read-only root, no capabilities, no new privileges, the user's uid, no
    log of the server's standard streams (its tool calls) kept by the engine. As root, the
    bridge keeps what it needs to start the server as the sandbox's uid, and drops it then."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    files = min(soft if soft != resource.RLIM_INFINITY else 65536, 1 << 20)
    flags = ["--network", "none", "--read-only", "--cap-drop", "all", "--security-opt", "no-new-privileges"]
    flags += ["--user", f"{os.getuid()}:{os.getgid()}", "--log-driver", "none"]
    if os.geteuid() == 0:
        # Dropped by the bridge: DAC_READ_SEARCH before anything else runs (it enters the
        # server's home, the sandbox's uid's own), the others once the server has started but
        # KILL, which it keeps to pass a stop on to the server (its container holds no other).
        for capability in ("DAC_READ_SEARCH", "SETUID", "SETGID", "SETPCAP", "KILL"):
            flags += ["--cap-add", capability]
    # The bridge answers DNS on port 53 inside (to refuse and record each query) without the
    # capability to bind low ports; the setting is the container's network namespace's own.
    flags += ["--sysctl", "net.ipv4.ip_unprivileged_port_start=53"]
    # The engine's default open-files limit may be above what this process may grant.
    flags += ["--ulimit", f"nofile={files}:{files}"]
    if program == "podman" and os.geteuid() != 0:
        flags += ["--userns", "keep-id"]  # rootless: the user's own uid inside, not a mapped root
    return flags


def _system_mounts() -> list[str]:
    """The host's system folders read-only (links such as /bin -> usr/bin resolved), as
    bubblewrap shows them; the engine provides /proc, /sys and /dev itself."""
    flags = []
    for entry in map(Path, SYSTEM_FOLDERS):
        if entry.exists():
            flags += ["--mount", _bind(str(entry.resolve()), str(entry), writable=False)]
    return flags


def _mounts(layout: Layout) -> list[str]:
    """The system folders, then the layout's mounts; the engine orders them parent first."""
    flags = _system_mounts()
    for mount in layout.mounts:
        if mount.source is None:
            mode = ",mode=1777" if mount.shared else ""
            flags += ["--tmpfs", f"{mount.target}:rw,exec,nosuid,nodev{mode}"]
        else:
            flags += ["--mount", _bind(mount.source, mount.target, writable=mount.writable)]
    return flags


def _bind(source: str, target: str, *, writable: bool) -> str:
    if "," in source or "," in target:
        raise SandboxError(f"a container engine cannot mount a path with a comma in it: {source}")
    return f"type=bind,source={source},target={target}" + ("" if writable else ",readonly")


def _empty_image() -> bytes:
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w"):
        pass
    return archive.getvalue()


@dataclass(frozen=True, slots=True)
class _Engine:
    works: bool
    why: str
    #: Flags that choose the runtime that works here.
    runtime: tuple[str, ...] = ()
    cgroupfs: bool = False


@cache
def _probe(program: str, package: str, cgroup_manager: str) -> _Engine:
    """Whether the engine runs a confined container here (the empty image made first if
    missing), with which runtime flags, and why not. Podman's default runtime (crun) refuses
    hosts with both cgroup hierarchies; runc, where installed, is tried next.

    A probe that found the engine working is kept (``_ProbeCache``): it costs a container run
    and ``engine info`` (0.9 s with Podman here), and every sandboxed server start made it."""
    binary = shutil.which(program, path=ENGINE_PATH)
    if binary is None:
        return _Engine(False, f"{program} is not installed (Debian package {package})")
    if os.uname().machine not in SECCOMP_MACHINES:
        return _Engine(False, f"the bridge's seccomp filter knows {' and '.join(SECCOMP_MACHINES)} only")
    try:
        trial = [binary, "run", "--rm", "--pull", "never", *_confinement(program),
                 "--ulimit", "nproc=64:64", *_system_mounts(), IMAGE, "/bin/true"]  # fmt: skip
        kept = _ProbeCache(binary, trial)
        engine = kept.read()
        if engine is not None and _run([binary, "image", "inspect", IMAGE]).returncode == 0:
            return engine
        engine = _probe_now(program, binary, trial, cgroup_manager)
        if engine.works:
            kept.write(engine)
        return engine
    except (OSError, subprocess.TimeoutExpired) as exc:
        return _Engine(False, f"{program} did not answer: {exc}")
    except SandboxError as exc:  # a system folder it cannot mount
        return _Engine(False, str(exc))


def _probe_now(program: str, binary: str, trial: list[str], cgroup_manager: str) -> _Engine:
    engine = _run([binary, "version", "--format", "{{.Server.Version}}"])
    if engine.returncode != 0:
        return _Engine(False, f"no {program} engine is reachable: {_last_line(engine)}")
    if _run([binary, "image", "inspect", IMAGE]).returncode != 0:
        made = _run([binary, "import", "-", IMAGE], stdin=_empty_image())
        if made.returncode != 0:
            return _Engine(False, f"{program} could not make its empty image: {_last_line(made)}")
    refusals = []
    runtimes: list[tuple[str, ...]] = [()]
    if program == "podman" and shutil.which("runc", path=ENGINE_PATH):
        runtimes.append(_RUNTIMES["runc"])
    for runtime in runtimes:
        tried = _run([*trial[:4], *runtime, *trial[4:]])
        if tried.returncode == 0:
            version = engine.stdout.decode("utf-8", "replace").strip()
            using = f" with {runtime[1]}" if runtime else ""
            why = f"{program} {version}{using}: no network, read-only root, no capabilities; {_FILES}"
            manager = _run([binary, "info", "--format", cgroup_manager]).stdout.decode().strip()
            return _Engine(True, why, runtime, cgroupfs=manager == "cgroupfs")
        refusals.append(_last_line(tried))
    return _Engine(False, f"{program} could not run a confined container: {'; '.join(refusals)}")


#: The runtimes a probe may choose, by the name a kept probe records (never flags read back).
_RUNTIMES: dict[str, tuple[str, ...]] = {"": (), "runc": ("--runtime", "runc")}
#: How long a kept probe stands; a boot, another engine binary, another engine address in
#: the environment or other confinement flags start anew at once.
_PROBE_LIFETIME = 24 * 3600


class _ProbeCache:
    """A working probe's outcome in the user's cache folder, under a key made of all that
    decides it: the trial's command line (the engine binary, the confinement flags, the uid,
    the system mounts), the binary's identity on disk, the machine's boot and the variables
    that choose which engine the client talks to. Read back only from a file of this user's
    that no one else may write, and only as a runtime name of ``_RUNTIMES``: a forged file can
    name a runtime that fails (the launch then fails, closed), never add a flag. A probe that
    found the engine not working is not kept."""

    def __init__(self, binary: str, trial: list[str]) -> None:
        facts = os.stat(binary)
        try:
            boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        except OSError:
            boot = ""
        chosen = {name: os.environ.get(name, "") for name in sorted(_CLIENT_VARIABLES)}
        identity = [trial, facts.st_ino, facts.st_size, facts.st_mtime_ns, boot, chosen]
        self.key = hashlib.sha256(json.dumps(identity).encode()).hexdigest()
        self.path = user_cache_dir() / "sandbox" / "engines.json"

    def _entries(self) -> dict[str, Any]:
        kept = read_own(self.path, 1 << 20)
        try:
            entries = json.loads(kept) if kept is not None else {}
        except ValueError:
            return {}
        return entries if isinstance(entries, dict) else {}

    def read(self) -> _Engine | None:
        entry = self._entries().get(self.key)
        if not isinstance(entry, dict):
            return None
        runtime, why = entry.get("runtime"), entry.get("why")
        if not isinstance(runtime, str) or runtime not in _RUNTIMES or not isinstance(why, str):
            return None
        if not _fresh(entry.get("at"), time.time()):
            return None
        return _Engine(True, why[:500], _RUNTIMES[runtime], cgroupfs=entry.get("cgroupfs") is True)

    def write(self, engine: _Engine) -> None:
        runtime = next(name for name, flags in _RUNTIMES.items() if flags == engine.runtime)
        now = time.time()
        entries = {
            key: entry
            for key, entry in self._entries().items()
            if isinstance(entry, dict) and _fresh(entry.get("at"), now)
        }
        entries[self.key] = {"runtime": runtime, "why": engine.why, "cgroupfs": engine.cgroupfs, "at": now}
        keep_owner_only(self.path, json.dumps(entries).encode())  # a read-only home: probed each time


def _fresh(at: object, now: float) -> bool:
    """Whether a probe kept at ``at`` still stands (one from the future does not: a clock set
    back would keep it for ever)."""
    return isinstance(at, (int, float)) and 0 <= now - at < _PROBE_LIFETIME


def _run(argv: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(argv, input=stdin, capture_output=True, timeout=60, check=False)


def _last_line(result: subprocess.CompletedProcess[bytes]) -> str:
    lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1] if lines else f"exit status {result.returncode}"
