"""``mcpward advisories update`` on sources too large to parse: a source that is not a zip was
read whole into memory (up to 2 GB, twice over for a download) and parsed whole, a zip was held
in memory, a member over 4 MiB was skipped without a word (an advisory lost), and a zip's
central directory was read whole into an object per member, however many. Until 2026-12-04.

Now a zip export is spooled to a file and read a member at a time; a JSON document over 32 MiB,
a member over 4 MiB or a central directory over 64 MiB is refused with one line, and the
previous snapshot stays. No gigabyte is written here: the large file is sparse, the large
answer a loopback server's stream it stops sending when the client goes."""

from __future__ import annotations

import json
import os
import sys
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cli_kit import with_peak_memory

import mcpward
from mcpward import advisories
from mcpward.advisories import AdvisoryError, update_snapshot

SRC = str(Path(mcpward.__file__).parents[1])
RECORD = {
    "id": "MAL-2026-9100",
    "modified": "2026-12-01T00:00:00Z",
    "affected": [{"package": {"ecosystem": "npm", "name": "evil-mcp"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}],
}  # fmt: skip


def _previous(tmp_path: Path) -> Path:
    """A refreshed snapshot made before: what a refused source must leave as it is."""
    source = tmp_path / "previous.json"
    source.write_text(json.dumps([RECORD]))
    snapshot, _ = update_snapshot([str(source)], tmp_path / "snapshot.json")
    return snapshot


def _update(source: str, snapshot: Path) -> tuple[int, str, int]:
    """The real CLI in a child process: exit status, stderr, and its peak resident MiB."""
    command = [sys.executable, "-m", "mcpward", "advisories", "update", "--source", source]
    done, peak_kb = with_peak_memory(
        [*command, "--output", os.fspath(snapshot)], env={**os.environ, "PYTHONPATH": SRC}, timeout=60
    )
    return done.returncode, done.stderr, peak_kb // 1024


def test_a_sparse_json_file_of_a_gigabyte_is_refused_before_it_is_read(tmp_path: Path) -> None:
    snapshot = _previous(tmp_path)
    before = snapshot.read_bytes()
    large = tmp_path / "all.json"
    with large.open("wb") as handle:
        handle.truncate(1024 * 1024 * 1024)  # sparse: no disk used
    status, stderr, peak = _update(os.fspath(large), snapshot)
    assert status != 0
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "a JSON document of 1073741824 bytes, over the 33554432 read whole" in lines[0]
    assert peak < 200, f"{peak} MiB resident for a source refused by its size"
    assert snapshot.read_bytes() == before


@pytest.fixture
def endless() -> Iterator[tuple[str, list[int]]]:
    """A loopback server answering JSON for ever (bounded: 512 MiB), with or without saying a
    size; the bytes it sent, by request."""
    sent: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if self.path.endswith("claimed.json"):
                self.send_header("Content-Length", str(3 * 1024 * 1024 * 1024))
            self.end_headers()
            chunk = b"[" + b" " * (1024 * 1024 - 1)
            count = 0
            try:
                for _ in range(512):
                    self.wfile.write(chunk)
                    count += len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped reading: what it should do
            sent.append(count)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", sent
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("name", ["all.json", "claimed.json"])
def test_an_endless_json_answer_is_refused_without_holding_it(
    tmp_path: Path, endless: tuple[str, list[int]], name: str
) -> None:
    base, sent = endless
    snapshot = _previous(tmp_path)
    before = snapshot.read_bytes()
    status, stderr, peak = _update(f"{base}/{name}", snapshot)
    assert status != 0
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "over the 33554432 bytes read whole" in lines[0] or "larger than 2147483648 bytes" in lines[0]
    assert peak < 200, f"{peak} MiB resident for an answer refused by its size"
    assert snapshot.read_bytes() == before
    assert sent and sent[0] < 128 * 1024 * 1024, sent  # it stopped reading


def test_a_zip_member_over_the_record_limit_refuses_the_source(tmp_path: Path) -> None:
    snapshot = _previous(tmp_path)
    before = snapshot.read_bytes()
    export = tmp_path / "all.zip"
    other = dict(RECORD, id="MAL-2026-9101")
    with zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("MAL-2026-9101.json", json.dumps(other))
        # A record padded past 4 MiB (5 KB once deflated): it was skipped, the advisory lost.
        archive.writestr("MAL-2026-9102.json", json.dumps(dict(RECORD, id="MAL-2026-9102")) + " " * (5 << 20))
    status, stderr, _ = _update(os.fspath(export), snapshot)
    assert status != 0
    assert "member 'MAL-2026-9102.json' of 5" in stderr and "over the 4194304 a record may be" in stderr
    assert snapshot.read_bytes() == before


def test_a_zip_directory_over_its_limit_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 64 MiB is about a million members, each an object zipfile holds; 20,000 (a directory of
    # about 1 MiB) against a limit of 512 KiB here, so that the test is short.
    monkeypatch.setattr(advisories, "MAX_DIRECTORY_BYTES", 512 * 1024, raising=False)
    snapshot = _previous(tmp_path)
    before = snapshot.read_bytes()
    export = tmp_path / "all.zip"
    with zipfile.ZipFile(export, "w", zipfile.ZIP_STORED) as archive:
        for index in range(20_000):
            archive.writestr(f"MAL-2026-{index:06d}.json", b"{}")
    with pytest.raises(AdvisoryError, match=r"a zip directory of \d+ bytes, over the 524288 read"):
        update_snapshot([os.fspath(export)], snapshot)
    assert snapshot.read_bytes() == before


def test_members_inflating_past_the_total_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each member within its 4 MiB, their number unbounded: a 10 MB zip of a thousand members
    # of 4 MiB of spaces each inflated and parsed 4 GiB. 4 GiB in all; 1 MiB here.
    monkeypatch.setattr(advisories, "MAX_INFLATED_BYTES", 1024 * 1024, raising=False)
    snapshot = _previous(tmp_path)
    before = snapshot.read_bytes()
    export = tmp_path / "all.zip"
    with zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(3):
            archive.writestr(
                f"MAL-2026-{index:06d}.json", json.dumps(dict(RECORD, id=f"MAL-2026-{index}")) + " " * 600_000
            )
    with pytest.raises(AdvisoryError, match="members inflating to over 1048576 bytes in all"):
        update_snapshot([os.fspath(export)], snapshot)
    assert snapshot.read_bytes() == before


def test_mcp_records_past_what_a_snapshot_may_hold_are_refused(tmp_path: Path) -> None:
    # Ten MCP-named records of 3.8 MiB each (a few KB each once deflated): all were held, then
    # written as a snapshot of 40 MiB that every later scan and vet parses whole.
    snapshot = _previous(tmp_path)
    before = snapshot.read_bytes()
    export = tmp_path / "all.zip"
    with zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED) as archive:
        for index in range(10):
            record = dict(RECORD, id=f"MAL-2026-{index:06d}", details="a" * 4_000_000)
            archive.writestr(f"MAL-2026-{index:06d}.json", json.dumps(record))
    with pytest.raises(AdvisoryError, match="its MCP records make a snapshot over 33554432 bytes"):
        update_snapshot([os.fspath(export)], snapshot)
    assert snapshot.read_bytes() == before


def test_a_refreshed_snapshot_past_the_document_limit_is_not_parsed(tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot.json"
    with snapshot.open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)  # sparse
    snapshot.chmod(0o600)
    with pytest.raises(AdvisoryError, match="larger than 33554432 bytes"):
        advisories.load_advisories(snapshot)


def test_a_folder_of_more_files_than_an_export_holds_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder source's files were each bounded but not their number: millions of them held
    the refresh for hours. Past the limit (lowered here) the source is refused before any is
    parsed, and the snapshot stays."""
    snapshot = _previous(tmp_path)
    before = snapshot.read_bytes()
    folder = tmp_path / "export"
    folder.mkdir()
    for number in range(9):
        (folder / f"MAL-{number}.json").write_text(json.dumps({**RECORD, "id": f"MAL-2026-{number}"}))
    monkeypatch.setattr(advisories, "MAX_FOLDER_FILES", 8)
    with pytest.raises(AdvisoryError, match="more than 8 files"):
        update_snapshot([str(folder)], snapshot)
    assert snapshot.read_bytes() == before
    monkeypatch.setattr(advisories, "MAX_FOLDER_FILES", 9)
    monkeypatch.setattr(advisories, "MAX_INFLATED_BYTES", 4 * len(json.dumps(RECORD)))
    with pytest.raises(AdvisoryError, match="bytes"):
        update_snapshot([str(folder)], snapshot)
    assert snapshot.read_bytes() == before
    monkeypatch.setattr(advisories, "MAX_INFLATED_BYTES", 1024 * 1024)
    _, count = update_snapshot([str(folder)], snapshot)
    assert count == 9
