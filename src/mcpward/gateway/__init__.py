"""``mcpward gateway``: enforce the registry on every call between an AI client and an MCP
server, and keep a call-level audit log.

The checks are interceptors (``_interceptors/``, one module each) with the hooks of
:class:`~mcpward.gateway.interface.Interceptor`, composed in the order of :data:`ORDER` and
configured from one TOML file (:class:`GatewayConfig`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mcpward._lazy import lazy_attributes
from mcpward._settings import load_settings
from mcpward.errors import McpwardError
from mcpward.gateway._audit import AuditLog, anchor_paths, records, verify
from mcpward.gateway._audit import check as check_audit_log
from mcpward.gateway._interceptors.baseline import learned_destinations
from mcpward.gateway._interceptors.policy import ToolPolicyConfig
from mcpward.gateway._quarantine import Bounds, Quarantine, QuarantineError
from mcpward.gateway._quarantine import default_folder as default_quarantine_folder
from mcpward.gateway._relay import DEFAULT_MAX_MESSAGE, Relay
from mcpward.gateway._sinks import AuditSink
from mcpward.gateway.interface import Exchange, Interceptor, Refusal, SecurityEvent, Session

if TYPE_CHECKING:
    from mcpward.dlp.policy import DlpPolicy
    from mcpward.gateway._http import ClientLimits, Upstream, create_app
    from mcpward.gateway._interceptors.pins import approve as approve_pins
    from mcpward.gateway._stdio import run_stdio
    from mcpward.gateway._wrap import unwrap, wrap

#: Exported, imported at the first use: the HTTP front end pulls in FastAPI, the pins every
#: detector of inspect, wrap the scan's hosts.
__getattr__ = lazy_attributes(
    __name__,
    {
        "ClientLimits": ("mcpward.gateway._http", "ClientLimits"),
        "Upstream": ("mcpward.gateway._http", "Upstream"),
        "create_app": ("mcpward.gateway._http", "create_app"),
        "approve_pins": ("mcpward.gateway._interceptors.pins", "approve"),
        "run_stdio": ("mcpward.gateway._stdio", "run_stdio"),
        "unwrap": ("mcpward.gateway._wrap", "unwrap"),
        "wrap": ("mcpward.gateway._wrap", "wrap"),
    },
)

__all__ = [
    "AuditLog",
    "ClientLimits",
    "ConfigError",
    "Exchange",
    "GatewayConfig",
    "Interceptor",
    "Quarantine",
    "QuarantineError",
    "Refusal",
    "Relay",
    "SecurityEvent",
    "Session",
    "Upstream",
    "anchor_paths",
    "approve_pins",
    "build_interceptors",
    "check_audit_log",
    "create_app",
    "default_audit_log",
    "default_quarantine_folder",
    "learned_destinations",
    "load_config",
    "make_baseline",
    "make_sinks",
    "quarantine",
    "records",
    "run_stdio",
    "unwrap",
    "verify",
    "wrap",
]


class ConfigError(McpwardError):
    """A gateway config that cannot be used; the message names the file and the place."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AuditConfig(_Strict):
    #: JSON lines file; default ``gateway-audit.jsonl`` in the user data folder.
    path: Path | None = None
    #: Also send logs and traces to this OTLP/HTTP collector (``http://host:4318``).
    otlp_endpoint: str | None = Field(default=None, pattern=r"^https?://")
    #: Also mirror the records into the registry database: ``local`` or a database URL.
    registry: str | None = None


class RegistryConfig(_Strict):
    enabled: bool = False
    #: ``local``, a database URL, or a registry server's URL.
    source: str = "local"


class PinsConfig(_Strict):
    enabled: bool = True
    #: Pin store file; default the one ``inspect --pin`` uses.
    store: Path | None = None
    first_use: Literal["pin", "withhold"] = "pin"


