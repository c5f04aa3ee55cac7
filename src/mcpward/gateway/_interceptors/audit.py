"""One record per request and one per response, written before either is forwarded; one per
request the server makes of the client and per answer of the client to one, and per
notification a check acted on."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from mcpward._regex import compiled
from mcpward.dlp import redact_text
from mcpward.dlp.scanning import redact_json, scan_json
from mcpward.gateway._audit import AuditLog, AuditLogBroken
from mcpward.gateway._sinks import AuditSink
from mcpward.gateway.interface import (
    MCP_METHODS,
    Exchange,
    Interceptor,
    PipelineContext,
    Refusal,
    Session,
    counter_id,
)
from mcpward.model import AuditEventRecord, AuditRecord

if TYPE_CHECKING:
    from mcpward.gateway._config import GatewayConfig

#: Results are kept up to this many characters of their JSON (redacted); the sizes are exact.
_RESULT_CHARS = 16_384
#: An id no scan is needed for: too short for a credential of a known format.
_PLAIN_ID = compiled(r"[A-Za-z0-9_.:-]{0,16}")
#: A plain id with fewer than seven digits holds no phone or card number.
_FEW_DIGITS = compiled(r"[^0-9]*(?:[0-9][^0-9]*){0,6}")
#: The stages of notifications, recorded only when a check acted on one.
_NOTIFICATIONS = ("server-notification", "client-notification")


class Audit(Interceptor):
    name = "audit"

    def __init__(
        self, log: AuditLog, sinks: Sequence[AuditSink] = (), *, package: dict[str, str] | None = None
    ) -> None:
        self.log = log
        self.sinks = list(sinks)
        #: The package the server's launch line runs (npm, PyPI, an image), so that usage is
        #: counted by package where no registry entry was checked at launch.
        self.package = package

    @classmethod
    def from_config(cls, config: GatewayConfig, context: PipelineContext) -> Audit:
        # Always on: the gateway's record.
        return cls(context.audit_log, context.sinks, package=launched_package(context.command))

    def forwarded(self, session: Session, exchange: Exchange, stage: str) -> None:
        if (
            stage in _NOTIFICATIONS
            and exchange.decision == "allow"
            and len(exchange.events) == exchange.events_recorded
        ):
            return  # notifications are many (progress, logs): recorded when a check acted on one
        record: AuditRecord = {
            "at": datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "server": session.server,
            "client": session.client,
            **(
                {"client_app": session.client_app} if session.client_app not in (None, session.client) else {}
            ),
            "stage": stage,
            "method": _recorded_method(exchange),
            "id": _recorded_id(exchange),
            "decision": exchange.decision,
        }
        identity = session.identity
        if identity is not None:  # who called: the token's subject, its issuer and client (agent)
            record["subject"] = identity.subject
            if identity.issuer is not None:
                record["issuer"] = identity.issuer
            if identity.client_id is not None:
                record["client_id"] = identity.client_id
            if identity.groups and stage == "request":  # for the reports by team
                record["groups"] = list(identity.groups)
        if exchange.authorized_by is not None and stage == "request":
            record["authorized_by"] = exchange.authorized_by
        if session.entry and session.entry.get("id") is not None:
            # The registry entry the server was launched under: what usage is counted against.
            package = session.entry.get("identity") or {}
            release = package.get("version") or package.get("digest") or package.get("url")
            record["entry"] = {
                "id": session.entry["id"],
                "name": session.entry.get("name"),
                "release": release,
            }
        elif self.package is not None:
            record["package"] = self.package
        tool = exchange.tool
        if tool:
            # A listed tool's name was judged in its list; any other is the client's to write.
            record["tool"] = tool if tool in session.visible_tools else redact_text(tool)
        if exchange.reasons:  # a refusal may quote what it refused (a tool's name)
            record["reasons"] = [redact_text(reason) for reason in exchange.reasons]
        new_events = exchange.events[exchange.events_recorded :]
        if new_events:
            events: list[AuditEventRecord] = []
            for e in new_events:
                event: AuditEventRecord = {
                    "kind": e.kind,
                    "severity": e.severity,
                    "message": redact_text(e.message),
                }
                if e.tool:
                    event["tool"] = e.tool if e.tool in session.visible_tools else redact_text(e.tool)
                if e.detail:
                    # Paths name members (a key may be the secret), forms name their fields.
                    event["detail"] = _redacted(e.detail, None)
                events.append(event)
            record["events"] = events
        if stage.startswith("server-") or stage == "client-notification":
            # What the server asks of the client (sampling asks the model, elicitation the user),
            # what either side notifies.
            params = exchange.request.get("params")
            if params is not None:
                record["params"] = _truncated(_redacted(params, exchange.redacted_arguments))
        elif stage == "request":
            record["request_bytes"] = exchange.request_bytes
            arguments = exchange.params.get("arguments")
            if arguments is not None:
                record["arguments"] = _redacted(arguments, exchange.redacted_arguments)
            answers = exchange.params.get("inputResponses")
            if answers is not None:  # a 2026-07-28 client's answers to the server's questions
                record["input_responses"] = _truncated(_redacted(answers, exchange.redacted_input_responses))
        else:
            if stage == "response":  # a client's answer to the server is timed by nobody here
                record["latency_ms"] = round((time.perf_counter() - exchange.started) * 1000, 3)
            record["response_bytes"] = exchange.response_bytes
            response = exchange.response or {}
            outcome = response.get("result", response.get("error"))
            if outcome is not None:
                record["result"] = _truncated(_redacted(outcome, exchange.redacted_result))
        try:
            written = self.log.append(record)
        except AuditLogBroken as exc:  # the client (and its operator) learn why calls stop
            raise Refusal(f"the audit log is broken: {exc.why}; run `mcpward audit verify`") from None
        exchange.events_recorded = len(exchange.events)
        for sink in self.sinks:
            try:
                sink.write(written, exchange.started_ns)
            except Exception:  # noqa: BLE001, S112 - a mirror never blocks a call the log recorded
                continue


def _recorded_id(exchange: Exchange) -> Any:
    """A request's id as recorded: as DLP's policy masked it where it found something there;
    else (DLP off, the server's messages unread, a message an earlier check refused) masked
    as the params beside it are, by the default rules whole (``redact_text`` knows secrets
    only: a card number or an e-mail address as an id was kept in clear), but for a counter
    and a short plain string (``mcpward-12``), which hold nothing a rule reads."""
    masked = exchange.masked_names or {}
    if "id" in masked:
        return masked["id"]
    request_id = exchange.id
    if counter_id(request_id):
        return request_id
    if isinstance(request_id, str) and _PLAIN_ID.fullmatch(request_id) and _FEW_DIGITS.fullmatch(request_id):
        return request_id
    return _masked_name(request_id)


def _recorded_method(exchange: Exchange) -> str:
    """A message's method as recorded: one of the specification's as it is; any other as DLP's
    policy masked it, else masked as the params beside it are."""
    masked = exchange.masked_names or {}
    if "method" in masked:
        return str(masked["method"])
    return exchange.method if exchange.method in MCP_METHODS else str(_masked_name(exchange.method))


def _masked_name(value: Any) -> Any:
    """An id or method masked by the default rules (secrets and personal data), a URL's secret
    parts too."""
    if isinstance(value, str):
        value = redact_text(value)
    return redact_json(value, scan_json(value))


def _redacted(value: Any, already: Any) -> Any:
    """The DLP interceptor's redacted copy when it made one, else a redaction of our own."""
    if already is not None:
        return already
    return redact_json(value, scan_json(value))


def _truncated(value: Any) -> Any:
    text = orjson.dumps(value)
    if len(text) <= _RESULT_CHARS:
        return value
    return {"truncated": True, "json": text[:_RESULT_CHARS].decode("utf-8", "replace")}


def launched_package(command: tuple[str, ...]) -> dict[str, str] | None:
    """What ``command`` runs, as the audit records it: ecosystem, name and version (or digest)."""
    from mcpward.launch import resolve_launch

    if not command:
        return None
    package = resolve_launch(command[0], tuple(command[1:])).package
    if package is None:
        return None
    found = {"ecosystem": package.ecosystem.value, "name": package.name}
    if package.version:
        found["version"] = package.version
    if package.digest:
        found["digest"] = package.digest
    return found
