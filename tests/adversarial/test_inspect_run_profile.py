"""``inspect --scan --run`` starts stdio servers in the sandbox with nothing: no network, none
of the user's files. A server that needs a host or a folder to list its tools (its package's
cache, a service) could only be looked at unconfined (``--run-unsandboxed``). ``--sandbox-profile
FILE`` gives the look the same profile ``mcpward sandbox run --profile`` and the gateway take,
and exactly what it names: the file is the one the user named (not a link, nobody else's to
change), read once and checked before any server starts; a mount is an absolute path named as
itself (``~/.ssh``, ``.ssh`` or a link to the user's keys is refused, never bound); a hostile file
(a FIFO, /dev/zero, a huge or invalid one) is one line, never a traceback; what the profile sets
stays the profile's over the server's config."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fleet_kit import configure_cursor

KEY = "MCPWARD-TEST-KEY-8d2b71c4"

#: A server (official SDK) that lists one tool whose description says what it could reach: a
#: loopback service through the proxy by an allowed name and by another, a file in a folder the
#: profile mounts, the user's key, and the variables its config and the profile set.
LOOKING = """
import os, sys, urllib.request
from pathlib import Path
from mcp.server.mcpserver import MCPServer

def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=20) as answer:
            return answer.read().decode()[:40]
    except Exception as exc:
        return "refused " + type(exc).__name__

def read(path):
    try:
        return Path(path).read_text()[:40].strip()
    except OSError as exc:
        return "unread " + type(exc).__name__

said = "; ".join([
    "allowed: " + fetch("http://allowed.test:%s/" % sys.argv[1]),
    "other: " + fetch("http://other.test:%s/" % sys.argv[1]),
    "data: " + read(sys.argv[2]),
    "key: " + read(Path.home() / ".ssh" / "id_ed25519"),
    "mode: " + os.environ.get("LOOK_MODE", "unset"),
    "own: " + os.environ.get("LOOK_OWN", "unset"),
])
server = MCPServer("looking")

@server.tool(description=said)
def look(text: str) -> str:
    return text

server.run()
"""


class _Answer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "6")
        self.end_headers()
        self.wfile.write(b"served")

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def service() -> Iterator[int]:
    """A loopback HTTP service: its port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user's home: an SSH key."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text(KEY + "\n", encoding="utf-8")
    (home / ".ssh" / "id_ed25519").chmod(0o600)
    monkeypatch.setenv("HOME", str(home))
    return home


def _profile(folder: Path, text: str) -> Path:
    profile = folder / "profile.toml"
    profile.write_text(text, encoding="utf-8")
    return profile


def _starting(home: Path, tmp_path: Path) -> Path:
    """A configured stdio server that, started, leaves a file: where."""
    started = tmp_path / "started"
    code = f"open({str(started)!r}, 'w').write('started')"
    configure_cursor(home, {"helper": {"command": sys.executable, "args": ["-c", code]}})
    return started


def _refused(cli: Any, profile: Path | str, *flags: str) -> str:
    result = cli("inspect", "--scan", "--run", "--sandbox-profile", str(profile), *flags)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    return str(result.stderr)


def _hostile(kind: str, tmp_path: Path) -> tuple[Path, str]:
    """A profile file of ``kind`` and what its refusal says."""
    if kind == "symlink":
        real = _profile(tmp_path, "[network]\nallow = []\n")
        link = tmp_path / "linked.toml"
        link.symlink_to(real)
        return link, "symbolic link"
    if kind == "fifo":
        fifo = tmp_path / "profile.toml"
        os.mkfifo(fifo)
        return fifo, "not a regular file"
    if kind == "dev-zero":
        return Path("/dev/zero"), "not a regular file"
    if kind == "huge":
        huge = tmp_path / "profile.toml"
        huge.write_bytes(b"# " + b"x" * (33 << 20) + b"\n")
        return huge, "too large"
    if kind == "invalid-toml":
        return _profile(tmp_path, "[network\nallow = "), "not valid TOML"
    if kind == "not-utf8":
        bad = tmp_path / "profile.toml"
        bad.write_bytes(b'[env.set]\nX = "\xff\xfe"\n')
        return bad, "not UTF-8"
    if kind == "unknown-key":
        return _profile(tmp_path, "[files]\nmount = ['/']\n"), "files.mount"
    if kind == "folder":
        return tmp_path, "not a regular file"
    if kind == "missing":
        return tmp_path / "nowhere.toml", "No such file"
    writable = _profile(tmp_path, "[network]\nallow = []\n")  # others-writable
    writable.chmod(0o666)
    return writable, "another user may change it"


