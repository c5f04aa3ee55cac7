"""The sandbox's abstractions: a profile (what a server may reach, read, write, see and use)
and the backends that enforce one (``_backends/``, one module each)."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator


class SandboxError(Exception):
    """A sandbox that cannot be set up; the message says why and what to do."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_HOST = re.compile(r"^(\*\.)?[a-z0-9.-]+(:\d{1,5})?$")


class NetworkRules(_Strict):
    #: ``host``, ``host:port`` or ``*.domain[:port]``; without a port, 443 and 80.
    allow: tuple[str, ...] = ()
    #: ``name:port`` -> ``host:port`` the proxy connects to instead (a local mirror standing for
    #: a real host, or a test's loopback server); the name must still be allowed.
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


class Profile(_Strict):
    network: NetworkRules = NetworkRules()
    files: FileRules = FileRules()
    env: EnvRules = EnvRules()
    limits: Limits = Limits()


@dataclass(frozen=True, slots=True)
class Availability:
    works: bool
    why: str


@dataclass(frozen=True, slots=True)
class Launch:
    """What to run on the host, and what the sandbox's state folder holds."""

    argv: list[str]
    env: dict[str, str]


def server_environment(env: dict[str, str], *, home: str, temporary: str, proxy_port: int) -> dict[str, str]:
    """What a confined server sees: the profile's variables, its private home and /tmp, and the
    egress proxy as the way out for HTTP clients (Python's, Node's and npm's)."""
    proxy = f"http://127.0.0.1:{proxy_port}"
    return {
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
    #: True for a backend that is never chosen unless named (``none``).
    explicit_only: bool = False
    #: True when the server reaches the egress proxy on a loopback TCP port (no network
    #: namespace to bridge a unix socket into).
    proxy_over_tcp: bool = False

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
