"""``scan --containers`` against a real Podman engine's API: an image made locally from an empty
base (an imported archive, as the sandbox makes its image) with the MCP label and an MCP package
in its layer, and a container created from it with host privileges, found without running it.
Skipped where podman is not installed."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcpward.model import Ecosystem
from mcpward.scan import ScanOptions, TargetOS, run_scan

PODMAN = shutil.which("podman")
pytestmark = pytest.mark.skipif(PODMAN is None, reason="podman is not installed")


def _rootfs() -> bytes:
    files = {
        "usr/local/lib/node_modules/@modelcontextprotocol/server-filesystem/package.json": json.dumps(
            {"name": "@modelcontextprotocol/server-filesystem", "version": "2025.3.28"}
        ),
        "usr/local/lib/node_modules/left-pad/package.json": json.dumps(
            {"name": "left-pad", "version": "1.3.0"}
        ),
        "usr/lib/python3/site-packages/requests-2.32.3.dist-info/METADATA": "Name: requests\nVersion: 2.32.3\n",
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def podman_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    assert PODMAN is not None
    folder = tmp_path_factory.mktemp("podman")
    image = f"localhost/mcpward-scan-test-{uuid.uuid4().hex[:8]}:1"
    made = subprocess.run(
        [PODMAN, "import", "--change", "LABEL io.modelcontextprotocol.server.name=io.github.acme/files",
         "--change", 'CMD ["node", "/usr/local/lib/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js", "/data"]',
         "-", image],
        input=_rootfs(), capture_output=True, timeout=120,
    )  # fmt: skip
    if made.returncode != 0:
        pytest.skip(f"podman cannot make an image here: {made.stderr.decode()[-200:]}")
    container = f"mcpward-scan-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(
        [PODMAN, "create", "--name", container, "--privileged", "-v", "/:/host", image],
        capture_output=True, timeout=120, check=True,
    )  # fmt: skip
    socket = folder / "podman.sock"
    service = subprocess.Popen(
        [PODMAN, "system", "service", "--time=0", f"unix://{socket}"], stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(300):  # bounded: thirty seconds
            if socket.is_socket() or service.poll() is not None:
                break
            time.sleep(0.1)
        if not socket.is_socket():
            pytest.skip("podman system service did not start")
        yield socket, image
    finally:
        service.terminate()
        service.wait(timeout=30)
        subprocess.run([PODMAN, "rm", "-f", container], capture_output=True, timeout=120)
        subprocess.run([PODMAN, "rmi", "-f", image], capture_output=True, timeout=120)


def test_an_mcp_image_and_its_container_are_found_without_running_them(podman_api: tuple[Path, str]) -> None:
    socket, image = podman_api
    report = run_scan(
        ScanOptions(home=Path("/nonexistent-home"), target_os=TargetOS.LINUX, include_user_configs=False,
                    containers=True, container_sockets=(socket,), workers=1)
    )  # fmt: skip
    assert report.errors == ()
    images = [s for s in report.servers if s.name == "io.github.acme/files (image)"]
    assert len(images) == 1
    record = images[0]
    assert record.host == "podman" and record.package is not None
    assert (record.package.ecosystem, record.package.name) == (Ecosystem.OCI, image.rpartition(":")[0])
    assert [(d.name, d.version) for d in record.dependencies] == [
        ("@modelcontextprotocol/server-filesystem", "2025.3.28")
    ]
    identifiers = {i for f in report.findings if f.server_id == record.id for i in f.identifiers}
    assert identifiers  # the vulnerable server-filesystem version inside the image is known
    containers = [s for s in report.servers if s.name.startswith("io.github.acme/files (container ")]
    assert len(containers) == 1
    rules = {f.rule for f in report.findings if f.server_id == containers[0].id}
    assert {"container-privileged", "container-host-mount", "oci-unpinned"} <= rules
    # Images without MCP content (the sandbox's empty image) are not servers.
    assert not [s for s in report.servers if "mcpward-empty" in s.name]
