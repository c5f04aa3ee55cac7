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
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from mcpward._regex import compiled


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


class ThreatRule(enum.StrEnum):
    """Behaviour that needs no earlier version to judge. Each names a source-to-sink flow or
    a fixed text that does one thing only (``bash -i >& /dev/tcp/...``)."""

    DOWNLOAD_AND_RUN = "download-and-run"
    DECODED_CODE_RUN = "decoded-code-run"
    REMOTE_SHELL = "remote-shell"
    PERSISTENCE = "persistence"
    PRIVILEGE_ESCALATION = "privilege-escalation"
    DEFENCE_EVASION = "defence-evasion"
    CREDENTIAL_EXFILTRATION = "credential-exfiltration"
    COMMAND_INJECTION = "command-injection"
    HIDDEN_CODE_RUN = "hidden-code-run"
    HOST_INFO_EXFILTRATION = "host-info-exfiltration"
    TOOL_CAPABILITY_MISMATCH = "tool-capability-mismatch"
    INSTALL_TIME_CODE = "install-time-code"
    COVERT_CAPTURE = "covert-capture"
    SELF_PROPAGATION = "self-propagation"


@dataclass(frozen=True, slots=True)
class Threat:
    rule: ThreatRule
    #: Source to sink, as a reviewer reads it: "requests.get() (line 3) -> exec() (line 5)".
    flow: str
    path: str
    line: int
    #: True when the flow reaches its sink (or the text is unambiguous); False when the parts
    #: only meet in one function: one severity step lower.
    reaches: bool = True
    #: What a ``covert-capture`` takes: screen, clipboard, keyboard or host (the finding is
    #: dropped when a tool of the package documents that capture).
    capture: str = ""


@dataclass(frozen=True, slots=True)
class ToolDeclaration:
    """A tool the code registers, with what its handler's code path can do."""

    name: str
    description: str
    path: str
    line: int
    #: Capabilities its handler uses: process-spawn, sensitive-files, dynamic-code, ...
    uses: tuple[tuple[str, str, int], ...] = ()


@dataclass(slots=True)
class CodeFacts:
    destinations: list[Destination] = field(default_factory=list)
    capabilities: list[CapabilityUse] = field(default_factory=list)
    obfuscation: list[Obfuscation] = field(default_factory=list)
    #: Files not analysed, with the reason.
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: Files analysed in part or not at all because they exceed the analysis budget: code that
    #: was not read cannot pass quietly.
    incomplete: list[tuple[str, str]] = field(default_factory=list)
    #: Modules a file loads (``require("./x")``, ``import "pkg/sub"``), as written.
    imports: list[str] = field(default_factory=list)
    #: What stands out in tests, docs and examples that nothing which runs loads, as (path,
    #: line, what): read so a miss in entry-point detection is still seen, but never blocking.
    unreached: list[tuple[str, int, str]] = field(default_factory=list)
    threats: list[Threat] = field(default_factory=list)
    tools: list[ToolDeclaration] = field(default_factory=list)

    def extend(self, other: CodeFacts) -> None:
        self.threats.extend(other.threats)
        self.tools.extend(other.tools)
        self.destinations.extend(other.destinations)
        self.capabilities.extend(other.capabilities)
        self.obfuscation.extend(other.obfuscation)
        self.skipped.extend(other.skipped)
        self.incomplete.extend(other.incomplete)


#: A file of more tokens than this is not parsed: its syntax tree alone would take hundreds of
#: megabytes (the largest file of the 22 real packages has 0.6 million).
MAX_FILE_TOKENS = 1_000_000
#: Tokens parsed, and seconds spent, for one package at most.
MAX_PACKAGE_TOKENS = 4_000_000
MAX_PACKAGE_SECONDS = 30.0
#: Syntax tree nodes walked between two looks at the clock.
CLOCK_EVERY = 4096

_WORD = bytes(range(48, 58)) + bytes(range(65, 91)) + bytes(range(97, 123)) + b"_$"
_TOKEN_CLASSES = bytes(
    ord("w") if byte in _WORD or byte >= 0x80 else ord(" ") if byte in b" \t\r\n\f\v" else ord("p")
    for byte in range(256)
)


