"""``mcpward registry``: approved servers, reviews, tokens, the server."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from mcpward.cli._app import registry_app, token_app
from mcpward.cli._common import (
    ActorOption,
    DatabaseOption,
    actor_name,
    check_format,
    emit,
    fail,
    held_store,
    open_registry,
    say,
)
from mcpward.errors import ExitCode


@registry_app.command("request")
def registry_request(
    target: Annotated[
        str,
        typer.Argument(help="npm:NAME@VERSION, pypi:NAME==VERSION, oci:IMAGE@sha256:DIGEST or an https URL."),
    ],
    owner: Annotated[str, typer.Option(help="The person or team accountable for it.", metavar="WHO")],
    name: Annotated[
        str | None,
        typer.Option(help="Registry name, reverse-DNS (default: from the package).", metavar="NAME"),
    ] = None,
    description: Annotated[str | None, typer.Option(help="What it is for.", metavar="TEXT")] = None,
    reads: Annotated[list[str] | None, typer.Option("--reads", help="Data it reads (repeatable).")] = None,
    writes: Annotated[list[str] | None, typer.Option("--writes", help="Data it writes (repeatable).")] = None,
    credential: Annotated[
        list[str] | None, typer.Option("--credential", help="A credential it needs, by name (repeatable).")
    ] = None,
    network: Annotated[
        list[str] | None, typer.Option("--network", help="A host it talks to (repeatable).")
    ] = None,
    shell: Annotated[bool, typer.Option("--shell", help="It runs shell commands.")] = False,
    credential_access: Annotated[
        bool, typer.Option("--credential-access", help="It reaches credentials beyond its own.")
    ] = False,
    production_write: Annotated[
        bool, typer.Option("--production-write", help="It writes production data.")
    ] = False,
    tier: Annotated[
        int | None, typer.Option(help="Raise the tier by hand (0 is the most sensitive).", min=0, max=2)
    ] = None,
    tools_file: Annotated[
        list[Path] | None, typer.Option("--tools-file", help="A saved tools/list result to inspect and pin.")
    ] = None,
    url: Annotated[
        list[str] | None, typer.Option("--url", help="Ask this HTTP server for its tools.")
    ] = None,
    digest: Annotated[str | None, typer.Option(help="Image digest, for an oci: target without one.")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Vet from the package cache only.")] = False,
    cache_dir: Annotated[Path | None, typer.Option(help="Package cache folder.", metavar="DIR")] = None,
    actor: ActorOption = None,
    database: DatabaseOption = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Request approval of a server: vets the package and inspects its tools (from --tools-file
    or --url), and stores what they found with the request."""
    from pydantic import ValidationError

    from mcpward.output.entries import write_entry
    from mcpward.registry import (
        DataScope,
        EntryRequest,
        RegistryError,
        default_entry_name,
        gather_evidence,
        parse_identity,
    )

    check_format(output_format, ("table", "json"))
    try:
        identity = parse_identity(target, digest)
    except RegistryError as exc:
        raise fail(str(exc)) from None
    registry = open_registry(database)
    try:
        evidence = gather_evidence(
            identity,
            tools_files=tuple(tool_file for tool_file in tools_file or ()),
            urls=tuple(url or ()),
            offline=offline,
            cache_dir=cache_dir,
            # vetted against what reviewers approved last, not an unreviewed release before it
            approved=registry.approved_release_before(identity),
        )
    except RegistryError as exc:
        raise fail(str(exc)) from None
    for note in evidence.notes:
        say(f"mcpward: {note}", err=True)
    if evidence.vet and evidence.vet.integrity and identity.kind == "package":
        identity = identity.model_copy(update={"integrity": evidence.vet.integrity})
    try:
        request = EntryRequest(
            name=name or default_entry_name(identity),
            description=description,
            identity=identity,
            scope=DataScope(
                reads=tuple(reads or ()),
                writes=tuple(writes or ()),
                credentials=tuple(credential or ()),
                network=tuple(network or ()),
                shell=shell,
                credential_access=credential_access,
                production_write=production_write,
            ),
            owner=owner,
            tier=tier,
            pins=evidence.pins,
            vet=evidence.vet,
            inspect_findings=evidence.inspect_findings,
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        raise fail(f"{'.'.join(map(str, error['loc']))}: {error['msg']}") from None
    try:
        entry = registry.request(request, actor_name(actor))
    except RegistryError as exc:
        raise fail(str(exc)) from None
    write_entry(entry, output_format, sys.stdout)


def _decide(
    decision: str,
    entry_id: int,
    rationale: str,
    actor: str | None,
    database: str | None,
    revision: int | None,
    override: bool = False,
    grace_days: int | None = None,
    read_only_tools: list[str] | None = None,
) -> None:
    from mcpward.output.entries import write_entry
    from mcpward.registry import Conflict, Decision, PolicyRefusal, RegistryError

    registry = open_registry(database)
    try:
        entry = registry.decide(
            entry_id,
            Decision(decision),
            actor_name(actor),
            rationale,
            revision,
            override,
            grace_days=grace_days,
            read_only_tools=read_only_tools,
        )
    except (Conflict, PolicyRefusal) as exc:
        raise fail(str(exc), ExitCode.FINDINGS) from None
    except RegistryError as exc:
        raise fail(str(exc)) from None
    write_entry(entry, "table", sys.stdout)


#: The largest id a database stores (a signed 64-bit integer): a larger one given on the command
#: line was an internal error (OverflowError from SQLite) rather than a usage error.
MAX_ID = 2**63 - 1

_RATIONALE = typer.Option("--rationale", "-m", help="Why: recorded with the decision.", metavar="TEXT")


_REVISION = typer.Option(help="Refuse if the entry changed since this revision.", metavar="N", max=MAX_ID)


@registry_app.command("approve")
def registry_approve(
    entry_id: Annotated[int, typer.Argument(metavar="ID", max=MAX_ID)],
    rationale: Annotated[str, _RATIONALE],
    override: Annotated[
        bool,
        typer.Option(
            "--override",
            help="Approve despite what the policy holds against it: vet's block (or no vetting), a "
            "critical inspect finding, a known advisory, a downgrade (recorded with the reasons).",
        ),
    ] = False,
    grace_days: Annotated[
        int | None,
        typer.Option(
            "--grace-days",
            help="Days the approval of the version this one replaces still stands (default: "
            "MCPWARD_SUPERSEDE_GRACE_DAYS or 14; at most that; 0 ends it now).",
            min=0,
            metavar="N",
        ),
    ] = None,
    read_only: Annotated[
        list[str] | None,
        typer.Option(
            "--read-only",
            help="A tool the reviewer confirms as read-only for the probation the approval starts "
            "(repeatable; default: the tools inspect judges read-only, recorded as its suggestion).",
            metavar="TOOL",
        ),
    ] = None,
    no_read_only: Annotated[
        bool, typer.Option("--no-read-only", help="Confirm that no tool is read-only: none may be called.")
    ] = False,
    revision: Annotated[int | None, _REVISION] = None,
    actor: ActorOption = None,
    database: DatabaseOption = None,
) -> None:
    """Approve a request. Tier-0 needs two reviewers; the requester cannot approve. Approving a
    version supersedes the approval of the other versions of the same package after a grace
    period, and starts a read-only period (MCPWARD_PROBATION_DAYS, default 7) in which the
    gateway allows the read-only tools only. Exits 1 when the policy refuses or the entry changed."""
    confirmed = [] if no_read_only else read_only
    _decide("approve", entry_id, rationale, actor, database, revision, override, grace_days, confirmed)


@registry_app.command("grant")
def registry_grant(
    entry_id: Annotated[int, typer.Argument(metavar="ID", max=MAX_ID)],
    rationale: Annotated[str, _RATIONALE],
    revision: Annotated[int | None, _REVISION] = None,
    actor: ActorOption = None,
    database: DatabaseOption = None,
) -> None:
    """End an approval's read-only period: every tool may be called. Exits 1 when the entry is
    not on probation or changed."""
    from mcpward.output.entries import write_entry
    from mcpward.registry import Conflict, PolicyRefusal, RegistryError

    registry = open_registry(database)
    try:
        entry = registry.grant_write(entry_id, actor_name(actor), rationale, expected_revision=revision)
    except (Conflict, PolicyRefusal) as exc:
        raise fail(str(exc), ExitCode.FINDINGS) from None
    except RegistryError as exc:
        raise fail(str(exc)) from None
    write_entry(entry, "table", sys.stdout)


@registry_app.command("reject")
def registry_reject(
    entry_id: Annotated[int, typer.Argument(metavar="ID", max=MAX_ID)],
    rationale: Annotated[str, _RATIONALE],
    revision: Annotated[int | None, _REVISION] = None,
    actor: ActorOption = None,
    database: DatabaseOption = None,
) -> None:
    """Reject a request."""
    _decide("reject", entry_id, rationale, actor, database, revision)


@registry_app.command("revoke")
def registry_revoke(
    entry_id: Annotated[int, typer.Argument(metavar="ID", max=MAX_ID)],
    rationale: Annotated[str, _RATIONALE],
    revision: Annotated[int | None, _REVISION] = None,
    actor: ActorOption = None,
    database: DatabaseOption = None,
) -> None:
    """Withdraw an approval: scans then report the server as revoked."""
    _decide("revoke", entry_id, rationale, actor, database, revision)


@registry_app.command("list")
def registry_list(
    status: Annotated[
        str | None, typer.Option(help="requested, approved, rejected, revoked or expired.", metavar="STATUS")
    ] = None,
    database: DatabaseOption = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """List entries (approved entries past their re-review date are marked expired first)."""
    from mcpward.output.entries import write_entries
    from mcpward.registry import RegistryError, Status

    check_format(output_format, ("table", "json"))
    try:
        wanted = Status(status) if status else None
    except ValueError:
        raise fail(f"unknown status {status!r}; choose from {', '.join(s.value for s in Status)}") from None
    registry = open_registry(database)
    try:
        registry.expire_due()
    except RegistryError as exc:
        raise fail(str(exc)) from None
    write_entries(registry.entries(status=wanted), output_format, sys.stdout, terminal=sys.stdout.isatty())


@registry_app.command("show")
def registry_show(
    entry_id: Annotated[int, typer.Argument(metavar="ID", max=MAX_ID)],
    database: DatabaseOption = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """One entry with its scope, vet and inspect findings, and its reviews."""
    from mcpward.output.entries import write_entry
    from mcpward.registry import NotFound

    check_format(output_format, ("table", "json"))
    registry = open_registry(database)
    try:
        entry = registry.get(entry_id)
        write_entry(entry, output_format, sys.stdout, refusals=registry.refusals(entry))
    except NotFound as exc:
        raise fail(str(exc)) from None


@registry_app.command("export")
def registry_export(
    entry_id: Annotated[
        list[int] | None,
        typer.Argument(metavar="[ID]...", help="Entries (default: all approved).", max=MAX_ID),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE")] = None,
    database: DatabaseOption = None,
) -> None:
    """Write entries as the official MCP registry's server.json: one object for one ID, else a
    list of them."""
    import json

    from mcpward.registry import NotFound, Status, export_server_json

    registry = open_registry(database)
    try:
        entries = (
            [registry.get(i) for i in entry_id] if entry_id else registry.entries(status=Status.APPROVED)
        )
    except NotFound as exc:
        raise fail(str(exc)) from None
    documents = [export_server_json(entry) for entry in entries]
    text = json.dumps(
        documents[0] if entry_id and len(documents) == 1 else documents, indent=2, ensure_ascii=False
    )
    emit(text, output)


@registry_app.command("import")
def registry_import(
    file: Annotated[Path, typer.Argument(help="A server.json, or a list of them.", metavar="FILE")],
    owner: Annotated[
        str | None, typer.Option(help="Owner of entries whose server.json names none.", metavar="WHO")
    ] = None,
    actor: ActorOption = None,
    database: DatabaseOption = None,
) -> None:
    """Import server.json documents as requests (each still needs a review). Nothing is stored
    unless every document is valid."""
    import json

    from mcpward._documents import DocumentError, read_text
    from mcpward.registry import RegistryError, parse_server_json, request_from_server_json

    try:
        document = json.loads(read_text(file))
    except DocumentError as exc:
        raise fail(f"{file}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise fail(f"{file}: JSON syntax error at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        # Arrays or objects nested thousands of levels deep exhaust the parser's stack.
        raise fail(f"{file}: JSON nested too deeply") from None
    documents = document if isinstance(document, list) else [document]
    try:
        requests = [request_from_server_json(parse_server_json(d), owner=owner) for d in documents]
    except RegistryError as exc:
        raise fail(f"{file}: {exc}") from None
    registry = open_registry(database)
    try:
        entries = registry.request_many(requests, actor_name(actor))
    except RegistryError as exc:
        raise fail(f"{file}: {exc}") from None
    for entry in entries:
        say(f"entry {entry.id}: {entry.name} {entry.identity.release} requested (Tier-{entry.tier})")


@registry_app.command("audit")
def registry_audit(
    entry_id: Annotated[
        int | None, typer.Option("--entry", help="Only this entry's events.", metavar="ID", max=MAX_ID)
    ] = None,
    verify: Annotated[bool, typer.Option("--verify", help="Check the hash chain; exit 1 if broken.")] = False,
    database: DatabaseOption = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """The audit trail, newest first; --verify checks that no event was altered or removed."""
    from mcpward.output.entries import write_audit
    from mcpward.registry import RegistryError

    registry = open_registry(database)
    if verify:
        try:
            problem = registry.verify_audit()
        except RegistryError as exc:  # a damaged heads file, an unreadable key: named, not a traceback
            raise fail(f"audit trail not verified: {exc}") from None
        if problem:
            raise fail(f"audit trail broken: {problem}", ExitCode.FINDINGS)
        typer.echo("audit trail intact")
        return
    write_audit(registry.audit(entry_id), output_format, sys.stdout)


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="The person or machine the token is for.")],
    role: Annotated[
        str, typer.Option(help="viewer, requester, reviewer, admin, or reporter (a fleet agent's).")
    ],
    person: Annotated[
        str | None,
        typer.Option(
            "--person",
            help="Who holds the token, as they sign in (their SSO e-mail): a requester cannot "
            "approve with another of their tokens or their sign-in (default: NAME).",
            metavar="WHO",
        ),
    ] = None,
    actor: ActorOption = None,
    database: DatabaseOption = None,
) -> None:
    """Create an API token and print it once; only its hash is stored. What it does counts as
    its person's and as the creator's (who saw it) when separation of duties is checked."""
    from mcpward.registry import RegistryError, Role

    try:
        wanted = Role(role)
    except ValueError:
        raise fail(f"unknown role {role!r}; choose from {', '.join(r.value for r in Role)}") from None
    try:
        token = open_registry(database).create_token(name, wanted, actor_name(actor), person=person)
    except RegistryError as exc:
        raise fail(str(exc)) from None
    typer.echo(token)


@token_app.command("revoke")
def token_revoke(
    name: Annotated[str, typer.Argument()],
    actor: ActorOption = None,
    database: DatabaseOption = None,
) -> None:
    """Revoke every token of NAME."""
    from mcpward.registry import RegistryError

    try:
        count = open_registry(database).revoke_tokens(name, actor_name(actor))
    except RegistryError as exc:
        raise fail(str(exc)) from None
    if not count:
        raise fail(f"no active token for {name}", ExitCode.FINDINGS)
    typer.echo(f"revoked {count} token(s) of {name}")


@token_app.command("list")
def token_list(
    database: DatabaseOption = None,
) -> None:
    """Token holders and roles (never the tokens)."""
    from mcpward.output.text import printable

    for holder, role, created, revoked in open_registry(database).tokens():
        state = "revoked" if revoked else "active"
        typer.echo(f"{printable(holder)}\t{role.value}\t{created:%Y-%m-%d}\t{state}")


def oidc_settings(path: Path) -> Any:
    """``--oidc-config``: the TOML, its ``client_secret`` read from the secret source it names;
    a problem is a clear error, never a traceback."""
    import tomllib

    from pydantic import ValidationError

    from mcpward._documents import DocumentError, read_raw
    from mcpward.sandbox import SandboxError, fetch_secret

    try:
        # The bounded reader (here and in load_oidc_settings): a FIFO or /dev/zero held the
        # server from starting forever, and text not UTF-8 was an internal error.
        source = tomllib.loads(read_raw(path).decode("utf-8")).get("client_secret")
        secret = fetch_secret("client_secret", str(source)) if source else None
        from mcpward.registry.web import load_oidc_settings  # the web stack: a second

        return load_oidc_settings(path, secret)
    except UnicodeDecodeError:
        raise fail(f"{path}: not UTF-8 text") from None
    except (OSError, tomllib.TOMLDecodeError, SandboxError, DocumentError) as exc:
        raise fail(f"{path}: {exc}") from None
    except ValidationError as exc:
        problem = exc.errors()[0]
        raise fail(f"{path}: {'.'.join(map(str, problem['loc']))}: {problem['msg']}") from None


@registry_app.command("serve")
def registry_serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8080,
    database: DatabaseOption = None,
    public_v0: Annotated[
        bool, typer.Option("--public-v0/--private-v0", help="Serve /v0/servers without a token.")
    ] = True,
    gateway_audit_log: Annotated[
        Path | None,
        typer.Option(
            help="Serve the held results of the gateway writing this audit log at /held, for reviewers.",
            metavar="FILE",
        ),
    ] = None,
    gateway_config: Annotated[
        Path | None, typer.Option(help="That gateway's config (its [quarantine] settings).", metavar="FILE")
    ] = None,
    oidc_config: Annotated[
        Path | None,
        typer.Option(
            help="Single sign-on for the pages: an OpenID Connect provider and its groups' roles (TOML).",
            metavar="FILE",
        ),
    ] = None,
    fleet_uploads_per_minute: Annotated[
        int | None,
        typer.Option(help="Fleet reports a minute one token may send, then 429 [default: 1200].", min=1),
    ] = None,
    fleet_records_per_token: Annotated[
        int | None,
        typer.Option(
            help="(machine, home) records one token's reports may fill, then 409 [default: 100000].", min=1
        ),
    ] = None,
    fleet_servers_per_token: Annotated[
        int | None,
        typer.Option(help="Servers one token's reports may fill, then 409 [default: 1000000].", min=1),
    ] = None,
    requests_per_minute: Annotated[
        int | None,
        typer.Option(help="Entries one token may ask for a minute, then 429 [default: 2000].", min=1),
    ] = None,
    public_url: Annotated[
        str | None,
        typer.Option(
            help="The registry's address as browsers reach it (https://... behind a proxy that ends "
            "TLS; http://... to serve plain http deliberately); needed off loopback.",
            metavar="URL",
        ),
    ] = None,
) -> None:
    """Run the registry server: JSON API (its OpenAPI schema at /openapi.json), /v0 registry API of approved
    entries, fleet inventory and the reviewers' pages."""
    # The files named are read before the web stack is imported (a second): a bad one is
    # refused at once.
    oidc = oidc_settings(oidc_config) if oidc_config is not None else None
    public_url = _public_url(host, public_url, oidc.public_url if oidc is not None else None)
    from mcpward._http_server import serve_http
    from mcpward.registry.web import FleetLimits, HeldReview, RequestLimits, create_app

    held = None
    if gateway_audit_log is not None or gateway_config is not None:
        from mcpward.gateway import load_config

        store, log_path = held_store(gateway_config, gateway_audit_log)
        held = HeldReview(store, log_path, load_config(gateway_config).quarantine.release_hours)
    defaults = FleetLimits()
    fleet = FleetLimits(
        fleet_uploads_per_minute or defaults.uploads_per_minute,
        fleet_records_per_token or defaults.records_per_token,
        fleet_servers_per_token or defaults.servers_per_token,
    )
    requests = RequestLimits(requests_per_minute) if requests_per_minute else None
    app_ = create_app(
        open_registry(database),
        public_v0=public_v0,
        held=held,
        oidc=oidc,
        fleet=fleet,
        requests=requests,
        public_url=public_url,
    )
    # A request's head bounded and timed, which uvicorn's own protocol does not (see _http_server).
    serve_http(app_, host, port, log_level="info", proxy_headers=False)


def _public_url(host: str, given: str | None, sso: str | None) -> str | None:
    """The registry's public URL, which decides whether its cookies are Secure and read only
    in their ``__Host-`` form. Off loopback it must be said: behind a proxy that ends TLS a
    page's GET carries no Origin and came over plain http, so without it a session cookie
    another host of the site planted under the plain name was read, and a reviewer browsed as
    whoever planted it (login fixation)."""
    from mcpward._addresses import is_loopback

    if given is not None and not re.match(r"^https?://[^/?#\s]+", given):
        raise fail(f"--public-url {given!r}: not an http:// or https:// URL")
    if given and sso and given.rstrip("/") != sso.rstrip("/"):
        raise fail(f"--public-url {given} is not the single sign-on's public_url {sso}")
    public = given or sso
    if public is None and not is_loopback(host):
        raise fail(
            f"--host {host} is reachable from other machines: say the registry's public URL with "
            "--public-url (https://... behind a proxy that ends TLS; http://... to serve plain "
            "http on purpose), so that its sign-in cookies are judged as browsers see them"
        )
    return public
