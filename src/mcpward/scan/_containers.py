"""``scan --containers``: MCP servers in the images and containers of the local Docker or
Podman engine, through the engine's API on its unix socket, without running anything.

An image is an MCP server when it carries the ``io.modelcontextprotocol.server.name`` label,
holds MCP packages (read from its layers: ``node_modules/*/package.json`` and
``site-packages/*.dist-info/METADATA``, bounded), or its command runs an MCP package. Each
container of such an image is a record too, with the reference it was created from (pinned by
digest or not) and the privileges its host configuration grants, so the scan's checks apply
as they do to a ``docker run`` line: unpinned image, privileged, host network or PID, host
mounts, the Docker socket, added capabilities.

The sockets: ``DOCKER_HOST`` (``unix://`` only), ``/var/run/docker.sock``, and Podman's
``$XDG_RUNTIME_DIR/podman/podman.sock`` and ``/run/podman/podman.sock`` (Podman serves the same
API with ``podman system service``).
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import tarfile
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import quote
from zlib import error as zlib_error

from mcpward._documents import DocumentFormat
from mcpward._http import (
    ACCEPT_ENCODING,
    BodyTooLarge,
    BodyTooSlow,
    EncodingRefused,
    bounded,
    decoded,
    read_bounded,
)
from mcpward._regex import compiled
from mcpward.errors import McpwardError
from mcpward.model import Ecosystem, PackageRef, Scope, Transport
from mcpward.scan._manifests.interface import is_mcp_package
from mcpward.scan.interface import ConfigLocation, DiscoveredServer

MCP_LABEL = "io.modelcontextprotocol.server.name"
API = "/v1.41"
MAX_IMAGES = 500
MAX_CONTAINERS = 500
MAX_EXPORT_BYTES = 2 * 1024 * 1024 * 1024
MAX_LAYER_MEMBERS = 500_000
MAX_ARCHIVE_MEMBERS = 100_000
MAX_MANIFEST_BYTES = 1024 * 1024
#: Layer content read per image, once decompressed: an export may hold compressed blobs (an OCI
#: layout), and 1 MB of gzip inflating to 1 GB held the scan for a minute per layer.
MAX_LAYER_BYTES = 2 * 1024 * 1024 * 1024
MAX_LAYERS = 1000
#: The largest zstd window a layer may ask for (the memory its decompression holds).
ZSTD_MAX_WINDOW = 128 * 1024 * 1024
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
#: One JSON answer of the engine (inspect, lists): parsed whole, so bounded well below memory.
MAX_ANSWER_BYTES = 16 * 1024 * 1024
TIMEOUT = 30.0
#: A whole answer, not one read: an engine that drips a byte under TIMEOUT must not hold the scan.
ANSWER_SECONDS = 60.0
EXPORT_SECONDS = 600.0
#: Reading one image's layers: a 2 GB export of empty files is some four million members, about
#: 40 us each in tarfile's stream mode (two and a half minutes for one image pulled at no cost).
LAYERS_SECONDS = 60.0
#: The whole containers pass (every engine, image and container together): the limits above are
#: per image, and 500 images at those limits were days of exports and a terabyte inflated. What
#: is left when either runs out is said in the report (an error line per engine), never skipped.
PASS_SECONDS = 900.0
PASS_LAYER_BYTES = 8 * 1024 * 1024 * 1024

_NODE_MANIFEST = compiled(r"(?:^|/)node_modules/((?:@[^/]+/)?[^/@]+)/package\.json$")
_DIST_INFO = compiled(r"(?:^|/)site-packages/([A-Za-z0-9_.]+?)-([0-9][^/-]*)\.dist-info/METADATA$")


class ContainerEngineError(McpwardError):
    """The container engine cannot be reached or answers what the scan cannot use."""


class _Pass:
    """What the whole containers pass may still spend: seconds and decompressed layer bytes."""

    def __init__(self) -> None:
        self.deadline = time.monotonic() + PASS_SECONDS
        self.layer_bytes = PASS_LAYER_BYTES

    def seconds_left(self) -> float:
        return self.deadline - time.monotonic()

    def expired(self) -> bool:
        return self.seconds_left() <= 0

    def why(self) -> str:
        if self.expired():
            return f"the containers pass took over {PASS_SECONDS:.0f} s"
        return f"the containers pass read {PASS_LAYER_BYTES} bytes of layers, its limit"


def engine_sockets(environ: Mapping[str, str]) -> list[Path]:
    candidates: list[Path] = []
    host = environ.get("DOCKER_HOST", "")
    if host.startswith("unix://"):
        candidates.append(Path(host[len("unix://") :]))
    candidates.append(Path("/var/run/docker.sock"))
    runtime = environ.get("XDG_RUNTIME_DIR")
    if runtime:
        candidates.append(Path(runtime) / "podman" / "podman.sock")
    candidates.append(Path("/run/podman/podman.sock"))
    seen: list[Path] = []
    for path in candidates:
        if path not in seen and path.is_socket():
            seen.append(path)
    return seen


@dataclass
class _Api:
    socket: Path
    budget: _Pass = field(default_factory=_Pass)
    client: Any = field(init=False)

    def __post_init__(self) -> None:
        import httpx

        transport = httpx.HTTPTransport(uds=os.fspath(self.socket))
        self.client = httpx.Client(
            transport=transport,
            base_url="http://engine",
            timeout=TIMEOUT,
            trust_env=False,
            headers={"Accept-Encoding": ACCEPT_ENCODING},  # decoded here, a piece at a time
        )

    def get(self, path: str) -> Any:
        """One JSON answer, read in chunks up to MAX_ANSWER_BYTES and ANSWER_SECONDS: the engine
        (another user's socket, a proxy) is not trusted to answer in size or in time."""
        import httpx

        where = path.split("?")[0]
        if self.budget.expired():
            raise ContainerEngineError(f"{self.socket}: {where} not read: {self.budget.why()}")
        deadline = min(time.monotonic() + ANSWER_SECONDS, self.budget.deadline)
        try:
            with self.client.stream("GET", API + path) as response:
                if response.status_code != 200:
                    raise ContainerEngineError(f"{self.socket}: {where} answered {response.status_code}")
                body = read_bounded(decoded(response), MAX_ANSWER_BYTES, give_up=deadline)
        except EncodingRefused as exc:
            raise ContainerEngineError(f"{self.socket}: {where} answered {exc}") from None
        except BodyTooLarge:
            raise ContainerEngineError(f"{self.socket}: {where} answered more than the scan reads") from None
        except BodyTooSlow:
            raise ContainerEngineError(f"{self.socket}: {where} {self._late(ANSWER_SECONDS)}") from None
        except httpx.HTTPError as exc:
            raise ContainerEngineError(f"{self.socket}: {type(exc).__name__}") from None
        try:
            return json.loads(bytes(body))
        except (ValueError, RecursionError):
            raise ContainerEngineError(f"{self.socket}: {where} answered no JSON") from None

    def export(self, image_id: str, into: IO[bytes]) -> None:
        """The image as a docker-archive, written to ``into`` (at most MAX_EXPORT_BYTES, in
        EXPORT_SECONDS)."""
        import httpx

        deadline = min(time.monotonic() + EXPORT_SECONDS, self.budget.deadline)
        try:
            with self.client.stream("GET", f"{API}/images/{quote(image_id, safe='')}/get") as response:
                if response.status_code != 200:
                    raise ContainerEngineError(f"{self.socket}: image export answered {response.status_code}")
                for chunk in bounded(decoded(response), MAX_EXPORT_BYTES, give_up=deadline):
                    into.write(chunk)
        except EncodingRefused as exc:
            raise ContainerEngineError(f"{self.socket}: image export answered {exc}") from None
        except BodyTooLarge:
            raise ContainerEngineError(f"{self.socket}: image larger than the scan reads") from None
        except BodyTooSlow:
            raise ContainerEngineError(f"{self.socket}: image export {self._late(EXPORT_SECONDS)}") from None
        except httpx.HTTPError as exc:
            raise ContainerEngineError(f"{self.socket}: {type(exc).__name__}") from None

    def _late(self, limit: float) -> str:
        return f"not read whole: {self.budget.why()}" if self.budget.expired() else f"took over {limit:.0f} s"

    def close(self) -> None:
        self.client.close()


def image_packages(archive: IO[bytes], spent: _Pass | None = None) -> list[PackageRef]:
    """The MCP packages installed in an image's layers (docker-archive), read without running
    it: npm ``package.json`` and Python ``dist-info/METADATA`` files. ``spent`` is the whole
    pass's budget, which this image's bytes and seconds come out of too."""
    spent = spent or _Pass()
    archive.seek(0)
    limit = min(MAX_LAYER_BYTES, spent.layer_bytes)
    budget = _Budget(limit)
    try:
        return _image_packages(archive, budget, spent)
    finally:
        spent.layer_bytes -= limit - budget.left  # what this image read


def _image_packages(archive: IO[bytes], budget: _Budget, spent: _Pass) -> list[PackageRef]:
    found: dict[tuple[Ecosystem, str], PackageRef] = {}
    deadline = min(time.monotonic() + LAYERS_SECONDS, spent.deadline)
    with tarfile.open(fileobj=archive, mode="r:", tarinfo=_Member) as outer:
        # Read up to the limit, not all then cut: getmembers() parsed every header of a 2 GB
        # export (four million) before the cut.
        members: dict[str, tarfile.TarInfo] = {}
        for each in outer:
            if len(members) >= MAX_ARCHIVE_MEMBERS:
                break
            members[each.name] = each
        # Each layer once: a manifest naming one layer a thousand times read it a thousand times.
        layers = list(dict.fromkeys(_layer_names(outer, members)))[:MAX_LAYERS]
        for name in layers:
            member = members.get(name)
            handle = outer.extractfile(member) if member is not None and member.isfile() else None
            if handle is None:
                continue
            try:
                plain = cast(IO[bytes], _decompressed(handle, budget))
                with tarfile.open(fileobj=plain, mode="r|", tarinfo=_Member) as layer:
                    for count, entry in enumerate(layer):
                        if count > MAX_LAYER_MEMBERS:
                            break
                        if count % 1024 == 0 and time.monotonic() > deadline:
                            raise ContainerEngineError(
                                f"image layers not read whole: {spent.why()}"
                                if spent.expired()
                                else f"image layers took over {LAYERS_SECONDS:.0f} s to read"
                            )
                        package = _package_of(layer, entry)
                        if package is not None and is_mcp_package(package.ecosystem, package.name):
                            found[(package.ecosystem, package.name)] = package
            except (tarfile.TarError, OSError, EOFError, zlib_error, lzma.LZMAError):
                continue
    return sorted(found.values(), key=lambda p: (p.ecosystem.value, p.name))


_EXTENDED = frozenset(
    (
        tarfile.GNUTYPE_LONGNAME,
        tarfile.GNUTYPE_LONGLINK,
        tarfile.XHDTYPE,
        tarfile.XGLTYPE,
        tarfile.SOLARIS_XHDTYPE,
    )
)


class _Member(tarfile.TarInfo):
    """A member whose long-name or pax header is refused over 1 MB: tarfile reads one whole,
    with copies (a 400 MB pax header held 1.2 GB); Go's archive/tar, which engines write layers
    with, refuses them over 1 MB too."""

    def _proc_member(self, tarfile_: tarfile.TarFile) -> tarfile.TarInfo:
        if self.type in _EXTENDED and self.size > MAX_MANIFEST_BYTES:
            raise tarfile.HeaderError("extended header larger than the scan reads")
        member: tarfile.TarInfo = super()._proc_member(tarfile_)  # type: ignore[misc]
        return member


class _Budget:
    """Bytes of layer content left to read for one image."""

    def __init__(self, limit: int) -> None:
        self.left = limit


class _Counted(io.RawIOBase):
    """A layer's (decompressed) bytes, counted against the image's budget; over it, the image
    is an error rather than minutes of inflating."""

    def __init__(self, stream: io.IOBase | IO[bytes], budget: _Budget) -> None:
        super().__init__()
        self._stream = stream
        self._budget = budget

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        data = self._stream.read(size if size is not None and size >= 0 else 1024 * 1024)
        self._budget.left -= len(data)
        if self._budget.left < 0:
            raise ContainerEngineError("image layers larger than the scan reads, once decompressed")
        return data


def _decompressed(handle: IO[bytes], budget: _Budget) -> _Counted:
    """A layer as plain tar: decompressed here (gzip, bzip2, xz, zstd) rather than by tarfile's
    stream mode, which inflates in small pieces it concatenates (a minute for 1 GB) and counts
    nothing. A zstd layer (what ``--compression-format zstd`` and containerd write) was read as
    no tar at all: an image's MCP packages in one were not reported, and nothing said so."""
    magic = handle.read(6)
    handle.seek(0)
    stream: io.IOBase | IO[bytes] = handle
    # Not closed here: each reads from ``handle``, which the outer archive owns.
    if magic.startswith(b"\x1f\x8b"):
        stream = gzip.GzipFile(fileobj=handle, mode="rb")
    elif magic.startswith(b"BZh"):
        stream = bz2.BZ2File(handle, mode="rb")
    elif magic.startswith(b"\xfd7zXZ\x00"):
        stream = lzma.LZMAFile(handle, mode="rb")  # noqa: SIM115
    elif magic.startswith(_ZSTD_MAGIC):
        stream = _Zstd(handle)
    return _Counted(stream, budget)


class _Zstd(io.RawIOBase):
    """A zstd stream's plain bytes; what is wrong with it is an ``OSError``, as for the other
    formats (the library, imported only for such a layer, raises its own error)."""

    def __init__(self, handle: IO[bytes]) -> None:
        super().__init__()
        import zstandard

        self._error = zstandard.ZstdError
        # A frame may ask for a window of up to 2 GiB of memory; engines write 8 MiB at most.
        decompressor = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW)
        self._reader = decompressor.stream_reader(handle, read_across_frames=True)

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        try:
            data: bytes = self._reader.read(size if size is not None and size >= 0 else 1024 * 1024)
        except self._error as exc:
            raise OSError(f"zstd: {exc}") from None
        return data


