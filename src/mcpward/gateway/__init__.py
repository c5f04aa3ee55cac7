"""``mcpward gateway``: enforce the registry on every call between an AI client and an MCP
server, and keep a call-level audit log.

The checks are interceptors (``_interceptors/``, one module each) with the hooks of
:class:`~mcpward.gateway.interface.Interceptor`, composed in the order of ``_pipeline`` and
configured from one TOML file (:class:`GatewayConfig`, a section per interceptor).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from mcpward._lazy import lazy_attributes
from mcpward.gateway.interface import Exchange, Identity, Interceptor, Refusal, SecurityEvent, Session

if TYPE_CHECKING:
    from mcpward._http_server import serve_http
    from mcpward.gateway._audit import AuditLog, anchor_paths, default_audit_log, records, verify
    from mcpward.gateway._audit import Verdict as AuditVerdict
    from mcpward.gateway._audit import check as check_audit_log
    from mcpward.gateway._audit import checked as checked_audit_records
    from mcpward.gateway._config import (
        ConfigError,
        GatewayConfig,
        ServeConfig,
        load_config,
    )
    from mcpward.gateway._http import ClientLimits, create_app, new_client_token
    from mcpward.gateway._http_session import Upstream
    from mcpward.gateway._interceptors.baseline import learned_destinations
    from mcpward.gateway._interceptors.pins import approve as approve_pins
    from mcpward.gateway._oauth import ResourceServer, TokenExchange
    from mcpward.gateway._pipeline import build_interceptors
    from mcpward.gateway._quarantine import Quarantine, QuarantineError
    from mcpward.gateway._quarantine import default_folder as default_quarantine_folder
    from mcpward.gateway._relay import Relay
    from mcpward.gateway._sinks import AuditMirrorError, AuditSink
    from mcpward.gateway._stdio import run_stdio
    from mcpward.gateway._wrap import unwrap, wrap

#: Exported, imported at the first use: the configuration pulls in pydantic and every
#: interceptor's settings, the HTTP front end FastAPI, the pins every detector of inspect, wrap
#: the scan's hosts; a sandbox run needs only the audit log and the message types (a sandbox
#: per server start paid 0.25 s of imports for the configuration it never read).
__getattr__ = lazy_attributes(
    __name__,
    {
        "AuditLog": ("mcpward.gateway._audit", "AuditLog"),
        "anchor_paths": ("mcpward.gateway._audit", "anchor_paths"),
        "records": ("mcpward.gateway._audit", "records"),
        "verify": ("mcpward.gateway._audit", "verify"),
        "check_audit_log": ("mcpward.gateway._audit", "check"),
        "checked_audit_records": ("mcpward.gateway._audit", "checked"),
        "AuditVerdict": ("mcpward.gateway._audit", "Verdict"),
        "ConfigError": ("mcpward.gateway._config", "ConfigError"),
        "GatewayConfig": ("mcpward.gateway._config", "GatewayConfig"),
        "ServeConfig": ("mcpward.gateway._config", "ServeConfig"),
        "default_audit_log": ("mcpward.gateway._audit", "default_audit_log"),
        "load_config": ("mcpward.gateway._config", "load_config"),
        "learned_destinations": ("mcpward.gateway._interceptors.baseline", "learned_destinations"),
        "build_interceptors": ("mcpward.gateway._pipeline", "build_interceptors"),
        "Quarantine": ("mcpward.gateway._quarantine", "Quarantine"),
        "QuarantineError": ("mcpward.gateway._quarantine", "QuarantineError"),
        "default_quarantine_folder": ("mcpward.gateway._quarantine", "default_folder"),
        "Relay": ("mcpward.gateway._relay", "Relay"),
        "AuditMirrorError": ("mcpward.gateway._sinks", "AuditMirrorError"),
        "ClientLimits": ("mcpward.gateway._http", "ClientLimits"),
        "Upstream": ("mcpward.gateway._http_session", "Upstream"),
        "serve_http": ("mcpward._http_server", "serve_http"),
        "create_app": ("mcpward.gateway._http", "create_app"),
        "new_client_token": ("mcpward.gateway._http", "new_client_token"),
        "approve_pins": ("mcpward.gateway._interceptors.pins", "approve"),
        "run_stdio": ("mcpward.gateway._stdio", "run_stdio"),
        "unwrap": ("mcpward.gateway._wrap", "unwrap"),
        "wrap": ("mcpward.gateway._wrap", "wrap"),
    },
)

__all__ = [
    "AuditLog",
    "AuditMirrorError",
    "AuditVerdict",
    "ClientLimits",
    "ConfigError",
    "Exchange",
    "GatewayConfig",
    "Identity",
    "Interceptor",
    "Quarantine",
    "QuarantineError",
    "Refusal",
    "Relay",
    "SecurityEvent",
    "ServeConfig",
    "Session",
    "Upstream",
    "anchor_paths",
    "approve_pins",
    "build_interceptors",
    "check_audit_log",
    "checked_audit_records",
    "create_app",
    "default_audit_log",
    "default_quarantine_folder",
    "learned_destinations",
    "load_config",
    "make_baseline",
    "make_sinks",
    "mirror_audit_log",
    "new_client_token",
    "quarantine",
    "records",
    "resource_server_from",
    "run_stdio",
    "serve_http",
    "token_exchange_from",
    "unwrap",
    "verify",
    "wrap",
]


def quarantine(config: GatewayConfig, audit_log: Path) -> Quarantine:
    """The folder of held results the config names (default beside ``audit_log``)."""
    from mcpward.gateway._quarantine import Bounds, Quarantine, default_folder

    settings = config.quarantine
    bounds = Bounds(settings.max_items, settings.max_bytes, settings.max_item_bytes)
    return Quarantine(settings.path or default_folder(audit_log), bounds)


def make_sinks(config: GatewayConfig, log: Path | None = None) -> list[AuditSink]:
    """The audit mirrors the config asks for; made once per process and closed at its end. The
    registry mirror first adds what ``log`` holds and the database lacks."""
    from mcpward.gateway._config import ConfigError
    from mcpward.gateway._sinks import OtlpSink, RegistrySink

    sinks: list[AuditSink] = []
    try:
        if config.audit.otlp_endpoint:
            sinks.append(OtlpSink(config.audit.otlp_endpoint))
        if config.audit.registry:
            database = None if config.audit.registry == "local" else config.audit.registry
            sinks.append(RegistrySink(database, catch_up=log))
    except Exception as exc:  # noqa: BLE001 - reported as a config problem
        raise ConfigError(f"audit sink: {exc}") from None
    return sinks


def mirror_audit_log(path: Path, database: str) -> int:
    """Mirror the records of the audit log at ``path`` that the registry database (``local`` or
    a URL) lacks; how many were added. Raises :class:`AuditMirrorError` for a log whose chain
    does not hold."""
    from mcpward.gateway._sinks import mirror_log
    from mcpward.registry import Registry

    registry = Registry.open(None if database == "local" else database)
    try:
        return mirror_log(path, registry)
    finally:
        registry.database.dispose()


def resource_server_from(
    config: GatewayConfig, *, resource: str | None = None, clock: Callable[[], float] = time.time
) -> ResourceServer | None:
    """``gateway serve``'s OAuth resource server as ``[auth]`` sets it up (None without
    issuers); a secret source that cannot be read is a :class:`ConfigError`. ``resource``
    replaces the configured public URL (tests serve on a port chosen at start); ``clock``
    is the wall clock tokens are judged by."""
    from mcpward.gateway._oauth import IssuerSettings, ResourceServer, ResourceSettings

    auth = config.auth
    resource = resource or auth.resource
    if not auth.issuers or resource is None:
        return None
    issuers = []
    for issuer in auth.issuers:
        secret = _configured_secret(
            "introspection_secret", issuer.introspection_secret, f"auth.issuers {issuer.issuer}"
        )
        issuers.append(
            IssuerSettings(
                issuer=issuer.issuer,
                jwks_url=issuer.jwks_url,
                algorithms=issuer.algorithms,
                groups_claim=issuer.groups_claim,
                introspection_url=issuer.introspection_url,
                introspection_client_id=issuer.introspection_client_id,
                introspection_secret=secret,
            )
        )
    return ResourceServer(
        ResourceSettings(
            resource=resource,
            issuers=tuple(issuers),
            scopes=auth.scopes,
            leeway=auth.leeway_seconds,
            max_token_lifetime=auth.max_token_lifetime,
            jwks_refresh=auth.jwks_refresh_seconds,
            jwks_max_age=auth.jwks_max_age_seconds,
            jwks_min_refetch=auth.jwks_min_refetch_seconds,
            introspections_per_second=auth.introspections_per_second,
            other_audiences=auth.other_audiences,
            server_issuers=config.server_issuers(),
        ),
        clock=clock,
    )


def token_exchange_from(config: GatewayConfig, server: str) -> TokenExchange | None:
    """The RFC 8693 exchange ``[servers.NAME.token_exchange]`` sets up (None without one); a
    secret source that cannot be read is a :class:`ConfigError`."""
    from mcpward.gateway._oauth import ExchangeSettings, TokenExchange

    settings = config.servers[server].token_exchange
    if settings is None:
        return None
    secret = _configured_secret("client_secret", settings.client_secret, f"servers.{server}.token_exchange")
    # With one issuer its tokens are the only ones there are (the config names it with several).
    issuers = config.auth.issuers
    only_issuer = issuers[0].issuer if len(issuers) == 1 else None
    return TokenExchange(
        ExchangeSettings(
            token_url=settings.token_url,
            client_id=settings.client_id,
            client_secret=secret,
            audience=settings.audience,
            resource=settings.resource,
            scope=settings.scope,
            issuer=settings.issuer or only_issuer,
        )
    )


def _configured_secret(name: str, source: str | None, where: str) -> str | None:
    """The secret a config section names by its source (None without one); a source that
    cannot be read is a :class:`ConfigError` naming ``where``."""
    if not source:
        return None
    from mcpward.gateway._config import ConfigError
    from mcpward.sandbox import SandboxError, fetch_secret

    try:
        return fetch_secret(name, source)
    except SandboxError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def make_baseline(config: GatewayConfig) -> Interceptor:
    """The baseline interceptor; ``gateway serve`` makes one and shares it between sessions so
    that their counts add up."""
    from mcpward.gateway._interceptors.baseline import Baseline

    return Baseline.configured(config)
