"""Attack on vet's reading of what runs: an executable (ELF, PE, Mach-O) run as a command was
read as text and passed.

npm links a ``bin`` and runs an install hook's file as they are, and pip installs each file of
a wheel's ``.data/scripts/`` as a command: a compiled executable there runs with the user's
rights, and no analyser reads machine code. A file with an extension vet does not keep
(``relay.exe``) was ``analysis-incomplete``, but one without (``bin/relay``, the usual name of
a command) was taken for JavaScript, then, not parsing, for a shell script, and its bytes
searched as text: a release whose ``bin`` became an ELF binary was vetted ``pass``, on first
look and against the release before. A file something runs that starts as an executable does
is now ``analysis-incomplete`` (review). An executable nothing is seen to run stays a file like
any other.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from vet_attack_kit import npm_tarball

from mcpward.vet import VetOptions, run_vet
from vet_fixtures import wheel

BASE = {"name": "relay-mcp", "version": "1.0.0", "main": "index.js"}
INDEX = b"exports.ok = 1;\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(56)
MACH_O = b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + bytes(56)
PE = b"MZ\x90\x00" + bytes(56) + struct.pack("<I", 64) + b"PE\x00\x00" + bytes(64)


@pytest.mark.parametrize(
    "manifest,path,binary",
    [
        ({"bin": {"relay": "bin/relay"}}, "bin/relay", ELF),
        ({"bin": {"relay": "bin/relay"}}, "bin/relay", MACH_O),
        ({"bin": {"relay": "bin/relay"}}, "bin/relay", PE),
        ({"scripts": {"postinstall": "./bin/setup"}}, "bin/setup", ELF),
        ({"directories": {"bin": "tools"}}, "tools/relay", ELF),
    ],
    ids=["bin ELF", "bin Mach-O", "bin PE", "install hook", "directories.bin"],
)
def test_an_executable_npm_runs_is_not_passed_unread(
    tmp_path: Path, manifest: dict[str, object], path: str, binary: bytes
) -> None:
    before = npm_tarball(tmp_path / "a.tgz", BASE, {"index.js": INDEX})
    after = npm_tarball(
        tmp_path / "b.tgz", {**BASE, "version": "1.0.1", **manifest}, {"index.js": INDEX, path: binary}
    )
    for baseline in (None, str(before)):
        report = run_vet(VetOptions(target=str(after), baseline=baseline, cache_dir=tmp_path / "cache"))
        incomplete = [f.config_path for f in report.findings if f.rule == "analysis-incomplete"]
        assert incomplete == [path], [(f.rule, f.message) for f in report.findings]
        assert report.verdict != "pass"


def test_an_executable_a_wheel_installs_as_a_command_is_not_passed_unread(tmp_path: Path) -> None:
    script = "relay_mcp-1.0.1.data/scripts/relay"
    archive = tmp_path / "relay_mcp-1.0.1-py3-none-any.whl"
    archive.write_bytes(
        wheel("relay_mcp", "1.0.1", {"relay_mcp/__init__.py": "", script: ELF.decode("latin-1")})
    )
    report = run_vet(VetOptions(target=str(archive), cache_dir=tmp_path / "cache"))
    incomplete = [f.config_path for f in report.findings if f.rule == "analysis-incomplete"]
    assert incomplete == [script], [(f.rule, f.message) for f in report.findings]


def test_an_executable_nothing_runs_and_a_script_named_alike_pass(tmp_path: Path) -> None:
    files = {
        "index.js": INDEX,
        "vendor/relay-helper": ELF,
        "bin/relay": b'#!/bin/sh\nexec node "$(dirname "$0")/../index.js" "$@"\n',
        "bin/mz": b"MZ = 1;\nmodule.exports = MZ;\n",
    }
    manifest = {**BASE, "bin": {"relay": "bin/relay", "mz": "bin/mz"}}
    before = npm_tarball(tmp_path / "a.tgz", manifest, files)
    after = npm_tarball(tmp_path / "b.tgz", {**manifest, "version": "1.0.1"}, files)
    report = run_vet(VetOptions(target=str(after), baseline=str(before), cache_dir=tmp_path / "cache"))
    assert report.verdict == "pass", [(f.rule, f.message) for f in report.findings]