class DlpConfig(_Strict):
    enabled: bool = True
    #: A DLP policy (``mcpward dlp scan --policy``'s TOML); without one secrets are redacted
    #: and personal data is recorded.
    policy: Path | None = None
    scan_results: bool = True
    #: What instructions for the model found in what a server sends do: alert (recorded, passed),
    #: block, quarantine (an answer is held for a reviewer, see [quarantine]) or off.
    injection: Literal["alert", "block", "quarantine", "off"] = "alert"


class QuarantineConfig(_Strict):
    #: Folder of held results; default ``LOG.held`` beside the audit log.
    path: Path | None = None
    #: Bounds on what is held (a result past one is refused, nothing held is evicted).
    max_items: int = Field(default=1000, ge=1, le=1_000_000)
    max_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    max_item_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    #: A released result's next identical answer passes once within this many hours.
    release_hours: float = Field(default=24.0, gt=0, le=24 * 365)


class ClientToken(_Strict):
    name: str = Field(min_length=1, max_length=100)
    #: The sha256 (hex) of the token: the config never holds the token itself.
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class ServeConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=1, le=65535)
    #: Host header values (and Origin hosts) accepted; default the loopback names at the port.
    allowed_hosts: tuple[str, ...] = ()
    clients: tuple[ClientToken, ...] = ()
    #: Seconds after which a session with no request is ended (its server stopped).
    idle_timeout: float = Field(default=1800.0, ge=1)
    # Per client (token). Each session is a server process: an assistant holds one per server,
    # a few windows or agents a handful, so 8 is room to spare while one leaked or runaway
    # token cannot start more than that (and 64 in all, whoever asks).
    max_sessions_per_client: int = Field(default=8, ge=1, le=10_000)
    max_sessions: int = Field(default=64, ge=1, le=100_000)
    #: A reconnecting client opens a few a minute; a loop opening and ending sessions is stopped.
    new_sessions_per_minute: int = Field(default=30, ge=1)
    #: Tool calls are paced by a model (a few a second at most); the burst covers a session's
    #: start (initialize, listings) and calls made in parallel.
    requests_per_second: float = Field(default=20.0, gt=0)
    request_burst: int = Field(default=60, ge=1)


class UpstreamConfig(_Strict):
    #: The server's command and arguments, started without a shell, one process per session;
    command: tuple[str, ...] = ()
    #: or a remote server's streamable-HTTP URL,
    url: str | None = Field(default=None, pattern=r"^https?://")
    #: with headers whose values are read from these environment variables (header -> variable).
    headers_from_env: dict[str, str] = {}

    @model_validator(mode="after")
    def _one_upstream(self) -> UpstreamConfig:
        if bool(self.command) == bool(self.url):
            raise ValueError("give either command (a list) or url")
        return self


class BaselineConfig(_Strict):
    enabled: bool = True
    #: Default ``gateway-baseline.json`` in the user data folder.
    path: Path | None = None
    learning_calls: int = Field(default=20, ge=1)
    dormant_days: float = Field(default=30.0, gt=0)
    spike_factor: float = Field(default=5.0, gt=1)


class SandboxConfig(_Strict):
    #: Run every stdio server in the sandbox with this profile;
    profile: Path | None = None
    #: or with a profile made from its registry entry's data scope. Unset, this follows the
    #: registry check: an approved server runs confined to what its review documented.
    from_registry: bool | None = None


class GatewayConfig(_Strict):
    max_message: int = Field(default=DEFAULT_MAX_MESSAGE, ge=1024, le=1 << 30)
    #: Seconds a server has to answer one request.
    call_timeout: float = Field(default=120.0, gt=0, le=86400)
    audit: AuditConfig = AuditConfig()
    registry: RegistryConfig = RegistryConfig()
    pins: PinsConfig = PinsConfig()
    policy: ToolPolicyConfig = ToolPolicyConfig()
    dlp: DlpConfig = DlpConfig()
    quarantine: QuarantineConfig = QuarantineConfig()
    baseline: BaselineConfig = BaselineConfig()
    sandbox: SandboxConfig = SandboxConfig()
    serve: ServeConfig = ServeConfig()
    servers: dict[str, UpstreamConfig] = {}


