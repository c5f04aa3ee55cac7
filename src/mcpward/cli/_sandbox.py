"""``mcpward sandbox``: a server confined."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mcpward.cli._app import sandbox_app
from mcpward.cli._common import fail, say, set_aside
from mcpward.errors import ExitCode

if TYPE_CHECKING:
    pass


@sandbox_app.command("check")
def sandbox_check() -> None:
    """Which sandbox backends work on this machine (each is tried for real), and why not."""
    from mcpward.sandbox import backends

    working = 0
    for backend in backends():
        availability = backend.check()
        working += availability.works and not backend.explicit_only
        typer.echo(f"{backend.name}: {'works' if availability.works else 'unavailable'} - {availability.why}")
    if not working:
        raise typer.Exit(ExitCode.FINDINGS)


@sandbox_app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def sandbox_run(
    command: Annotated[list[str], typer.Argument(help="-- then the server's command and arguments.")],
    profile: Annotated[Path | None, typer.Option(help="Sandbox profile (TOML).", metavar="FILE")] = None,
    backend: Annotated[
        str | None, typer.Option(help="Backend to use (default: the first that works).")
    ] = None,
    server: Annotated[
        str | None,
        typer.Option("--server", help="The server's name, for the audit log; it also keeps its own home."),
    ] = None,
    audit_log: Annotated[
        Path | None, typer.Option(help="Audit log for egress records.", metavar="FILE")
    ] = None,
    servers_variables: Annotated[
        list[str] | None,
        typer.Option(
            "--server-env",
            help="NAME: a variable of the server's own: for the server (as the profile allows), "
            "never read by the sandbox itself (repeatable).",
            metavar="NAME",
        ),
    ] = None,
) -> None:
    """Run a server confined: standard input and output pass through, every outbound
    connection goes through the egress proxy and is recorded."""
    # First: the gateway starts this with the server's environment; TMPDIR, DOCKER_HOST and the
    # like in it were the entry's, for the server, not where the sandbox keeps its state.
    servers_own = set_aside(servers_variables)
    from datetime import UTC, datetime

    from mcpward.gateway import AuditLog, default_audit_log
    from mcpward.sandbox import SandboxError, choose_backend, load_profile, run_sandboxed, server_home

    name = server or Path(command[0]).name
    try:
        rules = load_profile(profile)
        chosen = choose_backend(backend)
    except SandboxError as exc:
        raise fail(str(exc)) from None
    log_path = audit_log or default_audit_log()
    try:
        log = AuditLog(log_path)
    except OSError as exc:
        raise fail(f"cannot open the audit log {log_path}: {exc.strerror or exc}") from None

    refused: dict[str, None] = {}  # what the sandbox refused, in order, for the exit line

    def report(record: dict[str, object]) -> None:
        stamp = datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        log.append({"at": stamp, "server": name, "stage": "egress", **record})
        if record.get("decision") == "block" and len(refused) < 100:
            refused[_refusal(record)] = None

    if chosen.name == "none":
        say(f"mcpward: {name} runs UNCONFINED (--backend none); this is recorded", err=True)
        report({"method": "sandbox-unconfined", "decision": "alert", "severity": "high",
                "reason": "the server runs with the user's files, network and environment"})  # fmt: skip
    report({"method": "sandbox-start", "decision": "allow", "backend": chosen.name,
            "allow": list(rules.network.allow), "read": [str(p) for p in rules.files.read],
            "write": [str(p) for p in rules.files.write], "inspect": rules.inspect.enabled})  # fmt: skip
    try:
        # A named server keeps its home (package cache, data) between runs; an unnamed one
        # gets an empty home each time.
        home = server_home(server) if server else None
        code = run_sandboxed(
            rules, command, report=report, backend=chosen, server=name, home=home, servers_own=servers_own
        )
    except SandboxError as exc:
        report({"method": "sandbox-refused", "decision": "block", "reason": str(exc)})
        raise fail(str(exc)) from None
    report({"method": "sandbox-exit", "decision": "allow", "status": code})
    if code != 0 and refused:
        # The client shows only that the server exited; its log (this standard error) says
        # what the sandbox refused it, which is most often why.
        shown = list(refused)
        more = f" and {len(shown) - 3} more" if len(shown) > 3 else ""
        say(f"mcpward sandbox: {name} exited with status {code} after the sandbox refused "
            f"{', '.join(shown[:3])}{more} (each in the audit log {log_path})", err=True)  # fmt: skip
    raise typer.Exit(code)


def _refusal(record: dict[str, object]) -> str:
    """A refused attempt in a few words: ``connect pkgs.example.com:443``, ``read ~/.npmrc``."""
    method = str(record.get("method", ""))
    if method == "FILE":
        return f"{record.get('operation', 'read')} {record.get('path', '?')}"
    if method == "DNS":
        return f"a DNS lookup of {record.get('host', '?')}"
    if record.get("host"):
        port = f":{record['port']}" if record.get("port") else ""
        return f"{'connect' if method == 'CONNECT' else method} {record['host']}{port}"
    return f"{method or 'an operation'} ({record.get('reason', 'refused')})"
