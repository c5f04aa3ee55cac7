"""A hostile (or impersonated) registry server answering ``mcpward enforce --registry URL``:
pages of entries that never end (the loop grew without bound), one endless page, and an approved
package whose name is an option of the launcher it is written after (``npx -y --call=CMD@1.0.0``
runs CMD in a shell on every managed machine)."""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from cli_kit import mcpward
from enforce_kit import approved_entry

from loopback import handler_serving


@contextlib.contextmanager
def _registry(answer: Any) -> Iterator[tuple[str, list[str]]]:
    """A registry on loopback; ``answer(path)`` gives each answer's body (bytes, or an iterator
    of chunks)."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            body = answer(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if isinstance(body, bytes):
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.end_headers()  # no length: read until the connection closes
            with contextlib.suppress(OSError):
                for chunk in body:
                    self.wfile.write(chunk)
            self.close_connection = True

        def log_message(self, *args: Any) -> None:
            pass

    with handler_serving(Handler) as base:
        yield f"{base}", seen


def _enforce(url: str, root: Path) -> subprocess.CompletedProcess[str]:
    return mcpward("enforce", "--root", str(root), "--registry", url)


def test_pages_of_entries_that_never_end_are_refused(tmp_path: Path) -> None:
    page = json.dumps(
        {"entries": [approved_entry(i, f"io.github.acme/s{i}", f"@acme/s{i}") for i in range(500)]}
    )
    with _registry(lambda path: page.encode()) as (url, seen):
        done = _enforce(url, tmp_path / "tree")
    assert done.returncode != 0
    assert "more than 50,000 entries" in done.stderr
    assert len(seen) <= 101
    assert not (tmp_path / "tree" / "etc").exists()


def test_one_endless_page_is_refused(tmp_path: Path) -> None:
    def endless(path: str) -> Iterator[bytes]:
        yield b'{"entries": ["'
        chunk = b"x" * (1 << 20)
        for _ in range(1024):  # bounded: 1 GiB, well past the largest page read
            yield chunk

    with _registry(endless) as (url, _):
        done = _enforce(url, tmp_path / "tree")
    assert done.returncode != 0
    assert "larger than 128 MiB" in done.stderr


def test_an_approved_package_named_like_an_option_is_not_written_as_a_launch_line(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    hostile = f"--call=touch {marker} #"
    page = json.dumps(
        {
            "entries": [
                approved_entry(1, "io.github.acme/ok", "@acme/ok"),
                approved_entry(2, "io.github.acme/evil", hostile),
            ]
        }
    )
    with _registry(lambda path: page.encode()) as (url, _):
        done = _enforce(url, tmp_path / "tree")
    assert done.returncode != 0
    assert "option" in done.stderr and hostile not in done.stderr
    for written in (tmp_path / "tree").rglob("*") if (tmp_path / "tree").exists() else ():
        assert "--call" not in written.read_text() if written.is_file() else True