def count_tokens(source: bytes) -> int:
    """Words and punctuation characters: a bound on the syntax tree's size, counted at C speed."""
    classes = source.translate(_TOKEN_CLASSES)
    return (
        classes.count(b"p")
        + classes.count(b" w")
        + classes.count(b"pw")
        + (1 if classes.startswith(b"w") else 0)
    )


class AnalysisBudget:
    """The work one package may cost: tokens parsed and seconds spent, so a small hostile
    archive cannot hold vet for minutes or gigabytes."""

    def __init__(
        self,
        tokens: int = MAX_PACKAGE_TOKENS,
        seconds: float = MAX_PACKAGE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tokens_left = tokens
        self.clock = clock
        self.deadline = clock() + seconds

    def admit(self, source: bytes, limit: int = MAX_FILE_TOKENS) -> str | None:
        """None when a file may be parsed (its tokens are then spent), else why not."""
        if self.expired():
            return "the package's analysis time is spent"
        tokens = count_tokens(source)
        if tokens > limit:
            return f"{tokens} tokens: too many to parse (limit {limit})"
        if tokens > self.tokens_left:
            return "the package's analysis budget is spent"
        self.tokens_left -= tokens
        return None

    def expired(self) -> bool:
        return self.clock() > self.deadline


class SourceAnalyzer(ABC):
    #: File name endings this analyser reads.
    suffixes: tuple[str, ...]

    @abstractmethod
    def analyze(self, path: str, source: bytes, budget: AnalysisBudget | None = None) -> CodeFacts:
        """Facts of one source file; never executes or imports it. Work beyond ``budget``
        is reported in ``CodeFacts.incomplete``."""


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
        "sendall",
        "sendfile",
        "storbinary",
        "storlines",
        "upload_file",
        "upload_fileobj",
        "put_object",
    }
)
SENSITIVE_PATH = compiled(
    r"\.ssh(?:/|\\|$)|id_rsa|id_ed25519|id_ecdsa|\.aws[/\\]credentials|(?:^|[/\\])\.env$|\.npmrc|"
    r"\.pypirc|\.git-credentials|\.netrc|\.docker[/\\]config\.json|\.kube[/\\]config|Login Data|"
    r"Local State|User Data[/\\]Default|\.mozilla[/\\]firefox|Library[/\\]Keychains|"
    r"claude_desktop_config\.json|\.cursor[/\\]mcp\.json|wallet\.dat|\.gnupg",
    re.IGNORECASE,
)


def names_sensitive_path(value: str) -> bool:
    """A path-like value naming a credential store; prose that mentions one (a log message
    telling the user where their config file is) is not a path."""
    return (
        len(value) < 512
        and "\n" not in value
        and value.count(" ") <= 3
        and SENSITIVE_PATH.search(value) is not None
    )