def _layer_names(outer: tarfile.TarFile, members: dict[str, tarfile.TarInfo]) -> list[str]:
    manifest = members.get("manifest.json")
    # A regular file only: tarfile follows a link member to its target, and two links naming
    # each other recursed until RecursionError ended the whole scan.
    handle = outer.extractfile(manifest) if manifest is not None and manifest.isfile() else None
    if handle is not None:
        try:
            data = json.loads(handle.read(MAX_MANIFEST_BYTES))
            layers = data[0].get("Layers") if isinstance(data, list) and data else None
            if isinstance(layers, list):
                return [str(layer) for layer in layers[: MAX_LAYERS * 10]]
        except (ValueError, AttributeError, RecursionError):
            pass
    return [name for name in members if name.endswith((".tar", "layer.tar"))]


def _package_of(layer: tarfile.TarFile, entry: tarfile.TarInfo) -> PackageRef | None:
    if not entry.isfile() or entry.size > MAX_MANIFEST_BYTES:
        return None
    name = entry.name.lstrip("./")
    node = _NODE_MANIFEST.search(name)
    if node is not None and name.count("node_modules/") == 1:
        handle = layer.extractfile(entry)
        try:
            data = json.loads(handle.read(MAX_MANIFEST_BYTES)) if handle else None
        except (ValueError, RecursionError):
            return None
        version = data.get("version") if isinstance(data, dict) else None
        package = data.get("name") if isinstance(data, dict) else None
        if isinstance(package, str) and isinstance(version, str):
            return PackageRef(ecosystem=Ecosystem.NPM, name=package, version=version, pinned=True)
        return None
    python = _DIST_INFO.search(name)
    if python is not None:
        return PackageRef(
            ecosystem=Ecosystem.PYPI, name=python[1].replace("_", "-").lower(), version=python[2], pinned=True
        )
    return None