def default_audit_log() -> Path:
    from mcpward._paths import user_data_dir

    return user_data_dir() / "gateway-audit.jsonl"


def load_config(path: Path | None) -> GatewayConfig:
    if path is None:
        return GatewayConfig()
    return load_settings(path, GatewayConfig, ConfigError, root="config")


def build_interceptors(
    config: GatewayConfig,
    *,
    audit_log: AuditLog,
    command: tuple[str, ...] = (),
    url: str | None = None,
    shared_baseline: Interceptor | None = None,
    sinks: Sequence[AuditSink] = (),
) -> list[Interceptor]:
    """The pipeline, in order: checks that can refuse come before the audit, which records
    their decision before anything is forwarded."""
    from mcpward.gateway._interceptors.audit import Audit
    from mcpward.gateway._interceptors.dlp import Dlp
    from mcpward.gateway._interceptors.pins import Pins
    from mcpward.gateway._interceptors.policy import Policy

    interceptors: list[Interceptor] = []
    if config.registry.enabled:
        from mcpward.gateway._interceptors.registry import Registry
        from mcpward.registry import approval_index

        source = config.registry.source
        interceptors.append(Registry(lambda: approval_index(source), command=command, url=url))
    if config.pins.enabled:
        from mcpward.inspect import default_pin_store

        interceptors.append(Pins(config.pins.store or default_pin_store(), first_use=config.pins.first_use))
    # After the pins: the policy hides what it refuses from the list the pins have judged, so a
    # denied tool is not reported as removed from its pinned list at every listing.
    if config.policy.enabled:
        interceptors.append(Policy(config.policy))
    if config.dlp.enabled:
        held = quarantine(config, audit_log.path) if config.dlp.injection == "quarantine" else None
        interceptors.append(
            Dlp(
                _dlp_policy(config.dlp),
                scan_results=config.dlp.scan_results,
                injection=config.dlp.injection,
                quarantine=held,
            )
        )
    if config.baseline.enabled:
        interceptors.append(shared_baseline or make_baseline(config))
    interceptors.append(Audit(audit_log, sinks))
    return interceptors


def quarantine(config: GatewayConfig, audit_log: Path) -> Quarantine:
    """The folder of held results the config names (default beside ``audit_log``)."""
    settings = config.quarantine
    bounds = Bounds(settings.max_items, settings.max_bytes, settings.max_item_bytes)
    return Quarantine(settings.path or default_quarantine_folder(audit_log), bounds)


def make_sinks(config: GatewayConfig) -> list[AuditSink]:
    """The audit mirrors the config asks for; made once per process and closed at its end."""
    from mcpward.gateway._sinks import OtlpSink, RegistrySink

    sinks: list[AuditSink] = []
    try:
        if config.audit.otlp_endpoint:
            sinks.append(OtlpSink(config.audit.otlp_endpoint))
        if config.audit.registry:
            sinks.append(RegistrySink(None if config.audit.registry == "local" else config.audit.registry))
    except Exception as exc:  # noqa: BLE001 - reported as a config problem
        raise ConfigError(f"audit sink: {exc}") from None
    return sinks


def make_baseline(config: GatewayConfig) -> Interceptor:
    """The baseline interceptor; ``gateway serve`` makes one and shares it between sessions so
    that their counts add up."""
    from mcpward._paths import user_data_dir
    from mcpward.gateway._interceptors.baseline import Baseline

    settings = config.baseline
    return Baseline(
        settings.path or user_data_dir() / "gateway-baseline.json",
        learning_calls=settings.learning_calls,
        dormant_days=settings.dormant_days,
        spike_factor=settings.spike_factor,
    )


def _dlp_policy(config: DlpConfig) -> DlpPolicy:
    from mcpward.dlp.policy import DlpPolicy, PolicyError, load_policy

    if config.policy is None:
        return DlpPolicy(actions={"secret": "redact"})
    try:
        return load_policy(config.policy)
    except PolicyError as exc:
        raise ConfigError(str(exc)) from None
