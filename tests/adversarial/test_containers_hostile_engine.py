"""``scan --containers`` against a hostile engine socket (``DOCKER_HOST`` naming another user's
socket, a proxy) and hostile image exports: answers of shapes no engine gives, an answer of
300 MB, an answer dripped a byte at a time under the read timeout, an export whose
``manifest.json`` is a link loop, and an export whose layer is a gzip bomb named many times.

Until 2026-12-04 the first three ended the whole scan with an internal error (every config's
findings lost), the 300 MB answer was read whole (650 MB resident), the drip held the scan for
as long as the engine liked, and 0.5 MB of gzip took about 34 s of tarfile's stream inflating per
mention in the manifest. The engine here is a real HTTP server on a unix socket, the scan the
real CLI in a child process."""

from __future__ import annotations

import io
import json
import os
import socketserver
import sys
import tarfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from cli_kit import with_peak_memory

import mcpward

SRC = str(Path(mcpward.__file__).parents[1])
IMAGE = {"Id": "sha256:" + "a" * 64}
LABELLED = {
    "Config": {"Labels": {"io.modelcontextprotocol.server.name": "io.github.acme/x"}},
    "RepoTags": ["x:1"],
}
Answer = Callable[[BaseHTTPRequestHandler, str], bool]


def _json(handler: BaseHTTPRequestHandler, value: object) -> None:
    _body(handler, json.dumps(value).encode())


