"""The gateway's configuration, one TOML file: a section per interceptor (each interceptor's
``from_config`` reads its own), the audit log, the front ends and the upstream servers."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mcpward._settings import load_settings
from mcpward.errors import McpwardError
from mcpward.gateway._interceptors.elicitation import ElicitationConfig
from mcpward.gateway._interceptors.policy import ToolPolicyConfig
from mcpward.gateway._relay import DEFAULT_MAX_MESSAGE


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
    #: How often an open session's approval is read again: a revocation (or an expired review)
    #: holds on every session of every replica sharing the registry within this many seconds.
    recheck_seconds: float = Field(default=5.0, gt=0, le=3600)


class PinsConfig(_Strict):
    enabled: bool = True
    #: Pin store file; default the one ``inspect --pin`` uses.
    store: Path | None = None
    #: Or the registry database (``local`` or a database URL): replicas sharing it compare with
    #: the same pins, and a change approved once (``pins approve --database``) holds on all.
    database: str | None = Field(default=None, min_length=1)
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

    @model_validator(mode="after")
    def _injection_checked(self) -> DlpConfig:
        # The injection check runs in the DLP interceptor, on the results it scans: with DLP off
        # or results unscanned, "block" or "quarantine" would pass every injected answer unseen.
        if self.injection in ("block", "quarantine") and not (self.enabled and self.scan_results):
            raise ValueError(
                f'injection = "{self.injection}" needs enabled = true and scan_results = true '
                "(the check reads the results DLP scans)"
            )
        return self


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


def _tls_or_loopback(url: str | None, what: str) -> None:
    """Keys, introspection and token exchange over plain HTTP would let anyone on the path sign
    in as anybody: HTTPS, except to this machine (tests, a sidecar)."""
    if url is None or url.startswith("https://"):
        return
    host = (urlsplit(url).hostname or "").lower()
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"{what} must be https:// (plain http only to this machine): {url}")


class IssuerConfig(_Strict):
    """An authorization server whose access tokens the gateway accepts."""

    #: Its issuer identifier, compared with a token's ``iss`` exactly.
    issuer: str = Field(pattern=r"^https?://")
    #: Its JWKS; unset, found in its RFC 8414 metadata (``jwks_uri``).
    jwks_url: str | None = Field(default=None, pattern=r"^https?://")
    #: Signature algorithms accepted (asymmetric only).
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    #: The claim that lists the subject's groups (``groups``, ``roles``, ...).
    groups_claim: str = "groups"
    #: RFC 7662 introspection, for opaque (non-JWT) tokens, with this client's credentials;
    introspection_url: str | None = Field(default=None, pattern=r"^https?://")
    introspection_client_id: str | None = None
    #: the secret from a secret source (``env:NAME``, ``file:PATH#KEY``, ``keyring:SERVICE/USER``).
    introspection_secret: str | None = None

    @model_validator(mode="after")
    def _asymmetric(self) -> IssuerConfig:
        from mcpward.gateway._oauth import ASYMMETRIC

        _tls_or_loopback(self.issuer, "issuer")
        _tls_or_loopback(self.jwks_url, "jwks_url")
        _tls_or_loopback(self.introspection_url, "introspection_url")
        wrong = [a for a in self.algorithms if a not in ASYMMETRIC]
        if wrong or not self.algorithms:
            raise ValueError(f"algorithms must be asymmetric ones of {', '.join(ASYMMETRIC)}; not {wrong}")
        return self


class AuthConfig(_Strict):
    """``gateway serve`` as an OAuth 2.1 resource server (see ``_oauth``); off without issuers."""

    #: The gateway's public base URL, as clients reach it (``https://gateway.example.com``).
    resource: str | None = Field(default=None, pattern=r"^https?://[^#]+$")
    issuers: tuple[IssuerConfig, ...] = ()
    #: Scopes every token must carry.
    scopes: tuple[str, ...] = ()
    #: Seconds of clock difference allowed on exp and nbf.
    leeway_seconds: float = Field(default=30.0, ge=0, le=300)
    #: Tokens issued for longer than this (exp - iat) are refused: a bearer token is
    #: replayable until it expires.
    max_token_lifetime: float = Field(default=24 * 3600.0, gt=0)
    #: Keys are fetched again after this many seconds,
    jwks_refresh_seconds: float = Field(default=300.0, gt=0)
    #: used at most this long when the issuer cannot be reached (then tokens are refused, 503),
    jwks_max_age_seconds: float = Field(default=3600.0, gt=0)
    #: and fetched for an unknown key id at most once per this many seconds.
    jwks_min_refetch_seconds: float = Field(default=30.0, ge=0)
    #: Introspection requests per second, at most (twice that at once), whoever sends tokens:
    #: an opaque token costs nothing to make up, so each would otherwise be a request to the issuer.
    #: A client address has a quarter of it (see ResourceServer._spend_introspection).
    introspections_per_second: float = Field(default=20.0, gt=0, le=10_000)
    #: Static client tokens ([[serve.clients]]) are accepted beside access tokens.
    static_tokens: bool = True
    #: Audiences a token may name beside this gateway's (its URL, its servers'): RFC 8707 has a
    #: token issued for its resource alone, and each other service a token names could replay
    #: it here. Empty: a token naming any other audience is refused.
    other_audiences: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _resource_named(self) -> AuthConfig:
        if self.issuers and not self.resource:
            raise ValueError("auth.resource (the gateway's public URL) is needed with issuers")
        introspecting = [issuer.issuer for issuer in self.issuers if issuer.introspection_url]
        if len(introspecting) > 1:
            # An opaque token does not say whose it is: it goes to one issuer's introspection,
            # so one provider would be handed the other's users' tokens (and answer for them).
            raise ValueError(
                "at most one of [[auth.issuers]] may introspect opaque tokens, not "
                f"{', '.join(introspecting)}: an opaque token names no issuer, and would be sent to "
                "another's introspection"
            )
        return self


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
    #: Requests of one client being answered at once (a body arriving, a call): a few calls in
    #: parallel and a session's start; its streams are bounded by its sessions instead.
    max_requests_in_flight_per_client: int = Field(default=32, ge=1, le=100_000)
    #: Connections at once, whoever opens them (each is a file of the gateway's, as a server's
    #: pipes are): past it the connection that has waited longest for a request is closed to
    #: make room, and a new one is refused (503) while every other is answering. Fewer when the
    #: open-file limit leaves less room beside ``max_sessions`` servers.
    max_connections: int = Field(default=1000, ge=1, le=1_000_000)
    #: Seconds a connection has to send a request's head, from its opening or its last answer.
    request_head_seconds: float = Field(default=10.0, gt=0, le=300)
    #: Seconds a connection that sends nothing after an answer is kept open.
    keep_alive_seconds: float = Field(default=5.0, gt=0, le=300)
    #: MCP 2026-07-28 clients declaring the tasks extension: a tool call that has not answered
    #: within ``task_after_seconds`` becomes a task the client polls (its answer judged as any).
    tasks: bool = True
    task_after_seconds: float = Field(default=2.0, ge=0, le=3600)
    #: This replica's name, when several serve behind a balancer: task ids begin with
    #: ``NAME~`` so that the balancer routes a task's requests (their ``Mcp-Name`` header) to
    #: the replica that holds it (README: "Replicas").
    replica: str = Field(default="", pattern=r"^[A-Za-z0-9_-]{0,64}$")


class TokenExchangeConfig(_Strict):
    """RFC 8693: the caller's access token exchanged at the identity provider for one this
    remote server accepts (on the caller's behalf), sent in its Authorization header."""

    token_url: str = Field(pattern=r"^https?://")
    client_id: str = Field(min_length=1)
    #: The issuer (of ``[[auth.issuers]]``) whose access tokens this endpoint exchanges; needed
    #: with several: another issuer's users' tokens, valid here, are never sent to it.
    issuer: str | None = None
    #: The gateway's client secret, from a secret source (``env:NAME``, ``file:PATH#KEY``, ...).
    client_secret: str | None = None
    audience: str | None = None
    resource: str | None = Field(default=None, pattern=r"^https?://")
    scope: str | None = None

    @model_validator(mode="after")
    def _tls(self) -> TokenExchangeConfig:
        _tls_or_loopback(self.token_url, "token_url")
        return self


class UpstreamConfig(_Strict):
    #: The server's command and arguments, started without a shell, one process per session;
    command: tuple[str, ...] = ()
    #: or a remote server's streamable-HTTP URL,
    url: str | None = Field(default=None, pattern=r"^https?://")
    #: with headers whose values are read from these environment variables (header -> variable),
    headers_from_env: dict[str, str] = {}
    #: or from secret sources (header -> ``env:NAME``, ``file:PATH#KEY``, ``keyring:SERVICE/USER``).
    #: The client's own token is never passed upstream.
    headers_from_secrets: dict[str, str] = {}
    #: MCP 2026-07-28 clients: 0 gives each client its own server process (one call at a time),
    #: so that no client shares a server's state with another; N > 0 shares a pool of up to N
    #: processes between all clients, for a server that keeps no per-user state.
    shared_pool: int = Field(default=0, ge=0, le=256)
    #: A remote server that takes, per caller, a token exchanged for the caller's own.
    token_exchange: TokenExchangeConfig | None = None
    #: The [[auth.issuers]] whose callers this server takes (another's token is refused on it),
    #: and "static" for the [[serve.clients]] tokens; empty: its token exchange's issuer when it
    #: names one, else every source. An opaque token is introspected only for a server that
    #: takes the introspecting issuer alone.
    issuers: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _one_upstream(self) -> UpstreamConfig:
        if bool(self.command) == bool(self.url):
            raise ValueError("give either command (a list) or url")
        if self.token_exchange is not None and (self.url is None or self.shared_pool):
            # A shared upstream session would carry one caller's token for the others.
            raise ValueError("token_exchange is for a remote server (url) with shared_pool = 0")
        return self


class BaselineConfig(_Strict):
    enabled: bool = True
    #: Default ``gateway-baseline.json`` in the user data folder.
    path: Path | None = None
    #: Or the registry database (``local`` or a database URL): every replica's traffic feeds
    #: one profile per tool (merged at most once a second), which each replica judges with.
    database: str | None = Field(default=None, min_length=1)
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
    elicitation: ElicitationConfig = ElicitationConfig()
    dlp: DlpConfig = DlpConfig()
    quarantine: QuarantineConfig = QuarantineConfig()
    baseline: BaselineConfig = BaselineConfig()
    sandbox: SandboxConfig = SandboxConfig()
    serve: ServeConfig = ServeConfig()
    auth: AuthConfig = AuthConfig()
    servers: dict[str, UpstreamConfig] = {}

    @model_validator(mode="after")
    def _rules_know_their_issuers(self) -> GatewayConfig:
        """A subject or group is named by its issuer: with two identity providers, "alice" or
        "finance" from one is not "alice" or "finance" from the other, and a rule that does not
        say whose would grant (or, through ``not_groups``, spare) whoever either one names so.
        The same holds for a grant on a client id or a scope (each provider registers its own
        clients and scopes), and for a subject named by a provider and by a static token
        ("ci-bot" of ``[[serve.clients]]`` is not the provider's user "ci-bot")."""
        from mcpward.gateway._interceptors.policy import STATIC_SOURCE

        known = {issuer.issuer for issuer in self.auth.issuers} | {STATIC_SOURCE}
        providers = len(known) - 1
        static = self.auth.static_tokens and bool(self.serve.clients)
        for rule in self.policy.rules:
            unknown = [name for name in rule.issuers if name not in known]
            if unknown:
                raise ValueError(
                    f"policy rule {rule.name!r}: issuers {', '.join(unknown)} are not in [[auth.issuers]] "
                    f"(nor {STATIC_SOURCE!r}, a [[serve.clients]] token)"
                )
            if rule.issuers:
                continue
            # A static token has a subject (its name) but no groups, client or scopes.
            grants_on_provider_names = bool(rule.allow) and bool(rule.clients or rule.scopes)
            if (rule.subjects and providers + static > 1) or (
                providers > 1 and (rule.groups or rule.not_groups or grants_on_provider_names)
            ):
                raise ValueError(
                    f"policy rule {rule.name!r} names subjects, groups, clients or scopes but not their "
                    "issuers; with several identity sources ([[auth.issuers]], [[serve.clients]] "
                    "tokens) the same name from another source is another caller: add issuers = [...]"
                )
        return self

    def server_issuers(self) -> dict[str, tuple[str, ...]]:
        """Per server that names them, the issuers whose callers it takes (see
        ``UpstreamConfig.issuers``); a server not in it takes every issuer's."""
        named: dict[str, tuple[str, ...]] = {}
        for name, server in self.servers.items():
            exchange = server.token_exchange.issuer if server.token_exchange else None
            if server.issuers:
                named[name] = server.issuers
            elif exchange:
                named[name] = (exchange,)
        return named

    @model_validator(mode="after")
    def _exchanges_know_their_issuers(self) -> GatewayConfig:
        """A token exchange posts the caller's access token, one this gateway takes from whoever
        presents it, to the token endpoint: sent another issuer's users' tokens, that provider
        could act here as them. So an exchange is for one issuer's callers, named when there
        are several (with one, its tokens are the only ones there are)."""
        from mcpward.gateway._interceptors.policy import STATIC_SOURCE

        issuers = [issuer.issuer for issuer in self.auth.issuers]
        for name, server in self.servers.items():
            if server.issuers and not issuers:
                raise ValueError(f"servers.{name}.issuers needs [[auth.issuers]]")
            unknown = [issuer for issuer in server.issuers if issuer not in [*issuers, STATIC_SOURCE]]
            if unknown:
                raise ValueError(f"servers.{name}.issuers: {', '.join(unknown)} not in [[auth.issuers]]")
            exchange = server.token_exchange
            if exchange is None:
                continue
            if server.issuers and exchange.issuer is not None and exchange.issuer not in server.issuers:
                raise ValueError(
                    f"servers.{name}: its token exchange's issuer {exchange.issuer} is not among its issuers"
                )
            if exchange.issuer is not None and exchange.issuer not in issuers:
                raise ValueError(
                    f"servers.{name}.token_exchange: issuer {exchange.issuer} is not in [[auth.issuers]]"
                )
            if exchange.issuer is None and len(issuers) > 1:
                raise ValueError(
                    f"servers.{name}.token_exchange must name its issuer (one of {', '.join(issuers)}): "
                    "the caller's token is sent to its token endpoint, and another issuer's users' "
                    "tokens would let that provider act here as them"
                )
        return self


def load_config(path: Path | None) -> GatewayConfig:
    if path is None:
        return GatewayConfig()
    return load_settings(path, GatewayConfig, ConfigError, root="config")
