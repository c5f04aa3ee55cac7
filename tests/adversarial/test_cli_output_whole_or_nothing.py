"""A report written with ``-o FILE`` (or a redacted copy, ``dlp scan --redacted``) on a disk
that fills up halfway: the file was opened in place and written as the report was rendered, so
the previous report was replaced by the first part of the new one, which a CI job then read as
the whole (a SARIF upload, a gate on the JSON). Now the file is written whole or not at all: the
previous one stands, the command says it could not write it, and nothing is left beside it. The
full disk is the kernel's file size limit (RLIMIT_FSIZE): a write past it fails with EFBIG."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from cli_kit import mcpward_in_home

PREVIOUS = '{"previous": "a whole report"}\n'


def _home_with_servers(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    servers = {
        f"server-{i}": {"command": "npx", "args": ["-y", f"@acme/mcp-server-{i}@1.0.{i}"]} for i in range(40)
    }
    (home / ".cursor").mkdir(parents=True)
    (home / ".cursor" / "mcp.json").write_text(json.dumps({"mcpServers": servers}))
    return home


@pytest.mark.parametrize("output_format", ["json", "sarif"])
def test_a_report_cut_by_a_full_disk_leaves_the_previous_one(tmp_path: Path, output_format: str) -> None:
    home = _home_with_servers(tmp_path)
    out = tmp_path / f"report.{output_format}"
    args = ("scan", "--home", str(home), "--format", output_format, "-o", str(out))
    whole = mcpward_in_home(home, *args)
    assert whole.returncode == 0 and json.loads(out.read_text()), whole.stderr[-600:]
    size = out.stat().st_size
    assert size > 2 * len(PREVIOUS)
    out.write_text(PREVIOUS)
    out.chmod(0o640)
    cut = mcpward_in_home(home, *args, max_file_bytes=size // 2)  # the disk fills halfway
    assert cut.returncode == 2, (cut.returncode, cut.stderr[-600:])
    assert cut.stderr.strip().splitlines() == [f"mcpward: cannot write {out}: File too large"], cut.stderr[
        -600:
    ]
    assert out.read_text() == PREVIOUS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", out.name]
    again = mcpward_in_home(home, *args)
    assert again.returncode == 0 and out.stat().st_size == size, again.stderr[-600:]
    assert stat.S_IMODE(out.stat().st_mode) == 0o640  # the previous file's permissions kept


def test_a_redacted_copy_cut_by_a_full_disk_leaves_the_previous_one(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    source = home / "log.txt"
    source.write_text("a line of an ordinary log with nothing secret in it\n" * 400)
    redacted = tmp_path / "redacted.txt"
    redacted.write_text(PREVIOUS)
    cut = mcpward_in_home(home, "dlp", "scan", str(source), "--redacted", str(redacted), max_file_bytes=4096)
    assert cut.returncode == 2 and f"cannot write {redacted}: File too large" in cut.stderr, cut.stderr[-600:]
    assert redacted.read_text() == PREVIOUS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "redacted.txt"]


def test_output_to_a_pipe_or_device_is_still_written_as_a_stream(tmp_path: Path) -> None:
    home = _home_with_servers(tmp_path)
    out = mcpward_in_home(home, "scan", "--home", str(home), "--format", "json", "-o", "/dev/stdout")
    assert out.returncode == 0 and json.loads(out.stdout), out.stderr[-600:]
    assert os.path.exists("/dev/stdout")
    missing = mcpward_in_home(
        home, "scan", "--home", str(home), "-o", str(tmp_path / "no" / "such" / "x.json")
    )
    assert missing.returncode == 2 and "No such file or directory" in missing.stderr
    assert not (tmp_path / "no").exists()