#: Credential and secret stores as a path or a path's part (``os.path.join(home, ".aws",
#: "credentials")``, ``Path.home() / ".ssh"``): keys, cloud and registry credentials, browser
#: password, cookie and token stores, keychains, wallets, shell histories, the password files.
#: Used only for what flows to the network, never on its own.
CREDENTIAL_STORE = compiled(
    r"\.ssh(?:/|\\|$)|\bid_(?:rsa|dsa|ecdsa|ed25519)\b|\.aws(?:[/\\]|$)|\.azure(?:[/\\]|$)"
    r"|\.config[/\\]gcloud|\bgcloud(?:[/\\]|$)|application_default_credentials\.json|\.kube(?:[/\\]|$)"
    r"|\.docker(?:[/\\]config\.json|$)|\.gnupg|(?:^|[/\\])\.env(?:\.\w+)?$|\.netrc|\.git-credentials"
    r"|\.npmrc|\.pypirc|Login Data|Web Data|(?:^|[/\\])Cookies$|Local State|cookies\.sqlite|logins\.json"
    r"|key[34]\.db|signons\.sqlite|Local Storage[/\\]leveldb|\bleveldb$|Telegram Desktop|\btdata\b"
    r"|Keychains|\.keychain(?:-db)?$|wallet\.dat|\.(?:kdbx|ppk)$|\.(?:bash|zsh|python)_history"
    r"|^/etc/(?:shadow|passwd|master\.passwd)$|\.mozilla[/\\]firefox|User Data[/\\]Default"
    r"|claude_desktop_config\.json|\.cursor[/\\]mcp\.json",
    re.IGNORECASE,
)
#: Commands whose output is a secret: keychain and credential-manager dumps, Wi-Fi keys.
CREDENTIAL_COMMAND = compiled(
    r"\bsecurity\s+(?:find-(?:generic|internet)-password|dump-keychain)|\bcmdkey\s+/list"
    r"|\bnetsh\s+wlan\s+show\s+profiles?\b[^\n]*key=clear|\breg\s+(?:query|save)\s+[^\n]*\\(?:SAM|SECURITY)\b"
    r"|\bvaultcmd\b|\bsecret-tool\s+lookup|\bcat\s+[^\n|;&]*(?:\.ssh/|\.aws/|/etc/shadow|\.env\b)",
    re.IGNORECASE,
)
#: Commands whose output describes the host or its user.
HOST_COMMAND = compiled(
    r"^\s*(?:whoami|hostname|uname|id|ipconfig|ifconfig|systeminfo|quser|who|w|net\s+user|ip\s+a(?:ddr)?"
    r"|sw_vers|lsb_release|cat\s+/etc/(?:os-release|hostname|issue))\b",
    re.IGNORECASE,
)
#: Commands whose output is the whole environment.
ENVIRONMENT_COMMAND = compiled(r"^\s*(?:env|printenv|set|export\s+-p)\s*$", re.IGNORECASE)
#: Environment variables that name the user or the machine.
HOST_VARIABLES = frozenset({"USER", "USERNAME", "LOGNAME", "HOSTNAME", "COMPUTERNAME", "USERDOMAIN"})


#: Programs that run the text or file they are given: data handed to one is code.
INTERPRETERS = frozenset(
    {
        "sh", "bash", "zsh", "dash", "ksh", "fish", "python", "python3", "node", "deno", "bun", "perl",
        "ruby", "php", "powershell", "powershell.exe", "pwsh", "cmd", "cmd.exe", "osascript", "wscript",
        "cscript", "mshta", "eval", "source", "exec", "xargs", "sudo", "env",
    }
)  # fmt: skip


def runs_data(program: str | None) -> bool:
    """Whether a command whose fixed start is ``program`` runs the data it is given: unknown
    (``None``, the whole command is data) or an interpreter or shell."""
    if program is None:
        return True
    name = program.replace("\\", "/").rsplit("/", 1)[-1].lower()
    return name in INTERPRETERS or name.startswith("python")


def names_credential_store(value: str) -> bool:
    """A path, or a part of one, that names a credential or secret store."""
    return (
        len(value) < 512
        and "\n" not in value
        and value.count(" ") <= 3
        and (SENSITIVE_PATH.search(value) is not None or CREDENTIAL_STORE.search(value) is not None)
    )


def command_output_label(command: str) -> str | None:
    """What a command's output is, when the command is known to print one thing: ``secret``,
    ``host-info`` or ``environment``."""
    if CREDENTIAL_COMMAND.search(command):
        return "secret"
    if ENVIRONMENT_COMMAND.match(command):
        return "environment"
    if HOST_COMMAND.match(command):
        return "host-info"
    return None