def _command(config: Mapping[str, Any]) -> list[str]:
    entrypoint = config.get("Entrypoint") or []
    cmd = config.get("Cmd") or []
    words = [*(entrypoint if isinstance(entrypoint, list) else [entrypoint])]
    words += cmd if isinstance(cmd, list) else [cmd]
    return [str(w) for w in words][:200]


def _runs_mcp(command: list[str]) -> bool:
    from mcpward.scan._processes import is_mcp_process

    return bool(command) and is_mcp_process(tuple(command))


def _host_flags(host_config: Mapping[str, Any]) -> list[str]:
    """The container's privileges, spelled as ``docker run`` flags for the scan's checks."""
    flags: list[str] = []
    if host_config.get("Privileged") is True:
        flags.append("--privileged")
    if host_config.get("NetworkMode") == "host":
        flags.append("--network=host")
    if host_config.get("PidMode") == "host":
        flags.append("--pid=host")
    for bind in (host_config.get("Binds") or [])[:100]:
        flags += ["-v", str(bind)]
    for cap in (host_config.get("CapAdd") or [])[:50]:
        flags += ["--cap-add", str(cap)]
    return flags


def container_servers(
    environ: Mapping[str, str], sockets: list[Path] | None = None
) -> Iterator[DiscoveredServer | tuple[Path, str]]:
    """The MCP images and containers of every engine reachable on this machine, within one
    budget of time and layer bytes for them all."""
    spent = _Pass()
    for socket in sockets if sockets is not None else engine_sockets(environ):
        if spent.expired():
            yield socket, f"{socket}: engine not read: {spent.why()}"
            continue
        api = _Api(socket, spent)
        try:
            yield from _engine(api, socket)
        except ContainerEngineError as exc:
            yield socket, str(exc)
        except (AttributeError, TypeError, ValueError, KeyError, RecursionError) as exc:
            # An answer of a shape no engine gives (a list of numbers, a dict for a list) ended
            # the whole scan with an internal error: it is this engine's error line instead.
            yield socket, f"{socket}: the engine answered what the scan cannot use ({type(exc).__name__})"
        finally:
            api.close()