def _body(handler: BaseHTTPRequestHandler, body: bytes) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _export(members: list[tarfile.TarInfo], data: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for member in members:
            payload = data.get(member.name)
            if payload is not None:
                member.size = len(payload)
            archive.addfile(member, io.BytesIO(payload) if payload is not None else None)
    return buffer.getvalue()


def _engine(tmp_path: Path, special: Answer) -> Iterator[Path]:
    """An engine on a unix socket: ``special`` answers first, then one labelled image."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def address_string(self) -> str:
            return "engine"

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            try:
                if special(self, path):
                    return
                if path.endswith("/version"):
                    _json(self, {"Components": [{"Name": "Podman Engine"}]})
                elif path.endswith("/images/json"):
                    _json(self, [IMAGE])
                elif "/images/" in path and path.endswith("/json"):
                    _json(self, LABELLED)
                elif path.endswith("/get"):
                    _body(self, _export([], {}))
                elif path.endswith("/containers/json"):
                    _json(self, [])
                else:
                    _json(self, {})
            except (BrokenPipeError, ConnectionResetError):
                pass  # the scan stopped reading: what it should do

    class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
        daemon_threads = True

    socket = tmp_path / "engine.sock"
    server = Server(os.fspath(socket), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield socket
    finally:
        server.shutdown()
        server.server_close()


def _scan(socket: Path, tmp_path: Path, timeout: float, setup: str = "") -> tuple[dict, str, float, int]:
    """The real CLI on the engine; its report, stderr, seconds and peak resident KB."""
    output = tmp_path / "report.json"
    cli = f"{setup}\nfrom mcpward.cli import main\nmain()"
    env = {
        **os.environ,
        "PYTHONPATH": SRC,
        "DOCKER_HOST": f"unix://{socket}",
        "XDG_RUNTIME_DIR": os.fspath(tmp_path),
    }
    start = time.monotonic()
    done, peak_kb = with_peak_memory(
        [sys.executable, "-c", cli, "scan", "--containers", "--home", os.fspath(tmp_path), "--format", "json",
         "-o", os.fspath(output)],
        env=env, timeout=timeout,
    )  # fmt: skip
    seconds = time.monotonic() - start
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr[-500:]
    report = json.loads(output.read_text())
    return report, done.stderr, seconds, peak_kb


def _errors(report: dict) -> list[str]:
    return [e["message"] for e in report["errors"]]


@pytest.mark.parametrize(
    "answer",
    [
        {"/images/json": [1, "x", None]},
        {"/images/json": {"not": "a list"}},
        {"/version": [1, 2]},
        {"/images/json": [IMAGE], "/json": {"Config": [1], "RepoTags": [1, {"a": 1}]}},
    ],
    ids=["list-of-numbers", "object-for-list", "version-list", "inspect-wrong-types"],
)
def test_an_answer_of_the_wrong_shape_is_one_error_line_not_the_end_of_the_scan(
    tmp_path: Path, answer: dict[str, object]
) -> None:
    def special(handler: BaseHTTPRequestHandler, path: str) -> bool:
        for suffix, value in answer.items():
            if path.endswith(suffix) and (suffix != "/json" or "/images/sha256" in path):
                _json(handler, value)
                return True
        return False

    for socket in _engine(tmp_path, special):
        report, _, _, _ = _scan(socket, tmp_path, timeout=60)
        assert report["command"] == "scan"


def test_a_manifest_that_is_a_link_loop_does_not_end_the_scan(tmp_path: Path) -> None:
    def special(handler: BaseHTTPRequestHandler, path: str) -> bool:
        if not path.endswith("/get"):
            return False
        one = tarfile.TarInfo("manifest.json")
        one.type, one.linkname = tarfile.SYMTYPE, "other"
        other = tarfile.TarInfo("other")
        other.type, other.linkname = tarfile.SYMTYPE, "manifest.json"
        _body(handler, _export([one, other], {}))
        return True

    for socket in _engine(tmp_path, special):
        report, _, _, _ = _scan(socket, tmp_path, timeout=60)
        # The labelled image is still found: the loop cost its packages, not the inventory.
        assert [s["name"] for s in report["servers"]] == ["io.github.acme/x (image)"]


def test_an_answer_of_300_mb_is_refused_without_holding_it(tmp_path: Path) -> None:
    def special(handler: BaseHTTPRequestHandler, path: str) -> bool:
        if not path.endswith("/version"):
            return False
        size = 300 * 1024 * 1024
        handler.send_response(200)
        handler.send_header("Content-Length", str(size + 2))
        handler.end_headers()
        handler.wfile.write(b"{")
        chunk = b" " * (1024 * 1024)
        for _ in range(300):
            handler.wfile.write(chunk)
        handler.wfile.write(b"}")
        return True

    for socket in _engine(tmp_path, special):
        report, _, _, peak_kb = _scan(socket, tmp_path, timeout=60)
    assert any("answered more than the scan reads" in m for m in _errors(report))
    assert peak_kb < 200 * 1024, f"{peak_kb} KB resident for a 300 MB answer"


def test_an_answer_dripped_under_the_read_timeout_ends_at_the_answer_deadline(tmp_path: Path) -> None:
    stop = threading.Event()

    def special(handler: BaseHTTPRequestHandler, path: str) -> bool:
        if not path.endswith("/version"):
            return False
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        for _ in range(1000):  # bounded: 200 s at most, ended by the scan closing the socket
            if stop.is_set():
                break
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.2)
        return True

    for socket in _engine(tmp_path, special):
        try:
            # The deadline is 60 s; 2 here so that the test is short. The read timeout (30 s)
            # never fires: a byte comes every 0.2 s.
            setup = "import mcpward.scan._containers as c\nc.ANSWER_SECONDS = 2.0"
            report, _, seconds, _ = _scan(socket, tmp_path, timeout=30, setup=setup)
        finally:
            stop.set()
    assert any("/version took over 2 s" in m for m in _errors(report))
    assert seconds < 15


def _gzip_bomb(megabytes: int) -> bytes:
    """A gzip'd tar of one file of zeros: about 1 KB of gzip per MB."""
    member = tarfile.TarInfo("zeros")
    member.size = megabytes * 1024 * 1024
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [squeeze.compress(member.tobuf(format=tarfile.GNU_FORMAT))]
    chunk = bytes(1024 * 1024)
    parts += [squeeze.compress(chunk) for _ in range(megabytes)]
    parts += [squeeze.compress(bytes(1024)), squeeze.flush()]
    return b"".join(parts)


def _exporting(files: dict[str, bytes]) -> Callable[[BaseHTTPRequestHandler, str], bool]:
    """The engine's answer to an image export: an archive of ``files``, in this order."""

    def special(handler: BaseHTTPRequestHandler, path: str) -> bool:
        if not path.endswith("/get"):
            return False
        _body(handler, _export([tarfile.TarInfo(name) for name in files], files))
        return True

    return special


def test_a_gzip_bomb_layer_named_many_times_is_read_once_and_within_a_budget(tmp_path: Path) -> None:
    bomb = _gzip_bomb(256)
    manifest = json.dumps([{"Layers": ["blobs/sha256/bomb"] * 20}]).encode()

    special = _exporting({"blobs/sha256/bomb": bomb, "manifest.json": manifest})

    for socket in _engine(tmp_path, special):
        # Read once: 256 MB inflated in well under the time tarfile's stream took for one
        # mention (about 17 s).
        report, _, seconds, _ = _scan(socket, tmp_path, timeout=60)
        assert seconds < 10, f"{seconds:.1f} s for a 256 KB layer"
        assert [s["name"] for s in report["servers"]] == ["io.github.acme/x (image)"]
        # Over the decompressed budget: an error line, not minutes of inflating.
        setup = "import mcpward.scan._containers as c\nc.MAX_LAYER_BYTES = 64 * 1024 * 1024"
        report, _, seconds, _ = _scan(socket, tmp_path, timeout=60, setup=setup)
        assert any("larger than the scan reads, once decompressed" in m for m in _errors(report))
        assert seconds < 10


def test_a_layer_of_many_empty_files_ends_at_the_layers_deadline(tmp_path: Path) -> None:
    # 200,000 members (100 MB): about 8 s of tarfile's stream mode; a real 2 GB export holds
    # some four million. The deadline is 60 s; 0.5 here so that the test is short.
    member = tarfile.TarInfo("usr/lib/node_modules/x/empty").tobuf(format=tarfile.USTAR_FORMAT)
    layer = member * 200_000 + bytes(1024)
    manifest = json.dumps([{"Layers": ["layer.tar"]}]).encode()

    special = _exporting({"layer.tar": layer, "manifest.json": manifest})

    for socket in _engine(tmp_path, special):
        setup = "import mcpward.scan._containers as c\nc.LAYERS_SECONDS = 0.5"
        report, _, seconds, _ = _scan(socket, tmp_path, timeout=60, setup=setup)
    assert any("image layers took over 0 s to read" in m for m in _errors(report)), _errors(report)
    assert [s["name"] for s in report["servers"]] == ["io.github.acme/x (image)"]
    assert seconds < 6


def _pax_layer(megabytes: int) -> bytes:
    """A layer whose first member has a pax header of one record ``megabytes`` long."""
    body = b" comment=" + b"a" * (megabytes * 1024 * 1024) + b"\n"
    length = len(body) + len(str(len(body)))
    length = len(body) + len(str(length))
    record = str(length).encode() + body
    header = tarfile.TarInfo("././@PaxHeader")
    header.type, header.size = tarfile.XHDTYPE, len(record)
    plain = tarfile.TarInfo("usr/lib/node_modules/x/package.json").tobuf(format=tarfile.USTAR_FORMAT)
    return (
        header.tobuf(format=tarfile.USTAR_FORMAT) + record + bytes(-len(record) % 512) + plain + bytes(1024)
    )


def test_a_pax_header_of_200_mb_is_refused_before_it_is_read(tmp_path: Path) -> None:
    layer = _pax_layer(200)
    manifest = json.dumps([{"Layers": ["layer.tar"]}]).encode()

    special = _exporting({"layer.tar": layer, "manifest.json": manifest})

    for socket in _engine(tmp_path, special):
        report, _, _, peak_kb = _scan(socket, tmp_path, timeout=60)
    assert [s["name"] for s in report["servers"]] == ["io.github.acme/x (image)"]
    assert peak_kb < 150 * 1024, f"{peak_kb} KB resident for a 200 MB pax header"


def _many_members(count: int) -> bytes:
    """An export of ``count`` empty files with distinct names, headers written directly."""
    template = bytearray(tarfile.TarInfo("x0000000").tobuf(format=tarfile.USTAR_FORMAT))
    template[148:156] = b" " * 8
    headers = []
    for index in range(count):
        header = bytearray(template)
        header[0:8] = f"x{index:07d}".encode()
        header[148:156] = b"%06o\0 " % sum(header)
        headers.append(bytes(header))
    return b"".join(headers) + bytes(1024)


def test_an_export_of_400000_members_is_read_up_to_the_limit_only(tmp_path: Path) -> None:
    export = _many_members(400_000)

    def special(handler: BaseHTTPRequestHandler, path: str) -> bool:
        if not path.endswith("/get"):
            return False
        _body(handler, export)
        return True

    for socket in _engine(tmp_path, special):
        report, _, _, peak_kb = _scan(socket, tmp_path, timeout=60)
    assert [s["name"] for s in report["servers"]] == ["io.github.acme/x (image)"]
    # Every header parsed, then cut to 100,000: 240 MB resident for these 200 MB.
    assert peak_kb < 160 * 1024, peak_kb