#: Text that only does one thing. Matched on folded string values (literals, constants,
#: concatenations), never on comments.
REVERSE_SHELL_TEXT = compiled(
    r"/dev/(?:tcp|udp)/[\w.$%{}-]+/|\b(?:nc|ncat|netcat|nc\.traditional)\b[^\n]{0,80}\s-[a-z]*[ec]\s"
    r"|\b(?:ba|z|da)?sh\s+-i\b[^\n]{0,60}[<>]&|\bsocat\b[^\n]{0,80}\bexec:|\bmkfifo\b[^\n]{0,120}"
    r"\b(?:nc|ncat|telnet|openssl)\b|Net\.Sockets\.TCPClient|\btelnet\b[^\n]{0,60}\|\s*/bin/(?:ba)?sh"
    r"|\bdup2\(\s*\w+\.fileno\(\)\s*,\s*[012]\s*\)",
    re.IGNORECASE,
)
DOWNLOAD_RUN_TEXT = compiled(
    r"\b(?:curl|wget)\b[^\n|;&]{0,300}\|\s*(?:sudo\s+)?(?:ba|z|da)?sh\b"
    r"|\b(?:curl|wget)\b[^\n]{0,300}(?:&&|;)\s*(?:sudo\s+)?chmod\s+(?:\+|[0-7]*[157])"
    r"|\b(?:iex|Invoke-Expression)\b[^\n]{0,120}\b(?:DownloadString|Invoke-WebRequest|iwr|irm|Invoke-RestMethod)\b"
    r"|\.DownloadString\([^\n]{0,200}\)[^\n]{0,20}\|\s*(?:iex|Invoke-Expression)"
    r"|\bcertutil\b[^\n]{0,40}-urlcache\b|\bbitsadmin\b[^\n]{0,40}/transfer\b"
    r"|\bpowershell(?:\.exe)?\b[^\n]{0,60}\s-e(?:nc|ncodedcommand)?\s+[A-Za-z0-9+/=]{20,}"
    r"|\bmshta\b[^\n]{0,20}https?://|\bregsvr32\b[^\n]{0,60}/i:https?://"
    r"|\bexec\s*\([^\n]{0,40}\b(?:urlopen|requests\.get|urllib\.request\.urlopen)\s*\(",
    re.IGNORECASE,
)
PERSISTENCE_TEXT = compiled(
    r"/etc/cron|/var/spool/cron|\bcrontab\b|\.config/systemd/user|/etc/systemd/system|/lib/systemd/system"
    r"|\bsystemctl\s+(?:--user\s+)?enable\b|Library/Launch(?:Agents|Daemons)|\blaunchctl\s+(?:load|bootstrap)"
    r"|\.config/autostart|/etc/xdg/autostart|/etc/rc\.local|/etc/init\.d/|/etc/profile"
    r"|(?:^|[/\\~])\.(?:bashrc|bash_profile|bash_login|zshrc|zprofile|zlogin|zshenv|profile)\b"
    r"|CurrentVersion\\+Run(?:Once|Services)?\b|Start Menu\\+Programs\\+Startup"
    r"|\bschtasks(?:\.exe)?\s+/create"
    r"|(?:New|Register)-ScheduledTask|\\Winlogon\\|Image File Execution Options|authorized_keys"
    r"|/etc/ld\.so\.preload|\bsc(?:\.exe)?\s+create\b|\bNew-Service\b",
    re.IGNORECASE,
)
PRIVILEGE_TEXT = compiled(
    r"/etc/sudoers|\bNOPASSWD\b|\bchmod\s+(?:[ug]?\+s|[2467][0-7]{3})\b"
    r"|\busermod\b[^\n]{0,40}-a?G\s*(?:sudo|wheel|root|admin)\b|\bnet\s+localgroup\s+administrators\b",
    re.IGNORECASE,
)
DEFENCE_EVASION_TEXT = compiled(
    r"HISTFILE=/dev/null|\bunset\s+HISTFILE\b|\bhistory\s+-c\b|\bset\s+\+o\s+history\b|HISTSIZE=0"
    r"|\bwevtutil(?:\.exe)?\s+(?:cl|clear-log)\b|\bClear-EventLog\b|\bauditctl\s+-D\b"
    r"|\bSet-MpPreference\b[^\n]{0,80}-Disable|DisableAntiSpyware|DisableRealtimeMonitoring"
    r"|\bnetsh\s+(?:adv)?firewall\s+set\b[^\n]{0,40}\boff\b|\bsetenforce\s+0\b|\bufw\s+disable\b"
    r"|(?:\brm\b|\bshred\b|\btruncate\b|>)[^\n]{0,40}(?:/var/log/|\.bash_history)"
    r"|\b(?:pkill|killall|taskkill|Stop-Process|Stop-Service|kill\s+-9)\b[^\n]{0,60}"
    r"(?:MsMpEng|defender|avast|kaspersky|norton|mcafee|sophos|bitdefender|falcon|crowdstrike|sentinel"
    r"|carbonblack|cylance|osquery|auditd|sysmon|clamd|wireshark|tcpdump|procmon|littlesnitch)"
    r"|\brundll32(?:\.exe)?\b[^\n]{0,120}\.dll\b|\bregsvr32(?:\.exe)?\s+/s\b",
    re.IGNORECASE,
)
#: Commands that publish packages or mint registry tokens: what a worm runs to spread through
#: the maintainer's own packages; an MCP server's code has no reason to.
PROPAGATION_TEXT = compiled(
    r"\b(?:npm|yarn|pnpm)(?:\s+|[\"'],\s*[\"'])(?:--?[\w-]+(?:\s+|[\"'],\s*[\"'])){0,4}publish\b"
    r"|\btwine(?:\s+|[\"'],\s*[\"'])upload\b|\bnpm\s+token\s+create\b"
    r"|\bgem\s+push\b|\bcargo\s+publish\b",
    re.IGNORECASE,
)
#: A package registry's credentials: the token files, variables and the search for a
#: maintainer's packages a worm makes to find what to publish next.
REGISTRY_CREDENTIAL = compiled(
    r"\.npmrc\b|\.pypirc\b|_authToken|\bNPM_TOKEN\b|\bNODE_AUTH_TOKEN\b|\bTWINE_PASSWORD\b"
    r"|\bPYPI_(?:API_)?TOKEN\b|\bnpm\s+whoami\b|maintainer:|\bls-packages\b"
)
#: A package manifest's name rewritten (``pkg.name = ...``, ``data["name"] = ...``) in a file
#: that names one: a release bumps a version, only a copy under a new identity renames.
MANIFEST_RENAME = compiled(r"\.name\s*=(?!=)|\[\s*[\"']name[\"']\s*\]\s*=(?!=)")
MANIFEST_FILE = compiled(r"\bpackage\.json\b|\bpyproject\.toml\b|\bsetup\.py\b")
#: A command that downloads to a file: the file it writes (``curl -o F``, ``wget -O F``,
#: ``Invoke-WebRequest -OutFile F``, ``certutil -urlcache -f URL F``).
DOWNLOAD_COMMAND = compiled(
    r"\b(?:curl|wget)\b[^\n|;&]{0,300}?\s(?:-o|-O|--output|--output-document)(?:\s+|=)[\"']?([^\s\"';&|]+)"
    r"|\b(?:Invoke-WebRequest|iwr|wget|curl)\b[^\n|;&]{0,300}?-OutFile\s+[\"']?([^\s\"';&|]+)"
    r"|\bcertutil(?:\.exe)?\b[^\n]{0,40}-urlcache\b[^\n]{0,40}?\s\S+://\S+\s+[\"']?([^\s\"';&|]+)",
    re.IGNORECASE,
)
#: A DLL written to a place of the system's or another program's (a drive's path, a Windows
#: folder variable): planted to be loaded by that program in its name. A package's own folder
#: (prebuilt binaries put beside its code) is not such a place.
NATIVE_LIBRARY = compiled(
    r"^(?:[A-Za-z]:[\\/]|%\w+%|\\\\|[^\n]*(?:Program Files|System32|SysWOW64|AppData|ProgramData))"
    r"[^\n]*\.dll$",
    re.IGNORECASE,
)


