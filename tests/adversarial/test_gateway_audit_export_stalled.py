"""Attack: an OpenTelemetry collector (or whatever answers at its address) that takes the
connection and never answers. The audit export flushes its last batch when the gateway ends;
each export retried for ten seconds, logs and traces one after the other: the gateway's exit
(a client closing it, a session's end) was held twenty seconds. The JSONL log is the record of
authority; the mirror gives up within its bound, both flushes at once."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

from mcpward.gateway import AuditLog, GatewayConfig, Relay, Session, build_interceptors
from mcpward.gateway._sinks import OtlpSink


def test_a_collector_that_never_answers_does_not_hold_the_gateways_exit(tmp_path: Path) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    taken: list[socket.socket] = []
    done = threading.Event()

    def take() -> None:  # accepts every connection, reads nothing, answers nothing
        listener.settimeout(0.2)
        while not done.is_set():
            try:
                taken.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:  # closed at the test's end
                return

    threading.Thread(target=take, daemon=True).start()
    try:
        sink = OtlpSink(f"http://127.0.0.1:{listener.getsockname()[1]}")
        config = GatewayConfig.model_validate({"pins": {"store": str(tmp_path / "pins.json")}})
        relay = Relay(
            Session(server="srv", target="t"),
            build_interceptors(config, audit_log=AuditLog(tmp_path / "a.jsonl"), sinks=[sink]),
        )
        relay.client_message(
            b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{}}}'
        )
        relay.server_message(b'{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"ok"}]}}')
        started = time.monotonic()
        sink.close()
        took = time.monotonic() - started
    finally:
        done.set()
        time.sleep(0.3)  # the accepting thread sees it within its 0.2 s timeout
        for connection in taken:
            connection.close()
        listener.close()
    assert taken, "the export was not attempted"
    assert took < 8, f"the gateway's exit was held {took:.1f} s"
