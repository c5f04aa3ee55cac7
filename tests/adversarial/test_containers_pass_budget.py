"""``scan --containers`` against an engine of many hostile images: each within the per-image
limits (2 GB once decompressed, 600 s of export, 60 s of layers), together far past anything a
scan should spend. Until 2026-12-04 there was no limit on the whole pass: 500 images at the
per-image limits were a terabyte inflated and days of exports, and nothing said so.

Now the pass has one budget of time and decompressed layer bytes for every engine and image;
what it leaves unread is an error line of the report (so a ``parse-error`` finding), and the
images it did not open are still inventoried by their labels. The engine is the hostile-engine
kit's real HTTP server on a unix socket, the scan the real CLI in a child process."""

from __future__ import annotations

import json
import tarfile
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from test_containers_hostile_engine import _body, _engine, _errors, _export, _gzip_bomb, _json, _scan

IMAGES = [{"Id": f"sha256:{index:064x}"} for index in range(40)]


def test_many_bomb_layers_stop_at_the_pass_budget_and_say_what_was_not_read(tmp_path: Path) -> None:
    # 40 images of 32 MB each once decompressed (32 KB of gzip): each well inside the per-image
    # budget; the pass's budget is 8 GB, 96 MB here so that the test is short.
    bomb = _gzip_bomb(32)
    manifest = json.dumps([{"Layers": ["blobs/sha256/bomb"]}]).encode()
    files = {"blobs/sha256/bomb": bomb, "manifest.json": manifest}
    export = _export([tarfile.TarInfo(name) for name in files], files)
    exports = 0

    def special(handler: BaseHTTPRequestHandler, path: str) -> bool:
        nonlocal exports
        if path.endswith("/images/json"):
            _json(handler, IMAGES)
            return True
        if path.endswith("/get"):
            exports += 1
            _body(handler, export)
            return True
        return False

    for socket in _engine(tmp_path, special):
        setup = "import mcpward.scan._containers as c\nc.PASS_LAYER_BYTES = 96 * 1024 * 1024"
        report, _, _, _ = _scan(socket, tmp_path, timeout=60, setup=setup)
    notes = [m for m in _errors(report) if "images not read" in m]
    assert notes, _errors(report)
    assert "read 100663296 bytes of layers, its limit" in notes[0]
    assert exports <= 4, f"{exports} images exported past a budget of three"
    # Every image is still in the inventory (by its label), read or not: nothing is dropped.
    assert len(report["servers"]) == len(IMAGES)
    assert any(f["rule"] == "parse-error" and "images not read" in f["message"] for f in report["findings"])


def test_an_engine_slow_on_every_image_stops_at_the_pass_deadline(tmp_path: Path) -> None:
    # Each export answers after 0.5 s (within the 600 s an image may take); 40 of them are 20 s,
    # 500 at the per-image limit days. The pass deadline is 900 s; 2 s here.
    def special(handler: BaseHTTPRequestHandler, path: str) -> bool:
        if path.endswith("/images/json"):
            _json(handler, IMAGES)
            return True
        if path.endswith("/get"):
            time.sleep(0.5)
            _body(handler, _export([], {}))
            return True
        return False

    for socket in _engine(tmp_path, special):
        setup = "import mcpward.scan._containers as c\nc.PASS_SECONDS = 2.0"
        started = time.monotonic()
        report, _, _, _ = _scan(socket, tmp_path, timeout=60, setup=setup)
        seconds = time.monotonic() - started
    assert seconds < 12, f"{seconds:.1f} s for a pass of 2 s"
    notes = [m for m in _errors(report) if "not read" in m and "the containers pass took over 2 s" in m]
    assert notes, _errors(report)
    assert "images and the containers not read" in notes[-1]
