"""The vocabulary of ``mcpward agent``: its settings, the scheduler files it installs, and the
base every scheduler module implements (systemd, launchd, the Windows task scheduler)."""

from __future__ import annotations

import re
import shlex
import tomllib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mcpward._addresses import is_this_machine
from mcpward.errors import McpwardError

#: Where ``agent install`` puts the agent's settings on Linux and macOS.
CONFIG_PATH = "/etc/mcpward/agent.toml"


class AgentError(McpwardError):
    """Settings, a token file or a spool that cannot be used; the message says which."""


def _no_control(value: str) -> str:
    if re.search(r"[\x00-\x1f\x7f]", value):
        raise ValueError("control characters are not allowed")
    if re.search(r"[\ud800-\udfff]", value):
        # A name that is not UTF-8 (the shell's bytes, kept as surrogates) has no TOML spelling:
        # written escaped, the settings were refused by every run.
        raise ValueError("not UTF-8 (the settings are TOML, which holds UTF-8 text only)")
    if re.search(r"[\ufffe\uffff]", value):
        # XML 1.0 has neither: the launchd daemon or the Windows task holding one was refused
        # whole by its scheduler, and the agent never ran.
        raise ValueError("U+FFFE and U+FFFF are not allowed (the scheduler's files are XML)")
    return value


class AgentConfig(BaseModel):
    """What the scheduled agent needs: where to report, with which token, what to scan."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: The registry server's base URL.
    registry: str = Field(pattern=r"^https?://[^\s/]+", max_length=2000)
    #: A file holding the API token (reporter role: it sends fleet reports and reads nothing),
    #: readable by the service account only.
    token_file: str = Field(min_length=1, max_length=1000)
    #: The account the agent runs as (it reads every home with CAP_DAC_READ_SEARCH on Linux).
    user: str = Field(default="mcpward", pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\\ -]{0,63}$")
    #: Minutes between runs, and the most minutes a run waits first (so a fleet does not report
    #: at one instant).
    interval_minutes: int = Field(default=360, ge=5, le=7 * 24 * 60)
    jitter_minutes: int = Field(default=30, ge=0, le=24 * 60)
    #: Reports that could not be sent wait here (owner-only), one per home.
    spool: str = Field(default="/var/lib/mcpward-agent/spool", min_length=1, max_length=1000)
    #: The folders whose subfolders are homes (default: every account's home from the system's
    #: user database, uid 1000 and up, and root's).
    homes_under: tuple[str, ...] = Field(default=(), max_length=64)
    #: How the scheduler starts mcpward on the machine.
    command: tuple[str, ...] = Field(default=("/usr/bin/mcpward",), min_length=1, max_length=8)

    @field_validator("token_file", "spool", "registry")
    @classmethod
    def _plain(cls, value: str) -> str:
        return _no_control(value)

    @field_validator("user")
    @classmethod
    def _one_line(cls, value: str) -> str:
        # A backslash ends a systemd unit's line into the next: `User=mcpward\` took the
        # service's ExecStart= into the account's name. Windows names hold one inside only.
        if value.endswith("\\"):
            raise ValueError("an account name cannot end with a backslash")
        return value

    @field_validator("registry")
    @classmethod
    def _private(cls, value: str) -> str:
        # The token goes with every report from every machine: over plain HTTP off this
        # machine anyone on the path could take it (loopback, a tunnel's end, is allowed).
        parts = urlsplit(value)
        if parts.username is not None or parts.password is not None:
            # Sent as Basic authentication in place of the token, and printed with the URL in
            # every line of the agent's log that names the registry.
            raise ValueError("the registry URL cannot hold a user or password (the token file authenticates)")
        if parts.scheme.lower() == "http" and not is_this_machine(parts.hostname):
            raise ValueError(
                "the registry must be https (the token is sent with every report), or on loopback"
            )
        return value

    @field_validator("homes_under", "command")
    @classmethod
    def _plain_items(cls, items: tuple[str, ...]) -> tuple[str, ...]:
        for item in items:
            _no_control(item)
        return items

    @classmethod
    def load(cls, path: Path) -> AgentConfig:
        from mcpward._documents import DocumentError, read_raw
        from mcpward._paths import changeable_by_others

        # They say where the token goes: settings another account could write (a file left
        # 0666, a folder anyone may write) let it point `registry` at its own server and be sent
        # the fleet's token by the next run.
        exposed = changeable_by_others(path)
        if exposed is not None:
            raise AgentError(
                f"the agent settings {path}: {exposed} can be changed by another account; refused"
            )
        try:
            # The bounded reader: a FIFO at the settings path blocked the agent forever and
            # /dev/zero ran it out of memory (an internal error).
            return cls.model_validate(tomllib.loads(read_raw(path).decode("utf-8")))
        except DocumentError as exc:
            raise AgentError(f"cannot read the agent settings {path}: {exc}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise AgentError(f"{path} is not TOML: {exc}") from None
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "the document"
            raise AgentError(f"{path}: {where}: {first['msg']}") from None

    def to_toml(self) -> str:
        import json

        def value(item: object) -> str:
            if isinstance(item, tuple):
                return "[" + ", ".join(json.dumps(part, ensure_ascii=False) for part in item) + "]"
            # As written, not \u-escaped: JSON escapes a character past U+FFFF as two surrogates,
            # which TOML refuses, so every run refused the settings install had written.
            return json.dumps(item, ensure_ascii=False)

        lines = ["# mcpward agent settings (written by `mcpward agent install`)"]
        for name, item in self.model_dump().items():
            lines.append(f"{name} = {value(tuple(item) if isinstance(item, list) else item)}")
        return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class SchedulerFile:
    """A file a scheduler reads, at its absolute path on the target system."""

    path: str
    content: bytes
    mode: int = 0o644


class Scheduler(ABC):
    """One platform's scheduler: the files that run ``mcpward agent run`` on a schedule."""

    platform: ClassVar[str]

    @abstractmethod
    def files(self, config: AgentConfig, config_path: str) -> list[SchedulerFile]:
        """The scheduler's files for ``config``, whose settings file is at ``config_path``."""

    @abstractmethod
    def enable(self) -> list[list[str]]:
        """The commands that load and start the installed files (printed, never run by tests)."""

    def split_command(self, text: str) -> list[str]:
        """The words of ``--command`` as the platform writes a command line (a POSIX shell's
        rules here; ``ValueError`` for an unclosed quote)."""
        return shlex.split(text)