@pytest.mark.parametrize(
    "kind",
    [
        "symlink",
        "fifo",
        "dev-zero",
        "huge",
        "invalid-toml",
        "not-utf8",
        "unknown-key",
        "folder",
        "missing",
        "others-writable",
    ],
)
def test_a_hostile_profile_file_is_one_line_and_no_server_starts(
    home: Path, tmp_path: Path, cli: Any, kind: str
) -> None:
    started = _starting(home, tmp_path)
    profile, said = _hostile(kind, tmp_path / "profiles")
    said_line = _refused(cli, profile)
    assert said in said_line and "--sandbox-profile" in said_line
    assert not started.exists()


@pytest.mark.parametrize(
    "kind", ["tilde", "relative", "link-to-keys", "missing", "parent-link", "device", "fifo"]
)
def test_a_mount_not_named_as_itself_is_refused_never_bound(
    home: Path, tmp_path: Path, cli: Any, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = _starting(home, tmp_path)
    monkeypatch.chdir(home)  # where a relative ``.ssh`` would have been bound from
    outside = tmp_path / "outside"
    outside.mkdir()
    mount = {
        "tilde": "~/.ssh",
        "relative": ".ssh",
        "link-to-keys": str(outside / "cache"),
        "missing": str(outside / "nothing"),
        "parent-link": str(outside / "linked" / ".ssh"),
        "device": "/dev/null",  # a disk's device as well: as root, its ACL opened to the sandbox's uid
        "fifo": str(outside / "fifo"),
    }[kind]
    os.mkfifo(outside / "fifo")
    (outside / "cache").symlink_to(home / ".ssh")
    (outside / "linked").symlink_to(home)
    line = _refused(cli, _profile(tmp_path / "profiles", f"[files]\nread = [{json.dumps(mount)}]\n"))
    assert "files.read" in line and KEY not in line
    assert not started.exists()


@pytest.mark.parametrize("flags", [("--run-unsandboxed",), ()])
def test_a_profile_is_only_for_the_sandbox_of_scan_run(
    home: Path, tmp_path: Path, cli: Any, flags: tuple[str, ...]
) -> None:
    started = _starting(home, tmp_path)
    profile = _profile(tmp_path / "profiles", "[network]\nallow = []\n")
    result = cli("inspect", "--scan", *flags, "--sandbox-profile", str(profile))
    assert result.exit_code == 2 and "--sandbox-profile" in result.stderr and "Traceback" not in result.stderr
    assert not started.exists()


@pytest.fixture(autouse=True)
def _profiles(tmp_path: Path) -> None:
    (tmp_path / "profiles").mkdir()


def test_the_server_gets_what_the_profile_names_and_no_more(
    home: Path, tmp_path: Path, look_backend: str, service: int, cli: Any
) -> None:
    script = tmp_path / "looking_server.py"
    script.write_text(LOOKING, encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    (data / "notes.txt").write_text("mounted notes\n", encoding="utf-8")
    data.chmod(0o755)
    (data / "notes.txt").chmod(0o644)
    entry = {
        "command": sys.executable,
        "args": [str(script), str(service), str(data / "notes.txt")],
        "env": {"LOOK_MODE": "the config's", "LOOK_OWN": "the config's own"},
    }
    configure_cursor(home, {"looking": entry})
    profile = _profile(
        tmp_path / "profiles",
        f'[network]\nallow = ["allowed.test:{service}"]\n'
        f'resolve = {{ "allowed.test:{service}" = "127.0.0.1:{service}" }}\n'
        f'[files]\nread = ["{data}"]\n'
        '[env.set]\nLOOK_MODE = "the profile\'s"\n',
    )
    pins = tmp_path / "pins.json"
    result = cli("inspect", "--scan", "--run", "--sandbox-profile", str(profile), "--timeout", "60",
                 "--format", "json", "--pin", "--pins", str(pins))  # fmt: skip
    assert result.exit_code in (0, 1), result.stderr
    assert result.json()["errors"] == [], result.stdout
    said = pins.read_text(encoding="utf-8")
    assert "allowed: served" in said and "other: refused" in said, said
    assert "data: mounted notes" in said and "key: unread" in said and KEY not in said
    assert "mode: the profile's" in said and "own: the config's own" in said
    # Said before it starts, the name that reaches loopback too.
    said_first = (
        f"network allowed.test:{service}; reaching allowed.test:{service} at 127.0.0.1:{service}; read {data}"
    )
    assert said_first in result.stderr


def test_without_a_profile_the_look_is_as_before(
    home: Path, tmp_path: Path, look_backend: str, service: int, cli: Any
) -> None:
    script = tmp_path / "looking_server.py"
    script.write_text(LOOKING, encoding="utf-8")
    entry = {"command": sys.executable, "args": [str(script), str(service), str(tmp_path / "nothing")]}
    configure_cursor(home, {"looking": entry})
    pins = tmp_path / "pins.json"
    result = cli(
        "inspect", "--scan", "--run", "--timeout", "60", "--format", "json", "--pin", "--pins", str(pins)
    )
    assert result.json()["errors"] == [], result.stdout
    said = pins.read_text(encoding="utf-8")
    assert "allowed: refused" in said and "other: refused" in said and "key: unread" in said


MEMORY = "@modelcontextprotocol/server-memory"


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and modification time."""
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in folder.rglob("*")
        if path.is_file()
    }


def _cache_profile(tmp_path: Path, cache: Path) -> Path:
    """The package cache read-only, npm pointed at it, no host allowed."""
    return _profile(
        tmp_path / "profiles",
        f'[files]\nread = ["{cache}"]\n[env.set]\nnpm_config_cache = "{cache}"\nnpm_config_offline = "true"\n',
    )


def test_a_real_npm_server_is_inspected_from_its_package_cache_read_only(
    home: Path, tmp_path: Path, look_backend: str, npx_cache: Path, cli: Any
) -> None:
    # The package npx installed, run from the cache it is in: the profile mounts the cache
    # read-only and allows no host. Without the profile only the script is there, not the
    # modules it imports.
    npx_cache = npx_cache.resolve()  # named as itself (the worktree links .cache)
    (script,) = npx_cache.glob(f"_npx/*/node_modules/{MEMORY}/dist/index.js")
    configure_cursor(home, {"memory": {"command": "node", "args": [str(script)]}})
    before = _listing(npx_cache)
    bare = cli("inspect", "--scan", "--run", "--timeout", "60", "--format", "json")
    assert len(bare.json()["errors"]) == 1
    pins = tmp_path / "pins.json"
    result = cli("inspect", "--scan", "--run", "--sandbox-profile", str(_cache_profile(tmp_path, npx_cache)),
                 "--timeout", "60", "--format", "json", "--pin", "--pins", str(pins))  # fmt: skip
    assert result.json()["errors"] == [], result.stdout
    assert "read_graph" in pins.read_text(encoding="utf-8")
    assert _listing(npx_cache) == before


def test_npx_cannot_use_a_cache_given_read_only_and_says_where_it_ran(
    home: Path, tmp_path: Path, look_backend: str, npx_cache: Path, cli: Any
) -> None:
    # npm rewrites its cache's index at every lookup (make-fetch-happen compacts it) and takes a
    # failed rewrite for a miss: ``npx -y`` cannot start from a read-only cache, and with no host
    # allowed it cannot download. The look is an error that says the profile confined it, and
    # the cache is left as it was.
    npx_cache = npx_cache.resolve()
    configure_cursor(home, {"memory": {"command": "npx", "args": ["-y", f"{MEMORY}@2026.8.31"]}})
    before = _listing(npx_cache)
    result = cli("inspect", "--scan", "--run", "--sandbox-profile", str(_cache_profile(tmp_path, npx_cache)),
                 "--timeout", "60", "--format", "json")  # fmt: skip
    (error,) = result.json()["errors"]
    message = error["message"]
    assert "with only what --sandbox-profile grants" in message
    # What npm tries before it gives up varies; what it was refused is told with the error, and
    # the run's records reach the user's audit log.
    from mcpward.gateway import default_audit_log, records

    logged = list(records(default_audit_log()))
    assert any(r.get("method") == "sandbox-start" and r.get("read") == [str(npx_cache)] for r in logged)
    assert ("; the sandbox refused " in message) == any(r.get("decision") == "block" for r in logged)
    assert _listing(npx_cache) == before


def test_what_the_sandbox_refused_is_told_with_the_error(
    home: Path, tmp_path: Path, look_backend: str, cli: Any
) -> None:
    # The server asks its proxy for a host the profile does not allow, then fails: its error
    # was "Connection closed" alone.
    code = "import urllib.request; urllib.request.urlopen('http://denied.test:8080/', timeout=20)"
    configure_cursor(home, {"fetcher": {"command": sys.executable, "args": ["-c", code]}})
    profile = _profile(tmp_path / "profiles", '[network]\nallow = ["allowed.test"]\n')
    result = cli(
        "inspect", "--scan", "--run", "--sandbox-profile", str(profile), "--timeout", "60", "--format", "json"
    )
    (error,) = result.json()["errors"]
    assert (
        "; the sandbox refused GET denied.test:8080; it ran in the sandbox with only" in error["message"]
    ), error


def test_a_profile_the_runner_refuses_is_told_with_the_error(
    home: Path, tmp_path: Path, look_backend: str, cli: Any
) -> None:
    # The runner reads the files the profile's [inspect] names; its refusal was "Connection closed".
    configure_cursor(home, {"helper": {"command": sys.executable, "args": ["-c", "pass"]}})
    profile = _profile(tmp_path / "profiles", '[inspect]\ntls = true\ndlp_policy = "/dev/zero"\n')
    result = cli("inspect", "--scan", "--run", "--sandbox-profile", str(profile), "--format", "json")
    (error,) = result.json()["errors"]
    assert (
        "the sandbox refused the start (the profile's DLP policy: /dev/zero: not a regular file)"
        in error["message"]
    )


def test_a_look_whose_records_would_go_nowhere_is_not_started(
    home: Path, tmp_path: Path, look_backend: str, cli: Any
) -> None:
    # The run's records are passed on to the user's audit log after it: a log that cannot be
    # opened is found before the server starts, as `sandbox run` finds it.
    from mcpward.gateway import default_audit_log

    default_audit_log().mkdir(parents=True)  # a folder where the log should be
    started = _starting(home, tmp_path)
    result = cli("inspect", "--scan", "--run", "--format", "json")
    (error,) = result.json()["errors"]
    assert "not started: cannot open the audit log" in error["message"] and not started.exists()


def test_the_line_said_before_a_look_writes_no_terminal_control(
    home: Path, tmp_path: Path, look_backend: str, cli: Any
) -> None:
    # A folder's name is the name its maker gave it: an OSC 52 in it wrote the clipboard.
    folder = tmp_path / "data\x1b]52;c;Y3VybCB4fHNo\x07"
    folder.mkdir()
    _starting(home, tmp_path)
    profile = _profile(tmp_path / "profiles", f"[files]\nread = [{json.dumps(str(folder))}]\n")
    result = cli("inspect", "--scan", "--run", "--sandbox-profile", str(profile), "--format", "json")
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr and "read " in result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="making another user's file needs root")
def test_a_profile_another_user_owns_is_refused(home: Path, tmp_path: Path, cli: Any) -> None:
    started = _starting(home, tmp_path)
    theirs = _profile(tmp_path / "profiles", "[network]\nallow = []\n")
    os.chown(theirs, 12345, 12345)
    assert "another user may change it (owner uid 12345" in _refused(cli, theirs)
    assert not started.exists()
