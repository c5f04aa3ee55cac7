"""``mcpward gateway``: enforcement on every call (stdio and HTTP), held results."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mcpward.cli._app import gateway_app
from mcpward.cli._common import (
    ActorOption,
    check_format,
    emit,
    fail,
    held_store,
    reviewer_name,
    run_loop,
    say,
    set_aside,
)

if TYPE_CHECKING:
    from mcpward.gateway import Session


@gateway_app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def gateway_run(
    command: Annotated[list[str], typer.Argument(help="-- then the server's command and arguments.")],
    server: Annotated[
        str | None, typer.Option("--server", help="The server's name (default: the command).", metavar="NAME")
    ] = None,
    config: Annotated[Path | None, typer.Option(help="Gateway config (TOML).", metavar="FILE")] = None,
    secret: Annotated[
        list[str] | None,
        typer.Option(
            "--secret",
            help="NAME=SOURCE: set NAME in the server's environment from env:VAR, file:PATH[#KEY] "
            "(owner-only) or keyring:SERVICE/USER, at launch (repeatable).",
            metavar="NAME=SOURCE",
        ),
    ] = None,
    sandbox: Annotated[
        Path | None,
        typer.Option(help="Run the server in the sandbox with this profile (TOML).", metavar="PROFILE"),
    ] = None,
    audit_log: Annotated[
        Path | None,
        typer.Option(help="Audit log file (default: the config's, else user data).", metavar="FILE"),
    ] = None,
    servers_variables: Annotated[
        list[str] | None,
        typer.Option(
            "--server-env",
            help="NAME: a variable of the server's own (its client entry's env): given to the "
            "server, never read by the gateway itself (repeatable).",
            metavar="NAME",
        ),
    ] = None,
) -> None:
    """Relay stdio between the client that launched this and the server it starts (never
    through a shell), checking and recording every call."""
    # First of all: the client starts this with the entry's env, written for the server (by a
    # project's config, a plugin), and the libraries below read it for the gateway's own work
    # (HTTPS_PROXY for the registry check, OTEL_* for the audit export, PG* for a database).
    servers_own = set_aside(servers_variables)
    from mcpward.gateway import (
        AuditLog,
        ConfigError,
        Session,
        build_interceptors,
        default_audit_log,
        load_config,
        make_sinks,
        run_stdio,
    )

    try:
        settings = load_config(config)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    log_path = audit_log or settings.audit.path or default_audit_log()
    try:
        log = AuditLog(log_path)
    except OSError as exc:
        raise fail(f"cannot open the audit log {log_path}: {exc.strerror or exc}") from None
    session = Session(server=server or Path(command[0]).name, target=" ".join(command[:1]))
    from_registry = settings.sandbox.from_registry
    if from_registry is None:
        from_registry = settings.registry.enabled
    confine = _confinement(sandbox or settings.sandbox.profile, from_registry, log_path, servers_own)
    server_env = dict(os.environ) | servers_own
    given_to_server = dict(servers_own)
    from mcpward.sandbox import SandboxError, fetch_secret

    for item in secret or ():
        variable, _, source = item.partition("=")
        if not variable or not source:
            raise fail(f"--secret {variable or item!r}: expected NAME=SOURCE")
        try:
            server_env[variable] = given_to_server[variable] = fetch_secret(variable, source)
        except SandboxError as exc:
            raise fail(str(exc)) from None
    try:
        sinks = make_sinks(settings)
        interceptors = build_interceptors(
            settings, audit_log=log, command=tuple(command), sinks=sinks, server_env=given_to_server
        )
    except ConfigError as exc:
        raise fail(str(exc)) from None
    code = run_loop(
        run_stdio(
            session,
            interceptors,
            command[0],
            command[1:],
            env=server_env,
            max_message=settings.max_message,
            call_timeout=settings.call_timeout,
            log=lambda line: say(line, err=True),
            confine=confine,
        )
    )
    for sink in sinks:
        sink.close()
    raise typer.Exit(code)


@gateway_app.command("serve")
def gateway_serve(
    config: Annotated[
        Path, typer.Option(help="Gateway config (TOML) with [serve] and [servers.NAME].", metavar="FILE")
    ],
    audit_log: Annotated[Path | None, typer.Option(help="Audit log file.", metavar="FILE")] = None,
) -> None:
    """Serve the configured servers over streamable HTTP, one endpoint each
    (/servers/NAME/mcp), to clients holding a configured bearer token or an OAuth access token
    from an identity provider named in [auth]."""
    import os

    from mcpward._http_server import ConnectionLimits, connection_room
    from mcpward.gateway import (
        AuditLog,
        ClientLimits,
        ConfigError,
        Upstream,
        build_interceptors,
        create_app,
        default_audit_log,
        load_config,
        make_baseline,
        make_sinks,
        resource_server_from,
        serve_http,
        token_exchange_from,
    )
    from mcpward.sandbox import SandboxError, fetch_secret

    try:
        settings = load_config(config)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    if not settings.servers:
        raise fail(f"{config}: no [servers.NAME] to serve")
    if not settings.serve.clients and not settings.auth.issuers:
        raise fail(
            f"{config}: no [[serve.clients]] and no [[auth.issuers]]; create a token with "
            "`mcpward gateway token NAME` or name the identity provider whose tokens to accept"
        )
    try:
        resource_server = resource_server_from(settings)
    except ConfigError as exc:
        raise fail(f"{config}: {exc}") from None
    log_path = audit_log or settings.audit.path or default_audit_log()
    try:
        log = AuditLog(log_path)
    except OSError as exc:
        raise fail(f"cannot open the audit log {log_path}: {exc.strerror or exc}") from None
    port = settings.serve.port
    hosts = settings.serve.allowed_hosts or (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}")
    try:
        build_interceptors(settings, audit_log=log)  # refuse a bad DLP policy now, not per session
    except ConfigError as exc:
        raise fail(str(exc)) from None
    baseline = make_baseline(settings) if settings.baseline.enabled else None
    try:
        sinks = make_sinks(settings, log_path)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    upstreams = {}
    for name, upstream in settings.servers.items():
        missing = [v for v in upstream.headers_from_env.values() if v not in os.environ]
        if missing:
            raise fail(f"{config}: servers.{name}: environment variable(s) not set: {', '.join(missing)}")
        headers = {header: os.environ[variable] for header, variable in upstream.headers_from_env.items()}
        try:
            secrets = upstream.headers_from_secrets.items()
            headers |= {header: fetch_secret(header, source) for header, source in secrets}
        except SandboxError as exc:
            raise fail(f"{config}: servers.{name}: {exc}") from None
        try:
            exchange = token_exchange_from(settings, name)
        except ConfigError as exc:
            raise fail(f"{config}: {exc}") from None
        upstreams[name] = Upstream(
            command=upstream.command,
            url=upstream.url,
            headers=headers,
            shared_pool=upstream.shared_pool,
            exchange=exchange,
        )
    app_ = create_app(
        upstreams,
        lambda _name, upstream: build_interceptors(
            settings,
            audit_log=log,
            command=upstream.command,
            url=upstream.url,
            shared_baseline=baseline,
            sinks=sinks,
        ),
        token_hashes={client.sha256: client.name for client in settings.serve.clients}
        if settings.auth.static_tokens
        else {},
        resource_server=resource_server,
        allowed_hosts=tuple(hosts),
        max_message=settings.max_message,
        call_timeout=settings.call_timeout,
        idle_timeout=settings.serve.idle_timeout,
        task_after=settings.serve.task_after_seconds if settings.serve.tasks else None,
        replica=settings.serve.replica,
        limits=ClientLimits(
            max_sessions_per_client=settings.serve.max_sessions_per_client,
            max_sessions=settings.serve.max_sessions,
            new_sessions_per_minute=settings.serve.new_sessions_per_minute,
            requests_per_second=settings.serve.requests_per_second,
            request_burst=settings.serve.request_burst,
            max_requests_in_flight_per_client=settings.serve.max_requests_in_flight_per_client,
        ),
    )
    # Files kept beside the connections: each session's server (its pipes), logs, listeners.
    reserved = 64 + 4 * settings.serve.max_sessions
    room = connection_room(settings.serve.max_connections, reserved)
    if room < settings.serve.max_connections:
        say(
            f"mcpward gateway: at most {room} connections (not {settings.serve.max_connections}): "
            "the open-file limit leaves no more room beside the sessions' servers",
            err=True,
        )
    limits = ConnectionLimits(
        max_connections=room,
        head_seconds=settings.serve.request_head_seconds,
        keep_alive_seconds=settings.serve.keep_alive_seconds,
    )
    try:
        # Bounded connections, and a request's head bounded and timed.
        serve_http(app_, settings.serve.host, port, limits)
    finally:
        for sink in sinks:
            sink.close()


@gateway_app.command("token")
def gateway_token(name: Annotated[str, typer.Argument(help="The client the token is for.")]) -> None:
    """Create a client token: prints the token (give it to the client) and the config lines
    (which hold only its sha256)."""
    import json

    from mcpward.gateway import new_client_token

    token, digest = new_client_token()
    typer.echo(f"token: {token}")
    # The name as a TOML string (JSON's escapes are TOML's): put between quotes raw, a " or a
    # newline in it made lines that did not parse, or added keys to the client's table, and an
    # ESC reached the terminal.
    typer.echo(f'[[serve.clients]]\nname = {json.dumps(name)}\nsha256 = "{digest}"')


_HeldConfig = Annotated[Path | None, typer.Option("--config", help="Gateway config (TOML).", metavar="FILE")]


_HeldLog = Annotated[
    Path | None,
    typer.Option(help="The gateway's audit log (default: the config's, else user data).", metavar="FILE"),
]


_HeldId = Annotated[str, typer.Argument(help="The quarantine ID the client's error named.", metavar="ID")]


def _safe_json(value: object) -> str:
    """JSON for a terminal: held results are a server's text; every character outside ASCII
    (invisible tags, bidi controls) and every control character is escaped, visible."""
    import json

    return json.dumps(value, ensure_ascii=True, indent=2, sort_keys=True)


@gateway_app.command("held")
def gateway_held(
    held_id: Annotated[
        str | None, typer.Argument(help="Show this held result in full.", metavar="ID")
    ] = None,
    config: _HeldConfig = None,
    audit_log: _HeldLog = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """The results the gateway holds for review (`[dlp] injection = "quarantine"`)."""
    import json

    from mcpward.gateway import QuarantineError

    check_format(output_format, ("table", "json"))
    store, _ = held_store(config, audit_log)
    try:
        if held_id is not None:
            typer.echo(_safe_json(store.show(held_id)))
            return
        pending = store.pending() if store.folder.exists() else []
    except (QuarantineError, OSError) as exc:
        raise fail(str(exc) if isinstance(exc, QuarantineError) else f"{store.folder}: {exc}") from None
    if output_format == "json":
        typer.echo(_safe_json([{k: v for k, v in r.items() if k != "result"} for r in pending]))
        return
    if not pending:
        typer.echo(f"nothing is held in {store.folder}")
        return
    for record in pending:
        if record.get("unreadable"):
            typer.echo(f"{record['id']}  (unreadable: discard it)")
            continue
        line = (
            f"{record['id']}  {record.get('at', '?')}  {record.get('server')}.{record.get('subject')}  "
            f"{', '.join(map(str, record.get('families') or ()))}  {record['bytes']} bytes"
        )
        typer.echo(json.dumps(line, ensure_ascii=True)[1:-1])  # a tool name may hold escapes


@gateway_app.command("release")
def gateway_release(
    held_id: _HeldId,
    config: _HeldConfig = None,
    audit_log: _HeldLog = None,
    actor: ActorOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the released result here.", metavar="FILE")
    ] = None,
) -> None:
    """Release a held result: the decision is recorded in the audit log, the result (redacted)
    is printed for the reviewer to pass on, and the next identical answer of the same tool
    passes once (within `[quarantine] release_hours`)."""
    from mcpward.gateway import QuarantineError, load_config

    store, log_path = held_store(config, audit_log)
    hours = load_config(config).quarantine.release_hours
    try:
        record = store.release(held_id, log=log_path, reviewer=reviewer_name(actor), hours=hours)
    except (QuarantineError, OSError) as exc:
        raise fail(str(exc) if isinstance(exc, QuarantineError) else f"not released: {exc}") from None
    where = _safe_json(f"{record.get('server')}.{record.get('subject')}")[1:-1]
    typer.echo(f"released {held_id} ({where})", err=True)
    emit(_safe_json(record.get("result")), output)


@gateway_app.command("discard")
def gateway_discard(
    held_id: _HeldId, config: _HeldConfig = None, audit_log: _HeldLog = None, actor: ActorOption = None
) -> None:
    """Discard a held result: it is deleted and the decision recorded in the audit log."""
    from mcpward.gateway import QuarantineError

    store, log_path = held_store(config, audit_log)
    try:
        store.discard(held_id, log=log_path, reviewer=reviewer_name(actor))
    except (QuarantineError, OSError) as exc:
        raise fail(str(exc) if isinstance(exc, QuarantineError) else f"not discarded: {exc}") from None
    typer.echo(f"discarded {held_id}")


def _confinement(
    profile: Path | None, from_registry: bool, log_path: Path, servers_own: dict[str, str] | None = None
) -> Callable[[Session, list[str]], list[str]] | None:
    """How the gateway wraps a server's command in the sandbox, if it does: with a profile
    file, or with a profile made from the server's registry entry. The registry judges the
    server's own command; what starts is the sandbox around it."""
    if profile is None and not from_registry:
        return None

    def confine(session: Session, argv: list[str]) -> list[str]:
        chosen = profile
        if chosen is None and session.entry is not None:
            from mcpward._paths import user_data_dir
            from mcpward.sandbox import profile_from_entry

            derived = profile_from_entry(session.entry)
            chosen = user_data_dir() / "sandbox-profiles" / f"entry-{session.entry.get('id')}.json"
            chosen.parent.mkdir(parents=True, exist_ok=True)
            chosen.write_text(derived.model_dump_json(), encoding="utf-8")
        if chosen is None:
            return argv  # no entry, no profile: the registry check decides whether it runs at all
        # -E -P: started in the project the user has open, with the entry's env, ``-m`` read a
        # repository's ``mcpward/`` (or its PYTHONPATH) in place of the runner: no sandbox at all.
        runner = [sys.executable, "-E", "-P", "-m", "mcpward", "sandbox", "run"]
        wrapped = [*runner, "--profile", str(chosen.resolve())]
        # The runner is started with the server's environment: it sets the same ones aside
        # (the entry's TMPDIR chose where its state was made, DOCKER_HOST the engine it used).
        aside = [flag for name in servers_own or () for flag in ("--server-env", name)]
        wrapped += ["--server", session.server, "--audit-log", str(log_path), *aside]
        return [*wrapped, "--", *argv]

    return confine
