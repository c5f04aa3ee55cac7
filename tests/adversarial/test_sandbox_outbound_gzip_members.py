"""Outbound inspection inflated a compressed body's first stream only. A gzip body may hold
several members one after another (RFC 1952), and the decoders of common API servers (Python's
``gzip``, Go's ``compress/gzip``, zlib's ``gunzip``) read them all; the inspection read the
first and left the rest, where a sandboxed server put the secret: ``gzip(b"hello ") +
gzip(token)`` was judged clean (``allow``) and the API read the token. The same with bytes
after the end of a deflate stream. Now every gzip member is read (bounded by the body limit as
a whole), and bytes after a stream that are not one make the body uninspectable (the
profile's ``uninspectable`` policy decides). A Content-Encoding given twice (``identity``
then ``gzip``) was read as its first header alone (hardening: the gzip bytes then failed as
UTF-8 and were uninspectable anyway, as "binary"); it is read as the list the API reads."""

from __future__ import annotations

import gzip
import zlib

import pytest

from mcpward.sandbox._calls import InFlightCall
from mcpward.sandbox._outbound import Judgement, OutboundInspector, OutboundRequest, Uninspectable
from mcpward.sandbox.interface import InspectionRules

CALL = InFlightCall(7, "send_email", {"to": "alice@example.org"})
TOKEN = ("ghp_" + "R8pX2mWq7LkT4nVz9bYc3HdF6jAs1GeU0oNi").encode()


def judge(body: bytes, encoding: str, rules: InspectionRules | None = None) -> Judgement:
    headers = (("Content-Type", "text/plain"), ("Content-Encoding", encoding))
    request = OutboundRequest("POST", "api.mail.test", 443, "/notes", headers, body)
    return OutboundInspector("mail", rules or InspectionRules(tls=True)).judge(request, [CALL])


def test_a_secret_in_a_second_gzip_member_is_read() -> None:
    assert gzip.decompress(gzip.compress(b"hello ") + gzip.compress(TOKEN)) == b"hello " + TOKEN
    judgement = judge(gzip.compress(b"hello ") + gzip.compress(TOKEN), "gzip")
    assert [event["kind"] for event in judgement.events] == ["dlp-outbound"]


def test_many_gzip_members_are_bounded_as_one_body() -> None:
    members = gzip.compress(b"a" * (600 * 1024)) * 2
    with pytest.raises(Uninspectable, match="inflates beyond"):
        judge(members, "gzip", InspectionRules(tls=True, max_body_mb=1))


@pytest.mark.parametrize(
    ("body", "encoding"),
    [
        (gzip.compress(b"hello ") + TOKEN, "gzip"),
        (zlib.compress(b"hello ") + zlib.compress(TOKEN), "deflate"),
        (zlib.compress(b"hello ")[2:-4] + TOKEN, "deflate"),
    ],
    ids=["gzip-then-plain", "deflate-twice", "raw-deflate-then-plain"],
)
def test_bytes_after_a_compressed_stream_are_not_passed_as_read(body: bytes, encoding: str) -> None:
    with pytest.raises(Uninspectable, match="after"):
        judge(body, encoding)


def test_ordinary_compressed_bodies_still_pass() -> None:
    assert judge(gzip.compress(b"hello"), "gzip").events == []
    assert judge(zlib.compress(b"hello"), "deflate").events == []
    assert judge(zlib.compress(b"hello")[2:-4], "deflate").events == []


def test_a_content_encoding_given_twice_is_read_as_one_list() -> None:
    request = OutboundRequest(
        "POST",
        "api.mail.test",
        443,
        "/notes",
        (("Content-Type", "text/plain"), ("Content-Encoding", "identity"), ("Content-Encoding", "gzip")),
        gzip.compress(TOKEN),
    )
    with pytest.raises(Uninspectable, match="identity, gzip"):
        OutboundInspector("mail", InspectionRules(tls=True)).judge(request, [CALL])