def downloaded_file(command: str) -> str | None:
    """The file a download command writes, its base name; None when it is not one."""
    match = DOWNLOAD_COMMAND.search(command)
    if match is None:
        return None
    target = next((g for g in match.groups() if g), "")
    return target.replace("\\", "/").rsplit("/", 1)[-1] or None


#: Commands that photograph the screen.
SCREEN_COMMAND = compiled(
    r"^\s*(?:screencapture|scrot|gnome-screenshot|spectacle|grim|maim|xwd\s+-root|import\s+-window\s+root)\b",
    re.IGNORECASE,
)
#: Each fixed text with the rule it names.
THREAT_TEXTS = (
    (REVERSE_SHELL_TEXT, ThreatRule.REMOTE_SHELL),
    (DOWNLOAD_RUN_TEXT, ThreatRule.DOWNLOAD_AND_RUN),
    (PERSISTENCE_TEXT, ThreatRule.PERSISTENCE),
    (PRIVILEGE_TEXT, ThreatRule.PRIVILEGE_ESCALATION),
    (DEFENCE_EVASION_TEXT, ThreatRule.DEFENCE_EVASION),
)


def named_techniques(value: str, line: int, in_call: bool) -> Iterator[tuple[ThreatRule, str]]:
    """Each technique a fixed text of the code names (``THREAT_TEXTS``), with what the finding
    says of it; ``in_call``: the text is in the call that writes or runs it."""
    where = (
        "in a call that writes or runs it"
        if in_call
        else "in a function that writes files or starts processes"
    )
    for pattern, rule in THREAT_TEXTS:
        match = pattern.search(value)
        if match is not None:
            yield rule, f"{match.group(0)[:80]!r} (line {line}) {where}"


