"""A hostile server answering with its body compressed twice (``Content-Encoding: gzip, gzip``):
the HTTP library inflated each chunk whole before any of mcpward's bounds counted a byte, so a
few hundred bytes became hundreds of megabytes (19 KB, 8 GiB) in the gateway relaying to a
remote server, in vet's downloads, in the OAuth and sign-in documents' reads and in scan's
reads of a container engine. Now these clients ask for gzip or deflate only and inflate the
answer themselves, a piece at a time, so the bound counts what memory holds; any other
encoding (zstd, br, one not asked for) is refused."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import tracemalloc
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from loopback import handler_serving
from mcpward._http import DownloadError, download
from mcpward.gateway._remote import RemoteUpstream
from mcpward.gateway._stdio import Oversized

_INFLATED = 256 << 20  # what the bomb inflates to


def _gzip_of_zeros(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + 15)
    block = bytes(1 << 20)
    return b"".join([*(packer.compress(block) for _ in range(size >> 20)), packer.flush()])


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return gzip.compress(_gzip_of_zeros(_INFLATED), 9)


@contextlib.contextmanager
def _answering(body: bytes, encoding: str, kind: str = "application/json") -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Encoding", encoding)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(body)

        do_GET = do_POST = _answer

        def do_DELETE(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    with handler_serving(Handler) as base:
        yield f"{base}/mcp"


def _relayed(url: str) -> list[Any]:
    async def call() -> list[Any]:
        got: list[Any] = []

        async def deliver(message: Any) -> None:
            got.append(message)

        upstream = RemoteUpstream(url, {}, deliver, timeout=10.0, max_message=1 << 20)
        await upstream._post(b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}')
        await upstream.close()
        return got

    return asyncio.run(call())


def _peak_mb(work: Any) -> tuple[Any, float]:
    tracemalloc.start()
    try:
        result = work()
        return result, tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def test_the_gateways_remote_relay_does_not_inflate_a_bomb(bomb: bytes) -> None:
    with _answering(bomb, "gzip, gzip") as url:
        got, peak = _peak_mb(lambda: _relayed(url))
    assert peak < 64, f"{len(bomb):,} bytes sent made the relay hold {peak:.0f} MB"
    assert len(got) == 1 and isinstance(got[0], Oversized)  # its request gets a clear error


def test_a_download_does_not_inflate_a_bomb(bomb: bytes) -> None:
    def refused(url: str) -> None:
        with pytest.raises(DownloadError, match="larger than"):
            download(url, 1 << 20)

    with _answering(bomb, "gzip, gzip", "application/octet-stream") as url:
        _, peak = _peak_mb(lambda: refused(url))
    assert peak < 64, f"{len(bomb):,} bytes sent made the download hold {peak:.0f} MB"


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "x-gzip", "identity", "gzip, gzip"])
def test_an_ordinary_compressed_answer_is_read_as_it_was(encoding: str) -> None:
    message = b'{"jsonrpc":"2.0","id":1,"result":{"tools":[' + b'{"name":"t"},' * 2000 + b'{"name":"u"}]}}'
    body = message
    for name in reversed([part.strip() for part in encoding.split(",")]):
        if name in ("gzip", "x-gzip"):
            body = gzip.compress(body)
        elif name == "deflate":
            body = zlib.compress(body)
    with _answering(body, encoding) as url:
        assert _relayed(url) == [message]
        assert download(url, 1 << 20) == message


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress", "gzip, br"])
def test_an_encoding_not_asked_for_is_refused(encoding: str) -> None:
    with _answering(b"\x28\xb5\x2f\xfd not really compressed", encoding) as url:
        assert _relayed(url) == []  # the request times out in the relay with its clear error
        with pytest.raises(DownloadError, match="not asked for"):
            download(url, 1 << 20)


def test_a_body_that_does_not_inflate_is_refused() -> None:
    with _answering(b"\x1f\x8b\x08\x00 this is no gzip stream", "gzip") as url:
        assert _relayed(url) == []
        with pytest.raises(DownloadError, match="does not inflate"):
            download(url, 1 << 20)
