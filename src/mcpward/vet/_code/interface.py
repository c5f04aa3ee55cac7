"""What code analysis extracts from a package, language by language.

Each analyser (one module per language) parses source files with a real parser and reports
facts: where the code sends things (destinations), what it is able to do (capabilities) and
what it hides (obfuscation). The version diff and the verdict work on these facts only, so
a new language means a new module here and nothing else.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field


class Capability(enum.StrEnum):
    NETWORK = "network"
    PROCESS = "process-spawn"
    DYNAMIC_CODE = "dynamic-code"
    SENSITIVE_FILES = "sensitive-files"
    ENVIRONMENT = "whole-environment"


@dataclass(frozen=True, slots=True)
class Destination:
    """A literal (possibly assembled at run time from pieces) that names where data goes."""

    value: str
    kind: str  # email, url, ip, host
    path: str
    line: int
    #: How it reaches an outgoing message or request ("bcc field", "fetch()"), if it does.
    sink: str | None = None


@dataclass(frozen=True, slots=True)
class CapabilityUse:
    capability: Capability
    detail: str  # child_process.exec, eval, ~/.ssh, process.env
    path: str
    line: int


@dataclass(frozen=True, slots=True)
class Obfuscation:
    detail: str
    path: str
    line: int


@dataclass(slots=True)
class CodeFacts:
    destinations: list[Destination] = field(default_factory=list)
    capabilities: list[CapabilityUse] = field(default_factory=list)
    obfuscation: list[Obfuscation] = field(default_factory=list)
    #: Files not analysed, with the reason.
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def extend(self, other: CodeFacts) -> None:
        self.destinations.extend(other.destinations)
        self.capabilities.extend(other.capabilities)
        self.obfuscation.extend(other.obfuscation)
        self.skipped.extend(other.skipped)


class SourceAnalyzer(ABC):
    #: File name endings this analyser reads.
    suffixes: tuple[str, ...]

    @abstractmethod
    def analyze(self, path: str, source: bytes) -> CodeFacts:
        """Facts of one source file; never executes or imports it."""


# -- shared vocabulary -------------------------------------------------------------------------

#: Keys of an outgoing message or request whose value is a recipient or a destination.
DESTINATION_KEYS = frozenset(
    {
        "to",
        "cc",
        "bcc",
        "replyto",
        "reply_to",
        "recipient",
        "recipients",
        "from",
        "sender",
        "webhook",
        "webhookurl",
        "webhook_url",
        "callback",
        "callbackurl",
        "callback_url",
        "url",
        "uri",
        "endpoint",
        "host",
        "hostname",
        "baseurl",
        "base_url",
        "server",
        "forward",
        "forwardto",
    }
)
#: Calls (last name segment, lower case) that send a message or make a request.
SINK_CALLS = frozenset(
    {
        "fetch",
        "request",
        "sendmail",
        "sendemail",
        "sendemailbatch",
        "sendemailwithtemplate",
        "sendmessage",
        "send",
        "post",
        "put",
        "patch",
        "connect",
        "createconnection",
        "websocket",
        "urlopen",
        "get",
        "send_message",
        "sendto",
        "create_connection",
        "axios",
        "got",
        "ky",
    }
)
SENSITIVE_PATH = re.compile(
    r"\.ssh(?:/|\\|$)|id_rsa|id_ed25519|id_ecdsa|\.aws[/\\]credentials|(?:^|[/\\])\.env$|\.npmrc|"
    r"\.pypirc|\.git-credentials|\.netrc|\.docker[/\\]config\.json|\.kube[/\\]config|Login Data|"
    r"Local State|User Data[/\\]Default|\.mozilla[/\\]firefox|Library[/\\]Keychains|"
    r"claude_desktop_config\.json|\.cursor[/\\]mcp\.json|wallet\.dat|\.gnupg",
    re.IGNORECASE,
)

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}(?![\w-])"
)
_URL = re.compile(r"\b(?:https?|wss?|ftp|smtps?)://[^\s'\"<>`\\)]{1,2048}", re.IGNORECASE)
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
_HOST = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9-]{1,63}\.)+[a-z]{2,24}$", re.IGNORECASE)
#: Placeholders in documentation and tests, never a destination.
_NEUTRAL_DOMAINS = ("example.com", "example.org", "example.net", "localhost", "test", "invalid")


def destinations_in(text: str, *, as_host: bool = False) -> list[tuple[str, str]]:
    """``(value, kind)`` of every email address, URL and public IP address in ``text``; with
    ``as_host``, the whole text as a bare host name too (for ``host:`` fields)."""
    found: list[tuple[str, str]] = []
    if len(text) > 100_000:
        text = text[:100_000]
    for match in _URL.finditer(text):
        found.append((match.group(0).rstrip(".,;"), "url"))
    for match in _EMAIL.finditer(text):
        found.append((match.group(0), "email"))
    for match in _IPV4.finditer(text):
        value = match.group(0)
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            continue
        if address.is_global:
            found.append((value, "ip"))
    if as_host and not found and _HOST.match(text.strip()):
        found.append((text.strip().lower(), "host"))
    return [(v, k) for v, k in found if not _is_neutral(v)]


def domain_of(value: str) -> str:
    """The registrable part of a destination's host: ``mail.giftshop.club`` -> ``giftshop.club``."""
    host = value
    if "://" in value:
        host = value.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0]
        host = host.rsplit("@", 1)[-1].split(":", 1)[0]
    elif "@" in value:
        host = value.rsplit("@", 1)[1]
    host = host.lower().strip(".")
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-2]) <= 3 and len(labels[-1]) == 2:  # co.uk, com.au
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _is_neutral(value: str) -> bool:
    domain = domain_of(value)
    return any(domain == d or domain.endswith("." + d) for d in _NEUTRAL_DOMAINS)