#: How an executable file begins (Windows PE, ELF, Mach-O), written as bytes, as base64 or as hex.
_EXECUTABLE_STARTS = (
    (b"MZ\x90\x00", "a Windows executable"),
    (b"\x7fELF", "an ELF executable"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xfe\xed\xfa\xcf", "a Mach-O executable"),
)
_EXECUTABLE_TEXT_STARTS = (
    ("TVqQAAMAAAAEAAAA", "a Windows executable in base64"),
    ("TVpQAAIAAAAEAA", "a Windows executable in base64"),
    ("f0VMRgIBAQ", "an ELF executable in base64"),
    ("f0VMRgEBAQ", "an ELF executable in base64"),
    ("z/rt/gcAAA", "a Mach-O executable in base64"),
    ("4d5a90000300", "a Windows executable in hex"),
    ("7f454c460201", "an ELF executable in hex"),
    ("7f454c460101", "an ELF executable in hex"),
)


def embedded_executable(value: str | bytes) -> str | None:
    """What kind of executable file a long literal holds, if it holds one: a program carried
    as text inside the code, to be written out and run."""
    if len(value) < 64:
        return None
    if isinstance(value, bytes):
        return next((what for start, what in _EXECUTABLE_STARTS if value.startswith(start)), None)
    head = value[:32].lstrip()
    for start, what in _EXECUTABLE_TEXT_STARTS:
        if head.startswith(start) or (head.lower().startswith(start) and what.endswith("hex")):
            return what
    raw = head.encode("latin-1", "replace")
    return next((what for start, what in _EXECUTABLE_STARTS if raw.startswith(start)), None)


#: What binary data (an image, a font, a sound) starts with once decoded: a blob of it is data.
_MEDIA_MAGIC = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"RIFF",
    b"wOFF",
    b"wOF2",
    b"OTTO",
    b"\x00\x01\x00\x00",
    b"%PDF",
    b"ID3",
    b"fLaC",
    b"OggS",
    b"\x00\x00\x00\x1cftyp",
    b"\x00\x00\x00\x20ftyp",
    b"<svg",
    b"<?xml",
    b"BM",
)


def is_media_blob(value: str) -> bool:
    """A base64 or hex blob that decodes to an image, font, sound or document."""
    import base64
    import binascii

    head = value[:64].strip()
    try:
        if all(c in "0123456789abcdefABCDEF" for c in head):
            data = bytes.fromhex(head[: len(head) // 2 * 2])
        else:
            data = base64.b64decode(head[: len(head) // 4 * 4])
    except (binascii.Error, ValueError):
        return False
    return data.startswith(_MEDIA_MAGIC)


#: Files whose removal or truncation hides what happened.
EVIDENCE_PATH = compiled(r"^/var/log/|\.(?:bash|zsh|python)_history$|/\.local/share/fish/fish_history$")

_EMAIL = compiled(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}(?![\w-])"
)
_URL = compiled(r"\b(?:https?|wss?|ftp|smtps?)://[^\s'\"<>`\\)]{1,2048}", re.IGNORECASE)
_IPV4 = compiled(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
_HOST = compiled(r"^(?=.{4,253}$)(?:[a-z0-9-]{1,63}\.)+[a-z]{2,24}$", re.IGNORECASE)
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
