"""The launchd daemon and the Windows task ``agent install`` writes are XML, and XML 1.0 has no
U+FFFE or U+FFFF: a parser refuses the whole document at the first one. A ``--command`` holding
one (a path a script built, pasted text) was written as it came: install said "wrote", and
``launchctl`` or ``schtasks`` refused the file, so the agent never ran on that machine and its
homes were never reported, until 2026-12-06. Such a value is now refused in every setting, as
a control character is."""

from __future__ import annotations

import plistlib
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from cli_kit import mcpward

INSTALL = ("agent", "install", "--registry", "https://r.example.internal",
           "--token-file", "/etc/mcpward/agent.token")  # fmt: skip


@pytest.mark.parametrize("character", ["\uffff", "\ufffe"])
@pytest.mark.parametrize("platform", ["macos", "windows"])
def test_what_install_writes_for_the_scheduler_is_xml_it_reads(
    tmp_path: Path, character: str, platform: str
) -> None:
    root = tmp_path / "root"
    done = mcpward(*INSTALL, "--platform", platform, "--root", str(root),
                   "--command", f"/opt/mcp{character}ward/mcpward")  # fmt: skip
    if done.returncode != 0:  # refused in one line, nothing written
        assert "internal error" not in done.stderr and not root.exists(), done.stderr
        return
    for written in root.rglob("*"):
        if written.suffix == ".plist":
            plistlib.loads(written.read_bytes())
        elif written.suffix == ".xml":
            ElementTree.fromstring(written.read_bytes())  # noqa: S314 - our own file


def test_a_path_past_the_basic_plane_is_still_written(tmp_path: Path) -> None:
    root = tmp_path / "root"
    done = mcpward(
        *INSTALL, "--platform", "macos", "--root", str(root), "--command", "/opt/\U0001f6e1/mcpward"
    )
    assert done.returncode == 0, done.stderr
    plist = plistlib.loads((root / "Library" / "LaunchDaemons" / "io.mcpward.agent.plist").read_bytes())
    assert plist["ProgramArguments"][0] == "/opt/\U0001f6e1/mcpward"
