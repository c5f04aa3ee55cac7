"""The sandbox's abstractions: a profile (what a server may reach, read, write, see and use)
and the backends that enforce one (``_backends/``, one module each)."""

from __future__ import annotations

import contextlib
import grp
import json
import os
import pwd
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mcpward._regex import compiled
from mcpward.errors import McpwardError
from mcpward.sandbox._landlock_launcher import HELD_BACK


class SandboxError(McpwardError):
    """A sandbox that cannot be set up; the message says why and what to do."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_HOST = compiled(r"^(\*\.)?[a-z0-9.-]+(:\d{1,5})?$")
#: What a host the server asks for may be: a name (underscores too, as some have) or an
#: address. Judged before any rule: the rules compare text, and the resolver that gets the host
#: next reads a name only up to a NUL (``outside.test\x00.example.com`` matched
#: ``*.example.com`` and the proxy connected to ``outside.test``).
_ASKED_HOST = compiled(r"[a-z0-9._-]+|[0-9a-f:.]+")


class NetworkRules(_Strict):
    #: ``host``, ``host:port`` or ``*.domain[:port]``; without a port, 443 and 80.
    allow: tuple[str, ...] = ()
    #: ``name:port`` -> ``host:port`` the proxy connects to instead (a local mirror standing for
    #: a real host, or a test's loopback server); the name must still be allowed. The only way
    #: for a name to reach loopback, link-local or private addresses (the proxy refuses a name
    #: resolving there: the name's DNS may be the server's author's).
    resolve: dict[str, str] = {}

    @field_validator("allow")
    @classmethod
    def _hosts(cls, hosts: tuple[str, ...]) -> tuple[str, ...]:
        for host in hosts:
            if not _HOST.match(host.lower()):
                raise ValueError(f"{host!r} is not a host, host:port or *.domain")
        return tuple(h.lower() for h in hosts)

    def allows(self, host: str, port: int) -> bool:
        host = host.lower().rstrip(".")
        if not _ASKED_HOST.fullmatch(host):
            return False
        for rule in self.allow:
            name, _, wanted = rule.partition(":")
            ports = {int(wanted)} if wanted else {80, 443}
            if port not in ports:
                continue
            if name.startswith("*.") and (host.endswith(name[1:]) and host != name[2:]):
                return True
            if host == name:
                return True
        return False


class FileRules(_Strict):
    #: Paths bound read-only, and read-write, at the same place inside.
    read: tuple[Path, ...] = ()
    write: tuple[Path, ...] = ()


class EnvRules(_Strict):
    #: Variables passed from the launching environment (by name).
    allow: tuple[str, ...] = ()
    #: Variables set to fixed (non-secret) values.
    set: dict[str, str] = {}
    #: Secrets fetched at launch: name -> ``env:VAR``, ``file:PATH[#KEY]`` or
    #: ``keyring:SERVICE/USER``.
    secrets: dict[str, str] = {}


class Limits(_Strict):
    memory_mb: int = Field(default=2048, ge=16)
    processes: int = Field(default=256, ge=4)
    cpu_seconds: int = Field(default=3600, ge=1)
    file_size_mb: int = Field(default=1024, ge=1)


class InspectionRules(_Strict):
    """Outbound inspection (off by default): the proxy terminates the server's TLS with a
    certificate from the gateway's own authority, trusted only inside the sandbox, and judges
    each request against the tool call in flight."""

    #: Intercept HTTPS (plain HTTP is inspected whenever this section is enabled).
    tls: bool = False
    #: Hosts to inspect (same forms as ``network.allow``); empty means every allowed host.
    hosts: tuple[str, ...] = ()
    #: Addresses, phone numbers, domains (``example.com`` covers its addresses, sub-domains and
    #: URLs) that the server may send to without the call naming them: its own sender, say.
    declared: tuple[str, ...] = ()
    #: A gateway baseline file whose learned destinations for this server count as declared.
    baseline: Path | None = None
    #: A recipient field (to, cc, bcc, ...) holding an address the call did not name.
    recipients: Literal["alert", "block"] = "block"
    #: Any other address, phone number or URL host the call did not name.
    undeclared: Literal["alert", "block"] = "alert"
    #: What cannot be inspected: a pinned certificate, HTTP/2, an unknown encoding, a body
    #: over ``max_body_mb``. ``allow`` passes it with a record; ``block`` refuses it.
    uninspectable: Literal["allow", "block"] = "allow"
    #: A DLP policy file (TOML, as ``mcpward dlp scan --policy``); the built-in rules otherwise.
    dlp_policy: Path | None = None
    #: Extra certificate authorities the proxy trusts for upstream servers (a private API).
    upstream_ca: Path | None = None
    max_body_mb: int = Field(default=16, ge=1, le=1024)

    @property
    def enabled(self) -> bool:
        return self.tls

    def covers(self, host: str, port: int) -> bool:
        return not self.hosts or NetworkRules(allow=self.hosts).allows(host, port)


class Profile(_Strict):
    network: NetworkRules = NetworkRules()
    files: FileRules = FileRules()
    env: EnvRules = EnvRules()
    limits: Limits = Limits()
    inspect: InspectionRules = InspectionRules()


@dataclass(frozen=True, slots=True)
class Availability:
    works: bool
    why: str


@dataclass(frozen=True, slots=True)
class Launch:
    """What to run on the host (with exactly this environment: secrets go here, never on a
    command line, where any user's ``ps`` would see them), and what removes whatever the
    server could leave behind once it has ended (a container an engine keeps running)."""

    argv: list[str]
    env: dict[str, str]
    cleanup: tuple[str, ...] = ()


#: Folders no server sees unless its profile mounts something in them: every home (the user's
#: keys, cloud credentials, browser profiles, other MCP configs, shell histories) and the
#: runtime folders where sockets to other services live. The server's own home replaces the
#: user's, and /tmp is private.
HIDDEN_FOLDERS = ("/home", "/root", "/run", "/var/run", "/mnt", "/media")

#: The uid and gid a sandboxed server runs under when mcpward runs as root: an id no user,
#: group or subordinate range of the host has (so nothing of the host's is its own, and no
#: host process shares it), below 2**31 (some tools read ids as signed), above the ranges
#: Debian, useradd's subordinate ids (to 600,100,000) and systemd (dynamic users, containers
#: to 1,879,048,191) hand out, and below systemd's foreign range (2,147,352,576).
#: ``MCPWARD_SANDBOX_UID`` chooses another where this one is taken.
SERVER_ID = 2_000_000_000
SERVER_ID_VARIABLE = "MCPWARD_SANDBOX_UID"


def server_identity() -> tuple[int, int] | None:
    """The uid and gid a sandboxed server runs under, or None when mcpward is not root (the
    server is then the invoking user, whom root-only files refuse already). Never root's: file
    permissions then refuse the server every root-only file of the host, wherever it is."""
    if os.geteuid() != 0:
        return None
    text = os.environ.get(SERVER_ID_VARIABLE, "").strip()
    if text and not text.isdigit():
        raise SandboxError(f"{SERVER_ID_VARIABLE} must be a number, not {text[:40]!r}")
    number = int(text) if text else SERVER_ID
    if not 1 <= number < 2**31 - 1 or number == 65535:
        raise SandboxError(
            f"{SERVER_ID_VARIABLE}={number}: the sandbox's id must be from 1 to 2147483646, not 65535"
        )
    for kind, lookup in (("user", pwd.getpwuid), ("group", grp.getgrgid)):
        with contextlib.suppress(KeyError):
            name = lookup(number)[0]
            raise SandboxError(
                f"the sandbox's id {number} is this host's {kind} {name!r}: a server run as it could reach "
                f"what that {kind} owns; set {SERVER_ID_VARIABLE} to an id no user or group has"
            )
    for ranges in ("/etc/subuid", "/etc/subgid"):
        for owner, start, count in _subordinate_ranges(Path(ranges)):
            if start <= number < start + count:
                raise SandboxError(
                    f"the sandbox's id {number} is in {owner}'s subordinate ids ({ranges}): their "
                    f"containers may run as it; set {SERVER_ID_VARIABLE} to an id outside every range"
                )
    return number, number


def _subordinate_ranges(path: Path) -> list[tuple[str, int, int]]:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    ranges = []
    for line in lines[:10000]:
        owner, _, rest = line.partition(":")
        start, _, count = rest.partition(":")
        if start.strip().isdigit() and count.strip().isdigit():
            ranges.append((owner, int(start), int(count)))
    return ranges


def hand_over(folder: Path, identity: tuple[int, int]) -> None:
    """``folder``, made by the sandbox for the server (its home, its temporary folder), owned by
    the server's identity and by no one else's reach (0700). What is in it is handed over too
    the first time (a home a root server filled before servers ran under their own id), walked
    by descriptor, never following a link."""
    info = folder.lstat()
    if (info.st_uid, info.st_gid) != identity:
        for _, folders, files, descriptor in os.fwalk(folder):
            for name in (*folders, *files):
                with contextlib.suppress(OSError):
                    os.chown(name, *identity, dir_fd=descriptor, follow_symlinks=False)
        os.chown(folder, *identity, follow_symlinks=False)
    folder.chmod(0o700)


def limit_group_name(state: Path) -> str:
    """The control groups' name for the sandbox whose state folder is ``state``: the folder's
    own name (``mcpward-sandbox-...``, unique per run), so that a backend can put its server
    there itself."""
    return state.name


#: Where, under the server's private home, the inspecting proxy's authority is put (with the
#: system's authorities, so that what is not inspected still verifies).
CA_BUNDLE = ".mcpward/ca-bundle.pem"
_CA_VARIABLES = (
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "GIT_SSL_CAINFO",
    "AWS_CA_BUNDLE",
    "DENO_CERT",
    "PIP_CERT",
    "npm_config_cafile",
)


#: Variables the C library acts on as any program starts: a library to preload, where to find
#: libraries, an auditing library, character set modules, locale and message files, a file the
#: loader writes its output to, tunables (whose parsing was itself a hole, CVE-2023-4911). Those
#: glibc ignores in a privileged program (its ``unsecvars.h``, but TMPDIR, which the sandbox sets).
READ_AT_START = compiled(
    r"LD_\w*|GCONV_PATH|GETCONF_DIR|GLIBC_TUNABLES|HOSTALIASES|LOCALDOMAIN|LOCPATH|MALLOC_TRACE"
    r"|NIS_PATH|NLSPATH|RESOLV_HOST_CONF|RES_OPTIONS|TZDIR"
)


def hold_back(env: dict[str, str]) -> dict[str, str]:
    """``env`` with its :data:`READ_AT_START` variables held back in :data:`HELD_BACK`: every
    program that starts the server (bubblewrap and the engines' clients on the host, the
    Landlock launcher before Landlock, the bridge with its capabilities, the filter's launcher
    before the filter) is run with this environment, and a library the profile preloaded ran in
    each, outside the sandbox. :data:`HELD_BACK` (one JSON object) takes them to the last step,
    the launcher, which sets them for the server's program alone: what they load runs as the
    server, inside."""
    held = {name: value for name, value in env.items() if READ_AT_START.fullmatch(name)}
    kept = {name: value for name, value in env.items() if name not in held and name != HELD_BACK}
    return {**kept, HELD_BACK: json.dumps(held)} if held else kept


def released(env: dict[str, str]) -> dict[str, str]:
    """What :func:`hold_back` held back, set again (for a backend with nothing before the
    server: ``none``)."""
    held = json.loads(env.get(HELD_BACK, "{}"))
    return {**{name: value for name, value in env.items() if name != HELD_BACK}, **held}


def server_environment(
    env: dict[str, str], *, home: str, temporary: str, proxy_port: int, inspect_tls: bool = False
) -> dict[str, str]:
    """What a confined server sees: the profile's variables, its private home and /tmp, and the
    egress proxy as the way out for HTTP clients (Python's, Node's and npm's); with TLS
    inspection, the bundle that trusts the proxy's authority, for this server only."""
    proxy = f"http://127.0.0.1:{proxy_port}"
    authorities = {name: f"{home}/{CA_BUNDLE}" for name in _CA_VARIABLES} if inspect_tls else {}
    return {
        **authorities,
        **env,
        "HOME": home,
        "TMPDIR": temporary,
        "PATH": env.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HTTP_PROXY": proxy,
        "HTTPS_PROXY": proxy,
        "http_proxy": proxy,
        "https_proxy": proxy,
        "NODE_USE_ENV_PROXY": "1",
        "npm_config_proxy": proxy,
        "npm_config_https_proxy": proxy,
    }


class Backend(ABC):
    name: str
    #: Where it comes in the order of preference (lowest first): ``backends()`` lists the
    #: modules of ``sandbox/_backends``, so adding a backend is adding a module.
    preference: int = 50
    #: True for a backend that is never chosen unless named (``none``).
    explicit_only: bool = False
    #: True when the server reaches the egress proxy on a loopback TCP port (no network
    #: namespace to bridge a unix socket into).
    proxy_over_tcp: bool = False
    #: False when the backend puts the server in the profile's control groups itself (a
    #: container engine, through its cgroup parent) rather than the launched host process.
    enters_limit_groups: bool = True

    @abstractmethod
    def check(self) -> Availability:
        """Whether this backend works on this machine, tried for real, and why not."""

    @abstractmethod
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
        """The host command that runs ``argv`` confined by ``profile``."""
