"""``scan --containers`` on an image whose layer is compressed with zstd (what Podman writes with
``--compression-format zstd`` and Docker's containerd image store may keep): the scan read
gzip, bzip2 and xz layers and took a zstd one for no tar at all, so the MCP packages installed
in it were not reported and nothing said a layer was left unread. Also a zstd frame that asks
for a 2 GiB window (the memory its decompression would hold) is refused, not decompressed
(the scan holds windows to 128 MiB, as the library does by default). The
engine is a real HTTP server on a unix socket, the scan the real CLI in a child process."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import zstandard
from test_containers_hostile_engine import _engine, _errors, _exporting, _scan


def _layer(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as layer:
        for name, data in files.items():
            member = tarfile.TarInfo(name)
            member.size = len(data)
            layer.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


PACKAGE = {"usr/lib/node_modules/@acme/mcp-mailer/package.json": json.dumps(
    {"name": "@acme/mcp-mailer", "version": "1.0.16"}).encode()}  # fmt: skip
MANIFEST = json.dumps([{"Layers": ["blobs/sha256/layer"]}]).encode()


def _dependencies(report: dict) -> list[str]:
    return [f"{d['name']}@{d['version']}" for s in report["servers"] for d in s.get("dependencies") or []]


def test_the_mcp_packages_of_a_zstd_layer_are_reported(tmp_path: Path) -> None:
    layer = zstandard.ZstdCompressor(level=3).compress(_layer(PACKAGE))
    for socket in _engine(tmp_path, _exporting({"blobs/sha256/layer": layer, "manifest.json": MANIFEST})):
        report, stderr, _, _ = _scan(socket, tmp_path, timeout=60)
    assert _dependencies(report) == ["@acme/mcp-mailer@1.0.16"], (report["servers"], stderr[-400:])


def test_a_zstd_frame_asking_for_a_2_gib_window_is_not_decompressed(tmp_path: Path) -> None:
    params = zstandard.ZstdCompressionParameters(window_log=31, enable_ldm=True, write_content_size=False)
    streaming = zstandard.ZstdCompressor(compression_params=params).compressobj()
    layer = streaming.compress(_layer(PACKAGE)) + streaming.flush()
    assert zstandard.get_frame_parameters(layer).window_size == 2**31
    for socket in _engine(tmp_path, _exporting({"blobs/sha256/layer": layer, "manifest.json": MANIFEST})):
        report, _, seconds, peak_kb = _scan(socket, tmp_path, timeout=60)
    assert _dependencies(report) == []  # that layer unread
    assert [s["name"] for s in report["servers"]] == ["io.github.acme/x (image)"], _errors(report)
    assert peak_kb < 400 * 1024 and seconds < 20
