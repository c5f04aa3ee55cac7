"""Where audit records go besides the JSONL log, which stays the record of authority (it is
written, chained, before anything is forwarded). These mirrors get each record after that and
never hold up or block a call: OpenTelemetry (a log record per audit record, a span per call,
over OTLP/HTTP, batched) and the registry database (written by a background thread)."""

from __future__ import annotations

import queue
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcpward.errors import McpwardError

if TYPE_CHECKING:
    from mcpward.registry import Registry

#: A record that cannot be queued (the database is down and the queue full) is dropped from the
#: mirror, and counted; the JSONL log still has it.
_QUEUE = 10_000
#: An export to the OpenTelemetry collector, its retries included, ends within this: the last
#: batch is flushed as the gateway ends, and a collector that takes the connection and never
#: answers held its exit ten seconds a signal (tests/adversarial/test_gateway_audit_export_stalled.py).
_EXPORT_SECONDS = 5.0


class AuditSink:
    def write(self, record: dict[str, Any], started_ns: int) -> None:
        """One audit record (as the JSONL has it); ``started_ns`` is when its call began."""

    def close(self) -> None:
        """Flush what is pending."""


class OtlpSink(AuditSink):
    def __init__(self, endpoint: str, *, service: str = "mcpward-gateway") -> None:
        try:
            from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk._logs import LoggerProvider
            from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
        except ImportError:
            raise RuntimeError("the OpenTelemetry sink needs `pip install 'mcpward[otel]'`") from None
        base = endpoint.rstrip("/")
        resource = Resource.create({"service.name": service})
        self._logs = LoggerProvider(resource=resource)
        self._logs.add_log_record_processor(
            BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{base}/v1/logs", timeout=_EXPORT_SECONDS))
        )
        self._logger = self._logs.get_logger("mcpward.gateway.audit")
        self._traces = TracerProvider(resource=resource)
        self._traces.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{base}/v1/traces", timeout=_EXPORT_SECONDS))
        )
        self._tracer = self._traces.get_tracer("mcpward.gateway")

    def write(self, record: dict[str, Any], started_ns: int) -> None:
        from opentelemetry._logs import SeverityNumber
        from opentelemetry.trace import Status, StatusCode

        attributes = {
            f"mcpward.{key}": value
            for key, value in record.items()
            if isinstance(value, str | int | float | bool) and key not in ("prev",)
        }
        severity = (
            SeverityNumber.WARN
            if record.get("decision") in ("block", "alert", "redact")
            else SeverityNumber.INFO
        )
        self._logger.emit(
            body=f"{record.get('method')} {record.get('tool') or ''} {record.get('stage')}: "
            f"{record.get('decision')}",
            attributes=attributes,
            severity_number=severity,
            severity_text=severity.name,
        )
        if record.get("stage") == "response":
            name = f"mcp {record.get('method')} {record.get('tool') or ''}".strip()
            span = self._tracer.start_span(name, start_time=started_ns, attributes=attributes)
            if record.get("decision") == "block":
                span.set_status(Status(StatusCode.ERROR, "; ".join(record.get("reasons", []))[:200]))
            span.end(end_time=time.time_ns())

    def close(self) -> None:
        # Logs and traces flushed at once: one after the other, each waited its own bound.
        flushes = [threading.Thread(target=provider.shutdown) for provider in (self._logs, self._traces)]
        for flush in flushes:
            flush.start()
        for flush in flushes:
            flush.join()


class RegistrySink(AuditSink):
    """Records mirrored into the registry database by a background thread. With ``catch_up``
    (the gateway's own log), what that log holds and the database lacks is mirrored first: the
    records a gateway killed before its mirror caught up wrote, or those of an outage."""

    def __init__(self, database_url: str | None, *, catch_up: Path | None = None) -> None:
        from mcpward.registry import Registry

        self._registry = Registry.open(database_url)
        self._catch_up = catch_up
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(maxsize=_QUEUE)
        self.dropped = 0
        self._thread = threading.Thread(target=self._drain, name="mcpward-audit-db", daemon=True)
        self._thread.start()

    def write(self, record: dict[str, Any], started_ns: int) -> None:
        try:
            self._queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1

    def _drain(self) -> None:
        if self._catch_up is not None and self._catch_up.exists():
            try:
                mirror_log(self._catch_up, self._registry)
            except Exception as exc:  # noqa: BLE001 - the live records are mirrored all the same
                print(f"mcpward gateway: the audit log was not mirrored again: {exc}", file=sys.stderr)
        while True:
            batch = [self._queue.get()]
            while len(batch) < 500:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            records = [item for item in batch if item is not None]
            if records:
                try:
                    self._registry.record_gateway_events(records)
                except Exception as exc:  # noqa: BLE001 - a mirror must not take the gateway down
                    self.dropped += len(records)
                    print(
                        f"mcpward gateway: audit mirror to the registry failed: {type(exc).__name__}",
                        file=sys.stderr,
                    )
            if None in batch:
                return

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=30)
        self._registry.database.dispose()


def mirror_log(path: Path, registry: Registry, *, batch: int = 500) -> int:
    """Mirror the records of the audit log at ``path`` that the registry database lacks (found
    by their chain hash); how many were added. A log whose chain does not hold is not mirrored:
    the database would hold records the log's own check refuses. The records copied are those
    the copying pass verifies (a second read after the check took lines appended in between)."""
    from mcpward.gateway._audit import Verdict, check, checked

    verdict = check(path)
    if verdict.problem is not None:
        raise AuditMirrorError(f"{path}: {verdict.problem}; nothing mirrored")
    copied = Verdict()
    added, pending = 0, []
    for record in checked(path, copied):
        pending.append(record)
        if len(pending) == batch:
            added += registry.record_gateway_events(pending)
            pending = []
    if pending:
        added += registry.record_gateway_events(pending)
    if copied.problem is not None:
        raise AuditMirrorError(f"{path}: {copied.problem}; {added} record(s) before it mirrored")
    return added


class AuditMirrorError(McpwardError):
    """An audit log that cannot be mirrored; the message says why."""