def _object(value: Any) -> Mapping[str, Any]:
    """An engine's JSON object, or an empty one for anything else it answered."""
    return value if isinstance(value, Mapping) else {}


def _objects(value: Any, limit: int) -> list[Mapping[str, Any]]:
    """The objects of an engine's JSON list (at most ``limit``), skipping what is not one."""
    return [item for item in value[:limit] if isinstance(item, Mapping)] if isinstance(value, list) else []


def _strings(value: Any) -> list[str]:
    return [item for item in value[:1000] if isinstance(item, str)] if isinstance(value, list) else []


def _engine(api: _Api, socket: Path) -> Iterator[DiscoveredServer | tuple[Path, str]]:
    version = _object(api.get("/version"))
    engine = "podman" if "podman" in json.dumps(version.get("Components", "")).lower() else "docker"
    mcp_images: dict[str, str] = {}  # image id -> the record's name
    images = _objects(api.get("/images/json"), MAX_IMAGES)
    unread: list[str] = []  # images inventoried without their layers: the pass's budget ran out
    for index, summary in enumerate(images):
        if api.budget.expired():
            yield (
                socket,
                f"{socket}: {len(images) - index} images and the containers not read: {api.budget.why()}",
            )
            return
        image_id = str(summary.get("Id", ""))
        details = _object(api.get(f"/images/{quote(image_id, safe='')}/json"))
        config = _object(details.get("Config"))
        labels = _object(config.get("Labels"))
        tags = [t for t in _strings(details.get("RepoTags")) if t and t != "<none>:<none>"]
        digests = [d for d in _strings(details.get("RepoDigests")) if "@" in d]
        packages: list[PackageRef] = []
        if api.budget.layer_bytes <= 0 or api.budget.expired():
            unread.append(tags[0] if tags else image_id[:19])
        else:
            with tempfile.TemporaryFile() as archive:
                try:
                    api.export(image_id, archive)
                    packages = image_packages(archive, api.budget)
                except (ContainerEngineError, tarfile.TarError, OSError) as exc:
                    yield socket, f"image {tags[0] if tags else image_id[:19]}: {exc}"
        command = _command(config)
        label = labels.get(MCP_LABEL) if isinstance(labels, Mapping) else None
        if not (label or packages or _runs_mcp(command)):
            continue
        reference = tags[0] if tags else image_id
        repository, _, tag = reference.rpartition(":") if tags else (image_id, "", "")
        digest = digests[0].partition("@")[2] if digests else None
        name = f"{label or reference} (image)"
        mcp_images[image_id] = str(label or reference)
        yield DiscoveredServer(
            host=engine,
            location=ConfigLocation(Path(f"{engine}/images/{image_id}"), Scope.USER, DocumentFormat.JSON),
            name=name[:300],
            transport=None,
            source="manifest",
            declared_package=PackageRef(
                ecosystem=Ecosystem.OCI,
                name=repository,
                version=tag or None,
                pinned=digest is not None,
                digest=digest,
            ),
            dependencies=tuple(packages),
        )
    if unread:
        named = ", ".join(unread[:10]) + (f" and {len(unread) - 10} more" if len(unread) > 10 else "")
        yield socket, f"{socket}: layers of {len(unread)} images not read ({named}): {api.budget.why()}"
    containers = _objects(api.get("/containers/json?all=1"), MAX_CONTAINERS)
    for index, summary in enumerate(containers):
        if api.budget.expired():
            yield socket, f"{socket}: {len(containers) - index} containers not read: {api.budget.why()}"
            return
        image_id = str(summary.get("ImageID", ""))
        details = _object(api.get(f"/containers/{quote(str(summary.get('Id', '')), safe='')}/json"))
        config = _object(details.get("Config"))
        labels = _object(config.get("Labels"))
        label = labels.get(MCP_LABEL) if isinstance(labels, Mapping) else None
        command = _command(config)
        if image_id not in mcp_images and not label and not _runs_mcp(command):
            continue
        reference = str(config.get("Image") or summary.get("Image") or image_id)
        names = details.get("Name") or (summary.get("Names") or [""])[0]
        container = str(names).lstrip("/") or str(summary.get("Id", ""))[:12]
        state = details.get("State") or {}
        yield DiscoveredServer(
            host=engine,
            location=ConfigLocation(
                Path(f"{engine}/containers/{container}"), Scope.USER, DocumentFormat.JSON
            ),
            name=f"{label or mcp_images.get(image_id) or reference} (container {container})"[:300],
            transport=Transport.STDIO,
            command=engine,
            args=("run", *_host_flags(_object(details.get("HostConfig"))), reference),
            disabled=not (isinstance(state, Mapping) and state.get("Running") is True),
        )
